//! A PostgreSQL cluster of the test's own (initdb + pg_ctl on a free loopback port), for
//! fault tests that stop and restart the database. Never the machine's shared server.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

pub struct ThrowawayPostgres {
    dir: PathBuf,
    bin: PathBuf,
    pub port: u16,
    as_postgres_user: bool,
}

/// The PostgreSQL server programs' folder: `pg_ctl`'s on PATH, else the newest under
/// `/usr/lib/postgresql`.
pub fn find_bin() -> PathBuf {
    let on_path = Command::new("sh")
        .args(["-c", "command -v pg_ctl"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    if let Some(path) = on_path.filter(|p| !p.is_empty()) {
        let resolved = std::fs::canonicalize(&path).unwrap_or_else(|_| PathBuf::from(&path));
        return resolved.parent().unwrap().to_owned();
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL server binaries (initdb, pg_ctl)")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .collect();
    versions.sort();
    versions
        .pop()
        .expect("a PostgreSQL version under /usr/lib/postgresql")
}

/// Whether the tests run as root (PostgreSQL then runs as the `postgres` user).
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl ThrowawayPostgres {
    pub fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("bff-pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let as_postgres_user = is_root();
        if as_postgres_user {
            let status = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&dir)
                .status()
                .unwrap();
            assert!(status.success(), "chown the cluster folder to postgres");
        }
        // Stopped and started again on this port by the fault tests: keep it out of the
        // ephemeral range so no connection elsewhere in the run can take it meanwhile.
        let port = crate::helpers::quiet_port();
        let pg = Self {
            dir,
            bin: find_bin(),
            port,
            as_postgres_user,
        };
        let data = pg.data_dir();
        pg.run(
            "initdb",
            &["-A", "trust", "-U", "postgres", "--no-sync", "-D", &data],
        );
        pg.start_again();
        pg
    }

    fn data_dir(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let program = self.bin.join(tool);
        let output = if self.as_postgres_user {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&program)
                .args(args)
                .output()
        } else {
            Command::new(&program).args(args).output()
        }
        .unwrap_or_else(|e| panic!("run {}: {e}", program.display()));
        assert!(
            output.status.success(),
            "{tool} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server at once (as a crash would).
    pub fn stop(&self) {
        let data = self.data_dir();
        self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
    }

    pub fn start_again(&self) {
        let data = self.data_dir();
        let log = self.dir.join("log").display().to_string();
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off",
            self.port,
            Path::new(&self.dir).display()
        );
        self.run(
            "pg_ctl",
            &["-D", &data, "-l", &log, "-o", &options, "-w", "start"],
        );
    }
}

impl Drop for ThrowawayPostgres {
    fn drop(&mut self) {
        let data = self.data_dir();
        let program = self.bin.join("pg_ctl");
        let mut command = if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        let _ = command
            .args(["-D", &data, "-m", "immediate", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
