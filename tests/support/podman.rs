//! A podman engine of the test's own (configuration, storage and networks under one folder,
//! never the machine's default ones), the Debian base image made with debootstrap, and image
//! builds: what it takes to run the compose stack on a machine with no Docker engine and no
//! reachable registry.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

/// The engine's folders and the environment that points podman at them.
pub struct Engine {
    pub home: PathBuf,
    env: Vec<(&'static str, PathBuf)>,
}

/// podman's settings on these machines (measured 2026-12-01): crun cannot run with cgroups in
/// hybrid mode and the default ulimits are refused without CAP_SYS_RESOURCE; with no systemd,
/// cgroups are managed directly and events go to a file. Its networks take subnets of their own:
/// a default podman on the same machine bridges 10.88.0.0/16, and two bridges with one subnet
/// leave containers without a route (measured here: no DNS inside image builds).
fn containers_conf(run: &Path, home: &Path) -> String {
    format!(
        "# written by the stack test; see tests/support/podman.rs\n\
         [containers]\n\
         default_ulimits = [\"nofile=20000:20000\", \"nproc=32768:32768\"]\n\
         [engine]\n\
         runtime = \"runc\"\n\
         cgroup_manager = \"cgroupfs\"\n\
         events_logger = \"file\"\n\
         tmp_dir = \"{}\"\n\
         [network]\n\
         network_backend = \"netavark\"\n\
         network_config_dir = \"{}\"\n\
         default_subnet = \"10.213.0.0/24\"\n\
         default_subnet_pools = [{{\"base\" = \"10.214.0.0/16\", \"size\" = 24}}]\n",
        run.join("libpod").display(),
        home.join("networks").display()
    )
}

fn storage_conf(run: &Path, home: &Path) -> String {
    format!(
        "[storage]\ndriver = \"overlay\"\ngraphroot = \"{}\"\nrunroot = \"{}\"\n",
        home.join("storage").display(),
        run.join("storage").display()
    )
}

/// Short names (`redis:7.2-alpine`) resolve as Docker resolves them, without a prompt.
const REGISTRIES_CONF: &str =
    "unqualified-search-registries = [\"docker.io\"]\nshort-name-mode = \"permissive\"\n";

/// Writes `text` to `path` through a temporary file, so a reader never sees half of it.
fn write_atomic(path: &Path, text: &str) -> Result<(), String> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Runs `cmd`; its stdout on success, else an error with the command and its stderr.
pub fn run(mut cmd: Command) -> Result<String, String> {
    let started = Instant::now();
    let out: Output = cmd.output().map_err(|e| format!("cannot run {:?}: {e}", cmd.get_program()))?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    let args: Vec<_> = cmd.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
    Err(format!(
        "`{} {}` failed ({}, after {:.0} s):\n{}{}",
        cmd.get_program().to_string_lossy(),
        args.join(" "),
        out.status,
        started.elapsed().as_secs_f64(),
        tail(&String::from_utf8_lossy(&out.stdout), 20),
        tail(&String::from_utf8_lossy(&out.stderr), 40)
    ))
}

/// The last `n` lines of `text`.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = lines[lines.len().saturating_sub(n)..].join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// The first Debian mirror apt uses here (what debootstrap fetches from), unless
/// `AUTOVOICE_DEBIAN_MIRROR` names one.
fn debian_mirror() -> String {
    if let Ok(m) = std::env::var("AUTOVOICE_DEBIAN_MIRROR") {
        return m;
    }
    let mut texts = Vec::new();
    for dir in ["/etc/apt/sources.list.d", "/etc/apt"] {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        texts.extend(paths.iter().filter_map(|p| std::fs::read_to_string(p).ok()));
    }
    let found = texts.iter().flat_map(|t| t.lines()).find_map(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["URIs:", uri, ..] if !uri.contains("security") => Some((*uri).to_owned()),
            ["deb", uri, suite, ..] if !suite.contains("security") => Some((*uri).to_owned()),
            _ => None,
        }
    });
    found.unwrap_or_else(|| "http://deb.debian.org/debian".to_owned())
}

