//! Streamed synthesis: the text spoken piece by piece (`pieces`), each piece voice-transformed
//! as soon as the one before it has been handed over, the joins crossfaded, the audio delivered
//! through a small bounded channel as WAV bytes (a header of unknown length, then PCM). A
//! client that goes away stops the work at once; one that stops reading holds its slot until
//! the request's deadline, no longer.

use super::cached::stream_key;
use super::error::PipelineError;
use super::frontend;
use super::joins::{Joiner, take_pause};
use super::measure::{self, Goal};
use super::pieces::{self, End, MAX_FIRST_PIECE_CHARS, MAX_PIECE_CHARS};
use super::request::{QualityMode, SynthesisRequest};
use super::run::{admitted, blocking};
use super::synthesis::{find_speaker, speaker_target};
use super::voice::{self, INTERNAL_RATE};
use crate::answer::{Output, Report};
use crate::cache::Source;
use crate::metrics::label::{Operation, Task, Transport};
use crate::on_engine;
use crate::state::{AppState, SpeakerEntry};
use crate::wav::{self, Audio};
use bytes::Bytes;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Chunks that may wait for a slow client: the next piece is worked on while one is sent.
const BUFFERED: usize = 2;

/// What a streamed synthesis did, sent after its last audio.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Bytes of audio sent, header included.
    pub bytes: usize,
    pub pieces: usize,
    /// Median over the pieces of the source F0 and of the pitch ratio; the quality measurement
    /// when the request asked for it synchronously.
    pub report: Report,
    pub first_audio: Duration,
}

/// One step of a stream.
#[derive(Debug)]
pub enum Event {
    /// WAV bytes, in order; together they are one WAV file.
    Audio(Bytes),
    Done(Summary),
    Failed(PipelineError),
}

/// A streamed synthesis in progress; dropping it cancels the work.
pub struct Stream {
    rx: mpsc::Receiver<Event>,
    /// Computed now, or the cache tier that held the whole stream.
    pub source: Source,
}

impl Stream {
    /// The next event; `None` after `Done` or `Failed`.
    pub async fn next(&mut self) -> Option<Event> {
        self.rx.recv().await
    }
}

/// Starts a streamed synthesis. An unknown speaker, models not loaded or an injected fault are
/// errors here, before any audio; later errors arrive as [`Event::Failed`].
pub async fn synthesize(
    state: &AppState,
    req: &SynthesisRequest,
    transport: Transport,
) -> Result<Stream, PipelineError> {
    let start = Instant::now();
    let entry = find_speaker(state, &req.speaker_id).await?;
    let fail = |e: PipelineError| {
        state.metrics.synthesis_duration_seconds.observe(start.elapsed().as_secs_f64());
        entry.count(false);
        e
    };
    let fp = state.fingerprint().ok_or(PipelineError::NotReady).map_err(fail)?;
    if state.inject_fault() {
        return Err(fail(PipelineError::InjectedFault));
    }
    let key = stream_key(&fp, &req.text, &entry);
    let (tx, rx) = mpsc::channel(BUFFERED);
    if let Some((output, source)) = state.cache.lookup(&key).await {
        let first_audio = start.elapsed();
        state.metrics.time_to_first_audio_seconds.get(transport).observe(first_audio.as_secs_f64());
        state.metrics.synthesis_duration_seconds.observe(first_audio.as_secs_f64());
        entry.count(true);
        let summary = Summary { bytes: output.wav.len(), pieces: 1, report: output.report, first_audio };
        // The channel has room for both.
        let _ = tx.try_send(Event::Audio(output.wav.clone()));
        let _ = tx.try_send(Event::Done(summary));
        return Ok(Stream { rx, source });
    }
    let (st, req) = (state.clone(), req.clone());
    tokio::spawn(async move {
        let work = admitted(&st, produce(&st, &req, &entry, &tx, start, transport));
        let result = tokio::select! {
            r = work => r,
            () = tx.closed() => Err(PipelineError::Cancelled),
        };
        if matches!(result, Err(PipelineError::Cancelled)) {
            // The client went away: neither a success nor a failure of the service.
            tracing::debug!(speaker = %req.speaker_id, "streamed synthesis cancelled by its client");
            return;
        }
        st.metrics.synthesis_duration_seconds.observe(start.elapsed().as_secs_f64());
        entry.count(result.is_ok());
        let last = match result {
            Ok((summary, output)) => {
                st.cache.store(key, output);
                Event::Done(summary)
            }
            Err(e) => Event::Failed(e),
        };
        // Bounded: a client that stopped reading gets no more of this task's time.
        let wait = Duration::from_secs_f64(st.cfg.deadline_secs);
        let _ = tokio::time::timeout(wait, tx.send(last)).await;
    });
    Ok(Stream { rx, source: Source::Computed })
}

