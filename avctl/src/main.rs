//! `avctl`: generate and validate AutoVoice's monitoring stack from the spec.

use avctl::{cmd, emit};

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(
    name = "avctl",
    version,
    about = "Generate and validate AutoVoice's monitoring stack from one spec"
)]
struct Cli {
    /// Directory holding the spec's YAML files.
    #[arg(long, global = true, default_value = "specs", env = "AVCTL_SPEC")]
    spec: PathBuf,
    /// Directory of Grafana's dashboard JSON Schemas that generated dashboards and panel units
    /// are checked against [default: `.tools/grafana-schemas/<version>` beside the spec
    /// directory, where scripts/setup.sh derives them from npm @grafana/schema].
    #[arg(long, global = true, env = "AVCTL_GRAFANA_SCHEMAS")]
    grafana_schemas: Option<PathBuf>,
    /// Overlay file applied on top of the spec (an environment: dev, e2e, prod, ...);
    /// repeatable, applied in order. See specs/overlays/.
    #[arg(long, global = true, value_name = "FILE")]
    overlay: Vec<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum FormatArg {
    Text,
    Json,
    Github,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check the spec and everything derived from it; exit 1 on errors.
    Validate {
        #[arg(long, value_enum, default_value = "text")]
        format: FormatArg,
        /// Fail on warnings too.
        #[arg(long)]
        deny_warnings: bool,
        /// Print what a diagnostic code checks and why, then exit.
        #[arg(long, value_name = "CODE")]
        explain: Option<String>,
        /// List notes (severity info) too; by default text output counts them on one line.
        #[arg(long, short = 'v', visible_alias = "verbose")]
        notes: bool,
    },
    /// Write prometheus.yml, rules, Grafana dashboards and provisioning, docker-compose.yml, docs.
    Generate {
        /// Root the files are written under (`generated/...` and `docker-compose.yml`).
        #[arg(long, default_value = ".")]
        out: PathBuf,
        /// Write nothing; exit 1 listing each file that differs from the spec's output.
        #[arg(long)]
        check: bool,
        /// Print nothing on success.
        #[arg(long, short)]
        quiet: bool,
        /// Directory of handlebars templates overriding the built-in docs templates.
        #[arg(long)]
        templates: Option<PathBuf>,
        /// Synthesize the alert unit tests even when the previous output's tests were made
        /// from the same rules and metrics (they are otherwise reused; see the README).
        #[arg(long)]
        no_cache: bool,
    },
    /// Generate the alert unit tests and run them with `promtool test rules`, and the routing
    /// tests with `amtool` (when the spec routes alerts); per-alert report.
    Test {
        /// The promtool executable.
        #[arg(long, default_value = "promtool", env = "AVCTL_PROMTOOL")]
        promtool: PathBuf,
        /// The amtool executable (Alertmanager 0.25).
        #[arg(long, default_value = "amtool", env = "AVCTL_AMTOOL")]
        amtool: PathBuf,
        /// Print only failures and the summary.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Scrape a running target's /metrics and compare it with the spec: missing or undeclared
    /// families, type/help/bucket drift, labels and values outside their domains, cardinality.
    /// Exit 1 on drift.
    CheckLive {
        /// The target, e.g. `http://127.0.0.1:5000` (the job's metrics path is added) or a full
        /// `/metrics` URL.
        url: String,
        /// The scrape job whose source to compare with (default: the job listing this target,
        /// else the one scraping the application).
        #[arg(long)]
        job: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: FormatArg,
        /// Print only findings and the summary, not the coverage report.
        #[arg(long, short)]
        quiet: bool,
        #[command(flatten)]
        access: avctl::live::access::AccessFlags,
    },
    /// Draw every dashboard (or `--dashboard UID`) as Grafana lays it out, from a Prometheus
    /// server's data over a range or from fixture series, with no Grafana server; writes one
    /// image per dashboard and `render-report.json` (what each panel showed) into `--out`.
    Render(cmd::render::Options),
    /// Print the JSON Schema of spec files.
    Schema,
    /// Write a synthetic spec of the given size (for benchmarks).
    #[command(hide = true)]
    Synth {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 10_000)]
        metrics: usize,
        #[arg(long, default_value_t = 5_000)]
        alerts: usize,
        #[arg(long, default_value_t = 100)]
        dashboards: usize,
        #[arg(long, default_value_t = 20)]
        panels: usize,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let grafana_schemas = cli.grafana_schemas.or_else(|| {
        let dir = avctl::grafana_check::default_dir(&cli.spec);
        dir.join("dashboard.jsonschema.json").is_file().then_some(dir)
    });
    let ctx = cmd::Ctx { spec: cli.spec, grafana_schemas, overlays: cli.overlay };
    let code = match cli.command {
        Command::Validate { format, deny_warnings, explain, notes } => match explain {
            Some(code) => cmd::explain(&code),
            None => cmd::validate(&ctx, to_format(format), deny_warnings, notes),
        },
        Command::Generate { out, check, quiet, templates, no_cache } => {
            let prior = (!no_cache).then(|| out.clone());
            cmd::generate(&ctx, &out, check, quiet, &emit::GenOptions { templates, prior })
        }
        Command::Test { promtool, amtool, quiet } => cmd::test::test(&ctx, &promtool, &amtool, quiet),
        Command::CheckLive { url, job, format, quiet, access } => {
            avctl::live::check_live(&ctx, &url, job.as_deref(), &access, to_format(format), quiet)
        }
        Command::Render(o) => cmd::render::run(&ctx, &o),
        Command::Schema => cmd::schema(),
        Command::Synth { out, metrics, alerts, dashboards, panels } => {
            let size = avctl::bench_spec::Size { metrics, alerts, dashboards, panels_per_dashboard: panels };
            match avctl::bench_spec::write(&out, size) {
                Ok(()) => cmd::OK,
                Err(e) => {
                    eprintln!("error: cannot write `{}`: {e}", out.display());
                    cmd::CANNOT_RUN
                }
            }
        }
    };
    ExitCode::from(code)
}

fn to_format(f: FormatArg) -> avspec::Format {
    match f {
        FormatArg::Text => avspec::Format::Text,
        FormatArg::Json => avspec::Format::Json,
        FormatArg::Github => avspec::Format::Github,
    }
}
