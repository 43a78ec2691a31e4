//! The tools a fresh machine lacks, each checked first and installed only when missing or at
//! the wrong version: the wasm target, trunk, the wasm-bindgen CLI, wasm-opt (npm binaryen),
//! Chromium, nginx (the backend's load-balancer tests), etcd, Patroni and HAProxy (the
//! backend's failover test), and the npm packages of `devidp/` and `e2e/`.

use std::{
    env,
    fs::{self, File},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    thread,
};

use anyhow::{bail, Context, Result};

use crate::{cmd, npm, versions, workspace};

/// What a command needs installed.
#[derive(Clone, Copy, Debug, Default)]
pub struct Needs {
    /// trunk, wasm-bindgen, the wasm target and wasm-opt (a release SPA build).
    pub spa: bool,
    /// Chromium and the e2e npm packages.
    pub browser: bool,
    /// The dev provider's npm packages.
    pub devidp: bool,
    /// nginx, the load balancer in front of two backend processes in the backend's tests
    /// (`backend/tests/api/load_balancer.rs`).
    pub nginx: bool,
    /// etcd, Patroni and HAProxy: the highly available PostgreSQL whose primary the backend's
    /// failover test loses (`backend/tests/api/patroni_cluster.rs`).
    pub failover: bool,
}

impl Needs {
    pub const ALL: Self = Self {
        spa: true,
        browser: true,
        devidp: true,
        nginx: true,
        failover: true,
    };
}

/// A program the backend's tests start, from a Debian package: `variable` names another
/// executable (the tests read the same variable), else Debian's path.
#[derive(Clone, Copy, Debug)]
pub struct AptTool {
    pub name: &'static str,
    pub variable: &'static str,
    pub debian_path: &'static str,
    pub package: &'static str,
}

/// The load balancer of `backend/tests/api/load_balancer.rs`.
pub const NGINX: AptTool = AptTool {
    name: "nginx",
    variable: "NGINX",
    debian_path: "/usr/sbin/nginx",
    package: "nginx",
};

/// The failover test's cluster (`backend/tests/api/patroni_cluster.rs`): its consensus store,
/// its two PostgreSQL nodes' manager and the proxy to the primary.
pub const FAILOVER_TOOLS: [AptTool; 3] = [
    AptTool {
        name: "etcd",
        variable: "ETCD",
        debian_path: "/usr/bin/etcd",
        package: "etcd-server",
    },
    AptTool {
        name: "patroni",
        variable: "PATRONI",
        debian_path: "/usr/bin/patroni",
        package: "patroni",
    },
    AptTool {
        name: "haproxy",
        variable: "HAPROXY",
        debian_path: "/usr/sbin/haproxy",
        package: "haproxy",
    },
];

impl AptTool {
    /// `variable`'s executable, else Debian's.
    pub fn path(&self) -> PathBuf {
        env::var_os(self.variable)
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(self.debian_path))
    }

    /// Whether it must be installed; an error when `variable` names a missing program or apt
    /// cannot help.
    fn missing(&self) -> Result<bool> {
        let (name, variable, package) = (self.name, self.variable, self.package);
        let path = self.path();
        if workspace::is_executable(&path) {
            println!("{name} is installed ({})", path.display());
            return Ok(false);
        }
        if env::var_os(variable).is_some_and(|p| !p.is_empty()) {
            bail!("{variable}={} is not an executable file", path.display());
        }
        if workspace::which("apt-get").is_none() {
            bail!(
                "{name} is missing and this is not a Debian/Ubuntu system: install {name} and \
                 set {variable} to its executable"
            );
        }
        if !workspace::is_root() && workspace::which("sudo").is_none() {
            bail!("{name} is missing: run `apt-get install -y {package}` as root");
        }
        Ok(true)
    }

    /// After apt-get installed it: it must be there now.
    fn check_installed(&self) -> Result<()> {
        let path = self.path();
        if !workspace::is_executable(&path) {
            bail!(
                "apt-get installed {} but {} is missing",
                self.package,
                path.display()
            );
        }
        println!("{} is installed ({})", self.name, path.display());
        Ok(())
    }
}

