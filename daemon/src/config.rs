//! Configuration from flags and environment variables (every flag has an `AUTOVOICE_*` twin).

use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser, Debug, Clone)]
#[command(
    name = "autovoiced",
    version,
    about = "AutoVoice inference daemon: text-to-speech and voice conversion"
)]
pub struct Config {
    /// A one-shot subcommand instead of serving; the daemon serves when absent.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Address to listen on.
    #[arg(long, env = "AUTOVOICE_LISTEN", default_value = "127.0.0.1:5000")]
    pub listen: SocketAddr,
    /// Speaker definitions (JSON); the built-in speakers when absent.
    #[arg(long, env = "AUTOVOICE_SPEAKERS")]
    pub speakers: Option<PathBuf>,
    /// espeak-ng executable used as the text front end (run as a subprocess).
    #[arg(long, env = "AUTOVOICE_ESPEAK", default_value = "espeak-ng")]
    pub espeak: PathBuf,
    /// Client connections (HTTP and WebSocket) open at once; one more is answered 503 with
    /// `Retry-After` and closed, so file descriptors stay bounded whatever clients do.
    #[arg(long, env = "AUTOVOICE_MAX_CONNECTIONS", default_value_t = 512)]
    pub max_connections: usize,
    /// Seconds a client has to send a request's headers, byte by byte or not; the same limit
    /// closes a keep-alive connection that sits idle between requests, so it stays above the
    /// common scrape intervals (10-15 s) and a scraper's reused connection is not cut under it.
    #[arg(long, env = "AUTOVOICE_HEADER_TIMEOUT_SECS", default_value_t = 30.0, value_parser = seconds)]
    pub header_timeout_secs: f64,
    /// Seconds a request body may go without a byte arriving; then it is answered 408.
    #[arg(long, env = "AUTOVOICE_BODY_TIMEOUT_SECS", default_value_t = 10.0, value_parser = seconds)]
    pub body_timeout_secs: f64,
    /// Seconds a write to a client may stay blocked (the client reads nothing); then the
    /// connection is closed.
    #[arg(long, env = "AUTOVOICE_WRITE_TIMEOUT_SECS", default_value_t = 30.0, value_parser = seconds)]
    pub write_timeout_secs: f64,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "AUTOVOICE_MAX_BODY_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Longest text accepted by /synthesize, in characters.
    #[arg(long, env = "AUTOVOICE_MAX_TEXT_CHARS", default_value_t = 1000)]
    pub max_text_chars: usize,
    /// Longest audio accepted by /convert, in seconds.
    #[arg(long, env = "AUTOVOICE_MAX_AUDIO_SECS", default_value_t = 60.0)]
    pub max_audio_secs: f64,
    /// Requests processed at once.
    #[arg(long, env = "AUTOVOICE_CONCURRENCY", default_value_t = 2)]
    pub concurrency: usize,
    /// Requests allowed to wait for a slot; beyond this the server answers 503 at once.
    #[arg(long, env = "AUTOVOICE_QUEUE", default_value_t = 8)]
    pub queue: usize,
    /// Deadline of one request, in seconds (queueing included).
    #[arg(long, env = "AUTOVOICE_DEADLINE_SECS", default_value_t = 60.0, value_parser = seconds)]
    pub deadline_secs: f64,
    /// Seconds between GPU (NVML) samples.
    #[arg(long, env = "AUTOVOICE_GPU_POLL_SECS", default_value_t = 10.0, value_parser = seconds)]
    pub gpu_poll_secs: f64,
    /// Fail this share (0-1) of synthesis requests on purpose, to test alerting. Off by default.
    #[arg(long, env = "AUTOVOICE_INJECT_FAULTS", default_value_t = 0.0)]
    pub inject_faults: f64,
    /// Directory holding the neural models' PyTorch weight files (`crepe-tiny.pth`,
    /// `crepe-full.pth`, `resemblyzer.pt`); `scripts/fetch-models.sh` fills `models/`.
    #[arg(long, env = "AUTOVOICE_MODELS_DIR", default_value = "models")]
    pub models_dir: PathBuf,
    /// CREPE capacity that measures pitch: `tiny` (fast) or `full` (the most accurate).
    #[arg(long = "crepe", env = "AUTOVOICE_CREPE", value_enum, default_value_t = CrepeCapacity::Tiny)]
    pub crepe_capacity: CrepeCapacity,
    /// Never measure responses with the neural models (pitch error, speaker similarity), not
    /// even when a request asks; they still load, for enrollment.
    #[arg(long, env = "AUTOVOICE_NO_QUALITY")]
    pub no_quality: bool,
    /// Fraction of computed answers (0 to 1, spread evenly) measured after they are sent, off
    /// the response path. Measuring costs more than the synthesis itself on CPU (about 1.2x), so the
    /// default samples one in ten; a request with `x-autovoice-quality: sync` is always
    /// measured, before its answer, and gets the quality headers.
    #[arg(long, env = "AUTOVOICE_QUALITY_SAMPLE", default_value_t = 0.1, value_parser = fraction)]
    pub quality_sample: f64,
    /// Sampled measurements that may wait for the one measuring worker; past it they are
    /// dropped and counted (autovoice_quality_measurements_dropped_total).
    #[arg(long, env = "AUTOVOICE_QUALITY_QUEUE", default_value_t = 8)]
    pub quality_queue: usize,
    /// Directory where enrolled speakers persist (`speakers.json`, written atomically). Without
    /// it, speakers enrolled through `POST /speakers` last until the daemon exits.
    #[arg(long, env = "AUTOVOICE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Bytes of audio the in-memory synthesis cache may hold (least recently used entries are
    /// evicted first); 0 turns it off.
    #[arg(long, env = "AUTOVOICE_CACHE_BYTES", default_value_t = 256 * 1024 * 1024)]
    pub cache_bytes: usize,
    /// Redis for the shared synthesis cache and enrolled speakers (`redis://[:password@]host:port/db`).
    /// Without it the cache is in memory only and speakers stay in --data-dir.
    #[arg(long, env = "AUTOVOICE_REDIS_URL")]
    pub redis_url: Option<String>,
    /// Seconds a synthesis stays in the Redis cache.
    #[arg(long, env = "AUTOVOICE_CACHE_TTL_SECS", default_value_t = 86_400)]
    pub cache_ttl_secs: u64,
    /// Timeout of one Redis command on the request path, in milliseconds: past it the request
    /// is served uncached.
    #[arg(long, env = "AUTOVOICE_REDIS_TIMEOUT_MS", default_value_t = 50)]
    pub redis_timeout_ms: u64,
    /// With --redis-url, keep enrolled speakers in --data-dir (per replica) instead of Redis:
    /// for a Redis that evicts keys or has no AOF.
    #[arg(long, env = "AUTOVOICE_LOCAL_SPEAKERS")]
    pub local_speakers: bool,
    /// Compute backend: `auto` takes CUDA when the build has it and a device works and falls
    /// back to the CPU otherwise (saying why once, in the log and `/ready`); `cuda` refuses to
    /// start without a working device; `cpu` never touches CUDA.
    #[arg(long, env = "AUTOVOICE_BACKEND", value_enum, default_value_t = BackendChoice::Auto)]
    pub backend: BackendChoice,
    /// Start without loading the signal path (the model stays "not loaded"); for alert tests.
    #[arg(long, env = "AUTOVOICE_SKIP_MODELS")]
    pub skip_models: bool,
}

