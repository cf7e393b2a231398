//! Nothing but a home for the daemon's benchmarks (`benches/`): cargo needs a library or a
//! binary in every package. See `Cargo.toml` for why they are a package of their own.
