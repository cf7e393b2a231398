//! How `check-live` reaches a target as its scrape job does: the job's scheme, credentials and
//! TLS files (or local copies named by flags, since the spec's paths are where Prometheus
//! runs), a timeout and a cap on what it reads.

use super::http::Access;
use avspec::{ScrapeJob, ScrapeScheme, Sp};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(clap::Args, Debug, Clone)]
pub struct AccessFlags {
    /// A local copy of the job's `bearer_token_file`.
    #[arg(long, value_name = "FILE")]
    pub bearer_token_file: Option<PathBuf>,
    /// A local copy of the job's basic-auth `password_file`.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// A local copy of the job's `ca_file` (PEM).
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// A local copy of the job's client `cert_file` (PEM).
    #[arg(long, value_name = "FILE")]
    pub cert_file: Option<PathBuf>,
    /// A local copy of the job's client `key_file` (PEM).
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// Accept any certificate, as the job's `insecure_skip_verify` does.
    #[arg(long)]
    pub insecure_skip_verify: bool,
    /// Seconds for the whole scrape: connecting, TLS, headers and body.
    #[arg(long, default_value_t = 10.0, value_parser = seconds)]
    pub timeout_secs: f64,
    /// Most bytes of exposition read (after gzip); a larger answer is refused.
    #[arg(long, default_value_t = 32 * 1024 * 1024)]
    pub max_bytes: u64,
}

impl Default for AccessFlags {
    fn default() -> Self {
        Self {
            bearer_token_file: None,
            password_file: None,
            ca_file: None,
            cert_file: None,
            key_file: None,
            insecure_skip_verify: false,
            timeout_secs: 10.0,
            max_bytes: 32 * 1024 * 1024,
        }
    }
}

impl AccessFlags {
    pub fn timeout(&self) -> Duration {
        Duration::from_secs_f64(self.timeout_secs)
    }
}

fn seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v < 1e6 => Ok(v),
        _ => Err(format!("`{s}` is not a positive number of seconds")),
    }
}

/// The file the flag names, else the job's; read whole.
fn read(
    flag: Option<&Path>,
    spec: Option<&Sp<String>>,
    field: &str,
    job: &str,
) -> Result<Option<Vec<u8>>, String> {
    let flag_name = field.replace('_', "-");
    let path = match (flag, spec) {
        (Some(p), _) => p.to_path_buf(),
        (None, Some(p)) => PathBuf::from(&p.value),
        (None, None) => return Ok(None),
    };
    std::fs::read(&path).map(Some).map_err(|e| match (flag, spec) {
        (None, Some(_)) => format!(
            "job `{job}`'s {field} `{}` cannot be read here ({e}); it is a path where Prometheus runs: pass a local copy with --{flag_name}",
            path.display()
        ),
        _ => format!("--{flag_name} `{}`: {e}", path.display()),
    })
}

fn text(bytes: Vec<u8>, what: &str) -> Result<String, String> {
    String::from_utf8(bytes).map(|s| s.trim().to_owned()).map_err(|_| format!("the {what} is not UTF-8 text"))
}

/// The job's access with the flags' local files in place of its paths.
pub fn resolve(job: &ScrapeJob, flags: &AccessFlags) -> Result<Access, String> {
    let a = &job.access;
    let name = job.name.value.as_str();
    let tls = a.tls.as_ref();
    let bearer =
        read(flags.bearer_token_file.as_deref(), a.bearer_token_file.as_ref(), "bearer_token_file", name)?;
    let basic = match &a.basic_auth {
        Some(b) => {
            let pass = read(flags.password_file.as_deref(), Some(&b.password_file), "password_file", name)?;
            Some((b.username.value.clone(), text(pass.unwrap_or_default(), "password file")?))
        }
        None => None,
    };
    let ca = read(flags.ca_file.as_deref(), tls.and_then(|t| t.ca_file.as_ref()), "ca_file", name)?;
    let cert = read(flags.cert_file.as_deref(), tls.and_then(|t| t.cert_file.as_ref()), "cert_file", name)?;
    let key = read(flags.key_file.as_deref(), tls.and_then(|t| t.key_file.as_ref()), "key_file", name)?;
    let client_pem = match (cert, key) {
        (Some(c), Some(k)) => Some((c, k)),
        (None, None) => None,
        _ => return Err("a client certificate needs both its cert_file and its key_file".to_owned()),
    };
    Ok(Access {
        bearer_token: bearer.map(|b| text(b, "bearer token file")).transpose()?,
        basic,
        ca_pem: ca,
        client_pem,
        insecure_skip_verify: flags.insecure_skip_verify
            || tls.and_then(|t| t.insecure_skip_verify.as_ref()).is_some_and(|v| v.value),
    })
}

/// `url` with the job's scheme when it names none.
pub fn url_for(job: &ScrapeJob, url: &str) -> String {
    if url.contains("://") {
        url.to_owned()
    } else {
        let scheme = if job.access.scheme() == ScrapeScheme::Https { "https" } else { "http" };
        format!("{scheme}://{url}")
    }
}