impl Engine {
    /// The engine under `AUTOVOICE_PODMAN_HOME` (default `~/.cache/autovoice/podman`), kept
    /// between runs so the base image and build layers are reused on the same machine.
    pub fn prepare() -> Result<Self, String> {
        let home = match std::env::var_os("AUTOVOICE_PODMAN_HOME") {
            Some(h) => PathBuf::from(h),
            None => {
                let cache = std::env::var_os("XDG_CACHE_HOME")
                    .map(PathBuf::from)
                    .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")));
                cache
                    .ok_or("neither AUTOVOICE_PODMAN_HOME, XDG_CACHE_HOME nor HOME is set")?
                    .join("autovoice/podman")
            }
        };
        // Run state belongs on a filesystem emptied at boot, as podman expects.
        let run_base =
            std::env::var_os("XDG_RUNTIME_DIR").map_or_else(|| PathBuf::from("/run"), PathBuf::from);
        let run = run_base.join("autovoice-podman");
        for dir in [&home, &home.join("networks"), &run] {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let files = [
            ("CONTAINERS_CONF", "containers.conf", containers_conf(&run, &home)),
            ("CONTAINERS_STORAGE_CONF", "storage.conf", storage_conf(&run, &home)),
            ("CONTAINERS_REGISTRIES_CONF", "registries.conf", REGISTRIES_CONF.to_owned()),
        ];
        let mut env = Vec::new();
        for (var, name, text) in files {
            let path = home.join(name);
            write_atomic(&path, &text)?;
            env.push((var, path));
        }
        Ok(Self { home, env })
    }

    /// `program` with the engine's environment.
    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// `podman ARGS`, its stdout.
    pub fn podman(&self, args: &[&str]) -> Result<String, String> {
        let mut cmd = self.command("podman");
        cmd.args(args);
        run(cmd)
    }

    pub fn image_exists(&self, name: &str) -> bool {
        self.command("podman").args(["image", "exists", name]).status().is_ok_and(|s| s.success())
    }

    /// Makes `name` (the Dockerfile's `debian:bookworm-slim`) from the Debian mirror unless the
    /// engine has it: debootstrap's minimal system, with what Docker's Debian images add (no
    /// services started by package scripts, no documentation installed).
    pub fn ensure_base(&self, name: &str) -> Result<bool, String> {
        if self.image_exists(name) {
            return Ok(false);
        }
        let root = self.home.join("debootstrap");
        if root.exists() {
            std::fs::remove_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
        }
        let mut boot = Command::new("debootstrap");
        boot.args(["--variant=minbase", "bookworm"]).arg(&root).arg(debian_mirror());
        run(boot)?;
        let add = [
            (
                "usr/sbin/policy-rc.d",
                "#!/bin/sh\n# Package scripts start no services in an image build.\nexit 101\n",
            ),
            (
                "etc/dpkg/dpkg.cfg.d/slim",
                "path-exclude /usr/share/doc/*\npath-include /usr/share/doc/*/copyright\npath-exclude /usr/share/man/*\npath-exclude /usr/share/info/*\n",
            ),
            (
                "etc/apt/apt.conf.d/slim",
                "APT::Install-Recommends \"false\";\nAPT::Install-Suggests \"false\";\n",
            ),
        ];
        for (rel, text) in add {
            let path = root.join(rel);
            std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        let rc = root.join("usr/sbin/policy-rc.d");
        std::fs::set_permissions(&rc, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("{}: {e}", rc.display()))?;
        // debootstrap's downloaded packages and lists are not part of an image.
        for dir in ["var/cache/apt/archives", "var/lib/apt/lists"] {
            let entries = std::fs::read_dir(root.join(dir)).map_err(|e| format!("{dir}: {e}"))?;
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_file() {
                    std::fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                }
            }
        }
        let mut import = self.command("sh");
        import.arg("-c").arg(format!(
            "tar -C '{}' -c . | podman import --change 'CMD [\"bash\"]' - '{name}'",
            root.display()
        ));
        run(import)?;
        std::fs::remove_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
        Ok(true)
    }

    /// `podman build` of `target` in `file` with `context`, tagged `tag`; never pulls. Docker's
    /// image format, as `docker build` makes, since OCI's has no HEALTHCHECK.
    pub fn build(&self, file: &Path, context: &Path, target: &str, tag: &str) -> Result<(), String> {
        let mut cmd = self.command("podman");
        cmd.args([
            "build",
            "--pull=never",
            "--layers",
            "--format",
            "docker",
            "-q",
            "--target",
            target,
            "-t",
            tag,
            "-f",
        ])
        .arg(file)
        .arg(context);
        run(cmd).map(|_| ())
    }
}