/// Speaks, transforms and sends every piece; returns the summary and the whole answer (for
/// the cache).
async fn produce(
    st: &AppState,
    req: &SynthesisRequest,
    entry: &Arc<SpeakerEntry>,
    tx: &mpsc::Sender<Event>,
    start: Instant,
    transport: Transport,
) -> Result<(Summary, Output), PipelineError> {
    let pieces = pieces::split(&req.text, MAX_FIRST_PIECE_CHARS, MAX_PIECE_CHARS);
    let target = speaker_target(entry);
    let mut joiner = Joiner::new();
    let (mut all, mut f0s, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let mut first_audio = None;
    // Every PCM byte sent, which is also the cached file's data.
    let mut pcm: Vec<u8> = Vec::new();
    let mut send = async |samples: &[f32], first: bool| {
        let mut chunk = Vec::with_capacity(44 + samples.len() * 2);
        if first {
            chunk.extend_from_slice(&wav::stream_header(INTERNAL_RATE));
        }
        let at = chunk.len();
        wav::push_pcm16(&mut chunk, samples);
        pcm.extend_from_slice(&chunk[at..]);
        tx.send(Event::Audio(chunk.into())).await.map_err(|_| PipelineError::Cancelled)
    };
    for piece in &pieces {
        let t = Instant::now();
        let front = frontend::speak(&st.cfg.espeak, &entry.speaker.base_voice, piece.text).await;
        voice::record(&st.metrics, Operation::TtsFrontend, t, front.is_ok());
        let (mut front, state) = (front?, st.clone());
        let pause = take_pause(&mut front.samples, piece.end == End::Cut);
        let (out, report) = blocking(move || {
            let engine = state.engine().ok_or(PipelineError::NotReady)?;
            on_engine!(engine, s => voice::transform(&s.dsp, &state.metrics, &front, target))
        })
        .await?;
        f0s.extend(report.source_f0);
        ratios.push(report.ratio);
        let mut samples = out.samples;
        // The front end speaks at the internal rate, so the pause is the same length here.
        samples.resize(samples.len() + pause, 0.0);
        let ready = joiner.push(samples);
        let first = first_audio.is_none();
        if first {
            let at = start.elapsed();
            st.metrics.time_to_first_audio_seconds.get(transport).observe(at.as_secs_f64());
            first_audio = Some(at);
        }
        send(&ready, first).await?;
        all.extend_from_slice(&ready);
    }
    let tail = joiner.finish();
    if !tail.is_empty() {
        send(&tail, false).await?;
        all.extend_from_slice(&tail);
    }
    let encoded = wav::from_pcm16(INTERNAL_RATE, &pcm);
    let out = Audio { samples: all, sample_rate: INTERNAL_RATE };
    let goal = Goal { speaker: Some(entry.clone()), task: Task::Synthesis };
    let measured = match req.quality {
        QualityMode::Sync => {
            let (state, g) = (st.clone(), goal.clone());
            blocking(move || Ok(measure::now(&state, None, &out, target, &g))).await?
        }
        QualityMode::Sampled => {
            // A synthesis compares with its speaker, so no input is kept.
            measure::later(st, None, out, target, goal);
            None
        }
    };
    let report = Report { source_f0: median(f0s), ratio: median(ratios).unwrap_or(1.0), measured };
    let first_audio = first_audio.unwrap_or_else(|| start.elapsed());
    let summary = Summary { bytes: 44 + pcm.len(), pieces: pieces.len(), report, first_audio };
    Ok((summary, Output { wav: encoded.into(), report }))
}

/// The middle value (the upper one of an even count); `None` when there is none.
fn median(mut v: Vec<f32>) -> Option<f32> {
    v.sort_by(f32::total_cmp);
    v.get(v.len() / 2).copied()
}
