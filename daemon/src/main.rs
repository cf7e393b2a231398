//! `autovoiced`: the AutoVoice inference daemon.

use autovoice_daemon::config::{Command, Config, TOKEN_ENV};
use autovoice_daemon::{AppState, gpu, probe, router, server, speakers};
use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cfg = Config::parse();
    if let Some(Command::Probe(args)) = &cfg.command {
        let addr = probe::target(cfg.listen);
        return match probe::probe(addr, args).await {
            Ok(status) => {
                println!("{addr}{}: {status}", args.path);
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("autovoiced probe: {addr}{}: {e}", args.path);
                ExitCode::FAILURE
            }
        };
    }
    tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let list = match &cfg.speakers {
        Some(path) => match speakers::load(path) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "cannot load speakers");
                return ExitCode::from(2);
            }
        },
        None => speakers::builtin(),
    };
    let token = std::env::var(TOKEN_ENV).ok();
    let state = match AppState::new(cfg.clone(), list, token) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot start");
            return ExitCode::from(2);
        }
    };
    tracing::info!(auth = state.token.is_some(), "starting AutoVoice daemon");
    // Chosen before listening, so `--backend cuda` without a device fails the start.
    if let Err(e) = state.select_backend() {
        tracing::error!(error = %e, "cannot start");
        return ExitCode::from(2);
    }
    if let Err(e) = state.connect_shared().await {
        tracing::error!(error = %e, "cannot start");
        return ExitCode::from(2);
    }
    if cfg.skip_models {
        tracing::warn!("--skip-models: the signal path is not loaded; /ready stays 503");
    } else {
        let s = state.clone();
        tokio::task::spawn_blocking(move || s.load_models());
    }
    gpu::spawn(state.clone());
    let listener = match tokio::net::TcpListener::bind(cfg.listen).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(error = %e, listen = %cfg.listen, "cannot listen");
            return ExitCode::from(2);
        }
    };
    let limits = server::Limits::from_config(&cfg);
    tracing::info!(
        listen = %cfg.listen,
        max_connections = limits.max_connections,
        header_timeout_secs = cfg.header_timeout_secs,
        body_timeout_secs = cfg.body_timeout_secs,
        write_timeout_secs = cfg.write_timeout_secs,
        "listening"
    );
    let served = server::serve(listener, router(state), limits, shutdown()).await;
    match served {
        Ok(()) => {
            tracing::info!("shut down cleanly");
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(error = %e, "server failed");
            ExitCode::from(1)
        }
    }
}

/// Resolves on SIGINT or SIGTERM: axum then stops accepting and lets in-flight requests finish.
async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