/// Makes sure everything in `needs` is present. Missing Debian packages (Chromium, nginx,
/// etcd, Patroni, HAProxy) are installed by apt in the background (network and disk bound)
/// while cargo compiles the Rust tools.
pub fn ensure(needs: Needs) -> Result<()> {
    let chromium = needs.browser && chromium_missing()?;
    let mut apt_tools = Vec::new();
    if needs.nginx {
        apt_tools.push(NGINX);
    }
    if needs.failover {
        apt_tools.extend(FAILOVER_TOOLS);
    }
    let mut missing_tools = Vec::new();
    for tool in apt_tools {
        if tool.missing()? {
            missing_tools.push(tool);
        }
    }
    let mut missing = Vec::new();
    let mut packages = Vec::new();
    if chromium {
        missing.push("chromium");
        packages.extend(["chromium", "chromium-driver"]);
    }
    for tool in &missing_tools {
        missing.push(tool.name);
        packages.push(tool.package);
    }
    let apt = if packages.is_empty() {
        None
    } else {
        let log = workspace::target_dir().join("xtask-apt.log");
        println!(
            "{} {} missing: installing {} with apt-get in the background (log: {})",
            missing.join(", "),
            if missing.len() == 1 { "is" } else { "are" },
            packages.join(", "),
            log.display()
        );
        Some(thread::spawn(move || apt_install(&packages, &log)))
    };

    let rest = (|| -> Result<()> {
        if needs.spa {
            wasm_target()?;
            trunk()?;
            wasm_bindgen()?;
            wasm_opt()?;
        }
        if needs.devidp {
            npm::ensure_installed(&workspace::root().join("devidp"))?;
        }
        if needs.browser {
            npm::ensure_installed(&workspace::root().join("e2e"))?;
        }
        Ok(())
    })();

    if let Some(apt) = apt {
        let installed = apt
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the apt-get thread panicked")));
        installed?;
        if chromium {
            let browser = chromium_path();
            if !workspace::is_executable(&browser) {
                bail!(
                    "apt-get installed chromium but {} is missing",
                    browser.display()
                );
            }
            println!("chromium is installed ({})", browser.display());
        }
        for tool in &missing_tools {
            tool.check_installed()?;
        }
    }
    rest
}

/// `rustup target add wasm32-unknown-unknown` unless installed.
pub fn wasm_target() -> Result<()> {
    let installed = cmd::output(Command::new("rustup").args(["target", "list", "--installed"]))
        .context("rustup is needed to add the wasm target (https://rustup.rs)")?;
    if installed.lines().any(|t| t.trim() == versions::WASM_TARGET) {
        println!("rust target {} is installed", versions::WASM_TARGET);
        return Ok(());
    }
    cmd::run(Command::new("rustup").args(["target", "add", versions::WASM_TARGET]))
}

/// trunk at exactly [`versions::TRUNK_VERSION`].
pub fn trunk() -> Result<()> {
    let wanted = versions::TRUNK_VERSION;
    let have = installed_version("trunk");
    if have.as_deref() == Some(wanted) {
        println!("trunk {wanted} is installed");
        return Ok(());
    }
    report_install("trunk", have.as_deref(), wanted);
    cargo_install(&[&format!("trunk@{wanted}"), "--locked"])?;
    verify("trunk", wanted)
}

/// The wasm-bindgen CLI at the version `Cargo.lock` pins for the `wasm-bindgen` crate.
pub fn wasm_bindgen() -> Result<()> {
    let wanted = wasm_bindgen_wanted()?;
    let have = installed_version("wasm-bindgen");
    if have.as_deref() == Some(wanted.as_str()) {
        println!("wasm-bindgen {wanted} is installed");
        return Ok(());
    }
    report_install("wasm-bindgen", have.as_deref(), &wanted);
    // Not --locked: the CLI's lockfile names a crate version the registry no longer has.
    cargo_install(&[&format!("wasm-bindgen-cli@{wanted}")])?;
    verify("wasm-bindgen", &wanted)
}

/// The `wasm-bindgen` version of `Cargo.lock`.
pub fn wasm_bindgen_wanted() -> Result<String> {
    let lock_path = workspace::root().join("Cargo.lock");
    let lock = fs::read_to_string(&lock_path)
        .with_context(|| format!("reading {}", lock_path.display()))?;
    versions::wasm_bindgen_version(&lock).context("Cargo.lock locks no `wasm-bindgen`")
}

