//! `avctl check-live URL`: scrape a running target's `/metrics` as its job does (scheme,
//! credentials, TLS) and compare it with the spec.

pub mod access;
pub mod compare;
pub mod expo;
pub mod http;

use crate::cmd::{CANNOT_RUN, Ctx, FINDINGS, OK};
use avspec::Format;
use avspec::index::Index;

/// The job to compare against: the one named, else the enabled job whose targets include the
/// URL's `host:port`, else the job scraping the application source.
pub fn pick_job(index: &Index<'_>, url: &str, named: Option<&str>) -> Result<String, String> {
    if let Some(n) = named {
        return if index.jobs.contains_key(n) {
            Ok(n.to_owned())
        } else {
            let hint = avspec::suggest::closest(n, index.jobs.keys().copied())
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            Err(format!("the spec has no scrape job `{n}`{hint}"))
        };
    }
    let host = http::split_url(url)?.0;
    let jobs = &index.spec.prometheus.jobs;
    if let Some(j) = jobs.iter().find(|j| j.enabled.value && j.targets.iter().any(|t| t.value == host)) {
        return Ok(j.name.value.clone());
    }
    let app = index.spec.sources.iter().find(|s| s.kind.value == avspec::SourceKind::Application);
    jobs.iter()
        .find(|j| app.is_some_and(|a| a.name.value == j.source.value))
        .map(|j| j.name.value.clone())
        .ok_or_else(|| {
            "no scrape job matches the URL and none scrapes the application; pass --job".to_owned()
        })
}

pub fn check_live(
    ctx: &Ctx,
    url: &str,
    job: Option<&str>,
    flags: &access::AccessFlags,
    format: Format,
    quiet: bool,
) -> u8 {
    let resolved = crate::resolved::Resolved::load(ctx);
    let checked = resolved.check_for(ctx);
    let Some(index) = checked.usable("fix them before comparing a live target") else {
        return CANNOT_RUN;
    };
    let run = || -> Result<_, String> {
        let job = pick_job(index, url, job)?;
        let spec_job = index
            .jobs
            .get(job.as_str())
            .copied()
            .ok_or_else(|| format!("the spec has no scrape job `{job}`"))?;
        let url = access::url_for(spec_job, url);
        let url = if http::split_url(&url)?.1 == "/" {
            format!("{}{}", url.trim_end_matches('/'), spec_job.metrics_path.value)
        } else {
            url
        };
        let client = http::Client::new(&access::resolve(spec_job, flags)?, flags.timeout(), flags.max_bytes)?;
        let r = client.request("GET", &url, &[("accept", "text/plain;version=0.0.4")], &[])?;
        if r.status != 200 {
            return Err(format!("GET {url}: HTTP {}", r.status));
        }
        let families = expo::parse(&r.text()).map_err(|e| format!("{url}: {e}"))?;
        let (found, cov) = compare::compare(index, &job, &families)?;
        Ok((job, url, found, cov))
    };
    let (job, url, mut found, cov) = match run() {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {e}");
            return CANNOT_RUN;
        }
    };
    avspec::diag::sort(&mut found);
    print!("{}", avspec::diag::render(&found, &resolved.sources, format));
    let (errors, warnings, infos) = avspec::diag::counts(&found);
    if format == Format::Text && !quiet {
        eprint!("{}", compare::report(&job, &cov));
    }
    if format == Format::Text {
        eprintln!("{url}: {errors} errors, {warnings} warnings, {infos} notes");
    }
    if errors > 0 { FINDINGS } else { OK }
}
