//! The alerting half of the end-to-end test: a webhook receiver on loopback that records every
//! notification Alertmanager sends, and a client for Alertmanager's v2 API (post alerts, read
//! their inhibition state) used to check avctl's inhibition model against the real thing.

use avctl::live::http;
use avctl::routing::matcher::LabelMap;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One notification: the receiver (the URL path after `/`) and Alertmanager's JSON payload.
#[derive(Debug, Clone)]
pub struct Notification {
    pub receiver: String,
    pub body: Value,
}

impl Notification {
    /// `(status, labels, annotations)` of each alert in the notification.
    pub fn alerts(&self) -> Vec<(String, Value, Value)> {
        self.body["alerts"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|x| {
                        (
                            x["status"].as_str().unwrap_or("").to_owned(),
                            x["labels"].clone(),
                            x["annotations"].clone(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A webhook receiver: every POST is answered 200 and recorded.
pub struct Webhook {
    pub port: u16,
    seen: Arc<Mutex<Vec<Notification>>>,
}

fn read_request(stream: &mut TcpStream) -> Result<(String, Vec<u8>), String> {
    let mut reader = BufReader::new(stream.try_clone().map_err(|e| e.to_string())?);
    let mut line = String::new();
    reader.read_line(&mut line).map_err(|e| e.to_string())?;
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let mut length = 0;
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).map_err(|e| e.to_string())?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().map_err(|e| format!("content-length: {e}"))?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).map_err(|e| e.to_string())?;
    Ok((path, body))
}

impl Webhook {
    pub fn start() -> Result<Self, String> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("webhook bind: {e}"))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let Ok((path, body)) = read_request(&mut stream) else { continue };
                let _ =
                    stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                if let Ok(body) = serde_json::from_slice(&body)
                    && let Ok(mut seen) = sink.lock()
                {
                    seen.push(Notification { receiver: path.trim_start_matches('/').to_owned(), body });
                }
            }
        });
        Ok(Self { port, seen })
    }

    pub fn notifications(&self) -> Vec<Notification> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The first notification to `receiver` carrying `alertname` with `status`, and that alert's
    /// labels and annotations.
    pub fn find(&self, receiver: &str, alertname: &str, status: &str) -> Option<(Value, Value)> {
        self.notifications().iter().filter(|n| n.receiver == receiver).find_map(|n| {
            n.alerts()
                .into_iter()
                .find(|(s, l, _)| s == status && l["alertname"] == alertname)
                .map(|(_, l, a)| (l, a))
        })
    }

    /// Receivers that were told about `alertname`, in any state.
    pub fn receivers_of(&self, alertname: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .notifications()
            .iter()
            .filter(|n| n.alerts().iter().any(|(_, l, _)| l["alertname"] == alertname))
            .map(|n| n.receiver.clone())
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// Alertmanager's v2 API at `base` (`http://127.0.0.1:PORT`).
pub struct Alertmanager {
    pub base: String,
}

/// Now plus `offset_secs`, as Alertmanager's API wants timestamps.
fn rfc3339(offset_secs: i64) -> String {
    (chrono::Utc::now() + chrono::TimeDelta::seconds(offset_secs))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl Alertmanager {
    /// Posts alerts that fire now and end in an hour, or (`resolve`) ended a minute ago.
    pub fn post(&self, alerts: &[LabelMap], resolve: bool) -> Result<(), String> {
        let body: Vec<Value> = alerts
            .iter()
            .map(|l| {
                let mut a = serde_json::json!({"labels": l, "startsAt": rfc3339(-120)});
                a["endsAt"] = Value::String(rfc3339(if resolve { -60 } else { 3600 }));
                a
            })
            .collect();
        let body = serde_json::to_vec(&body).map_err(|e| e.to_string())?;
        let r = http::request(
            "POST",
            &format!("{}/api/v2/alerts", self.base),
            &[("Content-Type", "application/json")],
            &body,
            Duration::from_secs(10),
        )?;
        if r.status != 200 {
            return Err(format!("POST /api/v2/alerts: HTTP {}: {}", r.status, r.text()));
        }
        Ok(())
    }

    /// Every active alert's labels and whether Alertmanager reports it inhibited.
    pub fn alerts(&self) -> Result<Vec<(LabelMap, bool)>, String> {
        let r = http::get(&format!("{}/api/v2/alerts", self.base), Duration::from_secs(10))?;
        let v: Value = serde_json::from_slice(&r.body).map_err(|e| format!("alerts JSON: {e}"))?;
        Ok(v.as_array()
            .map(|a| {
                a.iter()
                    .map(|x| {
                        let labels: LabelMap =
                            serde_json::from_value(x["labels"].clone()).unwrap_or_default();
                        let inhibited = x["status"]["inhibitedBy"].as_array().is_some_and(|i| !i.is_empty());
                        (labels, inhibited)
                    })
                    .collect()
            })
            .unwrap_or_default())
    }
}
