//! GPU gauges from NVML, sampled in a background task at a fixed interval (never on the scrape
//! path). Without NVML the daemon says so once and the gauges stay absent.

use crate::state::AppState;
use std::time::Duration;

pub fn spawn(state: AppState) {
    let interval = Duration::from_secs_f64(state.cfg.gpu_poll_secs.max(0.5));
    tokio::spawn(async move {
        let nvml = match tokio::task::spawn_blocking(nvml_wrapper::Nvml::init).await {
            Ok(Ok(n)) => n,
            Ok(Err(e)) => {
                tracing::info!(error = %e, "NVML unavailable: GPU gauges will be absent");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "NVML probe failed");
                return;
            }
        };
        let nvml = std::sync::Arc::new(nvml);
        let count = nvml.device_count().unwrap_or(0);
        tracing::info!(devices = count, "NVML available: sampling GPU gauges");
        // Children resolved once per device; the loop only sets values.
        let m = &state.metrics;
        let handles: Vec<_> = (0..count)
            .map(|i| {
                let id = i.to_string();
                (
                    i,
                    m.gpu_memory_used_bytes.resolve(&id),
                    m.gpu_utilization_percent.resolve(&id),
                    m.gpu_temperature_celsius.resolve(&id),
                )
            })
            .collect();
        let mut tick = tokio::time::interval(interval);
        loop {
            tick.tick().await;
            let n = nvml.clone();
            let samples = tokio::task::spawn_blocking(move || {
                (0..count)
                    .map(|i| {
                        let d = n.device_by_index(i).ok()?;
                        let mem = d.memory_info().ok()?.used as f64;
                        let util = f64::from(d.utilization_rates().ok()?.gpu);
                        let temp = f64::from(
                            d.temperature(nvml_wrapper::enum_wrappers::device::TemperatureSensor::Gpu)
                                .ok()?,
                        );
                        Some((mem, util, temp))
                    })
                    .collect::<Vec<_>>()
            })
            .await
            .unwrap_or_default();
            for ((_, mem, util, temp), s) in handles.iter().zip(samples) {
                if let Some((a, b, c)) = s {
                    mem.set(a);
                    util.set(b);
                    temp.set(c);
                }
            }
        }
    });
}