/// A positive, finite number of seconds (a `Duration` cannot hold anything else).
fn seconds(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if v.is_finite() && v > 0.0 && v < 1e9 {
        Ok(v)
    } else {
        Err(format!("{v} is not a positive, finite number of seconds"))
    }
}

/// A number from 0 to 1.
fn fraction(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if (0.0..=1.0).contains(&v) { Ok(v) } else { Err(format!("{v} is outside 0..=1")) }
}

impl Config {
    /// The weight file of the configured CREPE capacity.
    pub fn crepe_capacity_file(&self) -> &'static str {
        crate::models::crepe::Capacity::from(self.crepe_capacity).file()
    }

    /// Defaults for in-process tests: the CLI defaults with no arguments.
    pub fn for_tests() -> Self {
        Self::parse_from(["autovoiced", "--models-dir", concat!(env!("CARGO_MANIFEST_DIR"), "/../models")])
    }
}

/// What `autovoiced` does instead of serving.
#[derive(clap::Subcommand, Debug, Clone)]
pub enum Command {
    /// Asks the daemon at `--listen` (loopback when it listens on every address) for a path and
    /// exits 0 on a 2xx answer: the container healthcheck, with no curl or wget in the image.
    Probe(crate::probe::ProbeArgs),
}

/// The compute backend asked for (`--backend`).
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    Auto,
    Cpu,
    Cuda,
}

/// CREPE capacity as a flag value.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrepeCapacity {
    Tiny,
    Full,
}

impl From<CrepeCapacity> for crate::models::crepe::Capacity {
    fn from(c: CrepeCapacity) -> Self {
        match c {
            CrepeCapacity::Tiny => Self::Tiny,
            CrepeCapacity::Full => Self::Full,
        }
    }
}

/// Environment variable holding the API bearer token; auth is off when unset or empty.
pub const TOKEN_ENV: &str = "AUTOVOICE_API_TOKEN";
