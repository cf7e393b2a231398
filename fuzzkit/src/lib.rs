//! Time-bounded mutation fuzzing on stable Rust (cargo-fuzz needs nightly): each target replays
//! its regression corpus, then mutates seeds for `FUZZ_SECS` seconds (or the target's default),
//! running every case on a worker thread with a time limit. A panic, a hang or a broken
//! invariant saves the input under `fuzz/corpus/<target>/` and fails the test.

mod mutate;

pub use mutate::Rng;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// What one target fuzzes.
pub struct Target<'a> {
    pub name: &'a str,
    /// Valid inputs to start from (the corpus files are added to them).
    pub seeds: Vec<Vec<u8>>,
    /// Tokens worth splicing in (keywords, delimiters, edge-case numbers).
    pub dictionary: &'a [&'a str],
    /// Fuzzing time when `FUZZ_SECS` is not set.
    pub default_secs: u64,
    /// The longest one case may run before it counts as a hang.
    pub case_limit: Duration,
}

/// The outcome of a run: how many cases ran, for how long.
#[derive(Debug)]
pub struct Summary {
    pub replayed: usize,
    pub cases: u64,
    pub elapsed: Duration,
}

/// The regression corpus of `name`: `fuzz/corpus/<name>/` at the workspace root.
pub fn corpus_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus").join(name)
}

fn corpus(name: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(corpus_dir(name))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_file())
        .filter_map(|e| std::fs::read(e.path()).ok().map(|b| (e.path(), b)))
        .collect();
    files.sort();
    files
}

/// Where the case being run is kept: a case that kills the process (a stack overflow aborts,
/// it cannot be caught) is found there by the next run and moved into the corpus.
fn current_case(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/fuzz-current").join(name)
}

fn save(name: &str, input: &[u8]) -> PathBuf {
    use sha2::Digest;
    let hash = sha2::Sha256::digest(input);
    let hex: String = hash.iter().take(8).map(|b| format!("{b:02x}")).collect();
    let dir = corpus_dir(name);
    let path = dir.join(format!("found-{hex}"));
    // Best effort: the failure is reported with the input's path either way.
    let _ = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, input));
    path
}

type Check = dyn Fn(&[u8]) -> Result<(), String> + Send + Sync;

/// Runs `check` on one input on the worker thread; `Err` names a panic, a broken invariant or
/// a hang.
fn run_case(
    to_worker: &mpsc::Sender<Vec<u8>>,
    from_worker: &mpsc::Receiver<Result<(), String>>,
    input: &[u8],
    limit: Duration,
) -> Result<(), String> {
    to_worker.send(input.to_vec()).map_err(|_| "the worker thread is gone".to_owned())?;
    match from_worker.recv_timeout(limit) {
        Ok(r) => r,
        Err(mpsc::RecvTimeoutError::Timeout) => Err(format!("no result within {limit:?} (a hang)")),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err("the worker thread died".to_owned()),
    }
}

/// Replays the corpus, then fuzzes until the time is up. Panics (failing the test) with the
/// saved input's path on the first finding.
pub fn fuzz(
    target: Target<'_>,
    check: impl Fn(&[u8]) -> Result<(), String> + Send + Sync + 'static,
) -> Summary {
    let check: Box<Check> = Box::new(check);
    let (to_worker, inputs) = mpsc::channel::<Vec<u8>>();
    let (results, from_worker) = mpsc::channel();
    // The worker outlives a hung case; the test then fails and the process exits. Its stack is
    // a main thread's (8 MiB, where the tools parse), not a spawned thread's default 2 MiB.
    let spawned = std::thread::Builder::new()
        .name(format!("fuzz-{}", target.name))
        .stack_size(8 << 20)
        .spawn(move || {
            for input in inputs {
                let r = catch_unwind(AssertUnwindSafe(|| check(&input))).unwrap_or_else(|p| {
                    let msg = p
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_default();
                    Err(format!("panicked: {msg}"))
                });
                if results.send(r).is_err() {
                    return;
                }
            }
        });
    if let Err(e) = spawned {
        panic!("fuzz {}: cannot start the worker thread: {e}", target.name);
    }
    let start = Instant::now();
    let current = current_case(target.name);
    if let Ok(killer) = std::fs::read(&current) {
        let path = save(target.name, &killer);
        let _ = std::fs::remove_file(&current);
        eprintln!("fuzz {}: the previous run died on a case; saved as {}", target.name, path.display());
    }
    let _ = std::fs::create_dir_all(current.parent().unwrap_or(Path::new(".")));
    let stored = corpus(target.name);
    for (path, input) in &stored {
        if let Err(e) = run_case(&to_worker, &from_worker, input, target.case_limit) {
            panic!("fuzz {}: regression case {} fails again: {e}", target.name, path.display());
        }
    }
    let mut pool = target.seeds;
    pool.extend(stored.iter().map(|(_, b)| b.clone()));
    assert!(!pool.is_empty(), "fuzz {}: no seeds", target.name);
    let secs = std::env::var("FUZZ_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(target.default_secs);
    let deadline = start + Duration::from_secs(secs);
    let mut rng = Rng::new(std::env::var("FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(seed));
    let mut cases = 0u64;
    while Instant::now() < deadline {
        let input = rng.mutate(&pool, target.dictionary);
        // Kept until the case returns (best effort: fuzzing goes on without it).
        let _ = std::fs::write(&current, &input);
        if let Err(e) = run_case(&to_worker, &from_worker, &input, target.case_limit) {
            let path = save(target.name, &input);
            // Saved and reported here: the next run must not take it for a case that killed
            // the process and save it a second time.
            let _ = std::fs::remove_file(&current);
            panic!(
                "fuzz {}: case {cases} fails: {e}\n  input saved as {} (a regression case from now on; \
                 rename it, and keep it once fixed)",
                target.name,
                path.display()
            );
        }
        cases += 1;
    }
    let _ = std::fs::remove_file(&current);
    let summary = Summary { replayed: stored.len(), cases, elapsed: start.elapsed() };
    eprintln!(
        "fuzz {}: {} regression cases, {} fuzz cases in {:.1}s, no finding",
        target.name,
        summary.replayed,
        summary.cases,
        summary.elapsed.as_secs_f64()
    );
    summary
}

fn seed() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0x5eed, |d| d.as_nanos() as u64)
}