/// wasm-opt from npm `binaryen` in `xtask/tools/` (on PATH, see [`workspace::prepare_env`]).
pub fn wasm_opt() -> Result<()> {
    npm::ensure_installed(&workspace::tools_dir())?;
    let wasm_opt = workspace::tools_dir().join("node_modules/.bin/wasm-opt");
    let out = cmd::output(Command::new(&wasm_opt).arg("--version"))
        .with_context(|| format!("running {}", wasm_opt.display()))?;
    let major = versions::version_in_output(&out).unwrap_or_default();
    if major != versions::BINARYEN_MAJOR.to_string() {
        bail!(
            "wasm-opt reports `{}`, expected version {} (xtask/tools/package.json)",
            out.trim(),
            versions::BINARYEN_MAJOR
        );
    }
    println!("wasm-opt {major} is installed (npm binaryen)");
    Ok(())
}

/// The Chromium the e2e tests drive (`E2E_CHROMIUM`, default Debian's `/usr/bin/chromium`).
pub fn chromium_path() -> PathBuf {
    env::var_os("E2E_CHROMIUM")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// Whether Chromium (and chromedriver) must be installed; an error when `E2E_CHROMIUM`
/// names a missing browser or apt cannot help.
fn chromium_missing() -> Result<bool> {
    let browser = chromium_path();
    let custom = env::var_os("E2E_CHROMIUM").is_some_and(|p| !p.is_empty());
    let driver = Path::new("/usr/bin/chromedriver");
    if workspace::is_executable(&browser) && (custom || workspace::is_executable(driver)) {
        println!("chromium is installed ({})", browser.display());
        return Ok(false);
    }
    if custom {
        bail!(
            "E2E_CHROMIUM={} is not an executable file",
            browser.display()
        );
    }
    if workspace::which("apt-get").is_none() {
        bail!(
            "Chromium is missing and this is not a Debian/Ubuntu system: install Chromium and \
             set E2E_CHROMIUM to its executable"
        );
    }
    if !workspace::is_root() && workspace::which("sudo").is_none() {
        bail!("Chromium is missing: run `apt-get install -y chromium chromium-driver` as root");
    }
    Ok(true)
}

/// The nginx the backend's load-balancer tests start (`NGINX`, default Debian's
/// `/usr/sbin/nginx`; the tests read the same variable).
pub fn nginx_path() -> PathBuf {
    NGINX.path()
}

/// `apt-get update && apt-get install -y <packages>` (sudo unless root), with the output in
/// `log`. Browser tools never download a browser of their own.
fn apt_install(packages: &[&str], log: &Path) -> Result<()> {
    if let Some(dir) = log.parent() {
        fs::create_dir_all(dir)?;
    }
    let file = File::create(log).with_context(|| format!("creating {}", log.display()))?;
    let install: Vec<&str> = ["install", "-y"]
        .into_iter()
        .chain(packages.iter().copied())
        .collect();
    for args in [&["update"][..], &install[..]] {
        let mut apt = if workspace::is_root() {
            Command::new("apt-get")
        } else {
            let mut sudo = Command::new("sudo");
            sudo.args(["-n", "apt-get"]);
            sudo
        };
        apt.args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file.try_clone()?);
        let status = apt
            .status()
            .with_context(|| format!("could not start `{}`", cmd::display(&apt)))?;
        if !status.success() {
            bail!(
                "`{}` failed ({status}); its output:\n{}",
                cmd::display(&apt),
                crate::process::tail_lines(log, 30)
            );
        }
    }
    Ok(())
}

fn installed_version(program: &str) -> Option<String> {
    let out = cmd::probe(Command::new(program).arg("--version"))?;
    versions::version_in_output(&out).map(str::to_owned)
}

/// After an install: the program found on PATH must now be the wanted version.
fn verify(program: &str, wanted: &str) -> Result<()> {
    let have = installed_version(program);
    if have.as_deref() == Some(wanted) {
        return Ok(());
    }
    let found = workspace::which(program)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "nothing".to_owned());
    bail!(
        "installed {program} {wanted}, but `{program}` on PATH ({found}) reports {}: put \
         cargo's bin folder first on PATH or remove the other copy",
        have.as_deref().unwrap_or("no version")
    )
}

fn report_install(tool: &str, have: Option<&str>, wanted: &str) {
    match have {
        Some(have) => println!("{tool} {have} is installed but {wanted} is required: installing"),
        None => println!("{tool} is missing: installing {wanted} (several minutes, once)"),
    }
}

fn cargo_install(args: &[&str]) -> Result<()> {
    let mut cmd = Command::new(workspace::cargo());
    // Outside the workspace, so its config and lockfile play no part.
    cmd.arg("install").args(args).current_dir(env::temp_dir());
    cmd::run(&mut cmd)
}
