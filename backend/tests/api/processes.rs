//! The backend binary as an OS process of its own (replicas, a load balancer in front of
//! them, signals): started with an explicit environment in an empty working directory, ready
//! once its session cache listens for changes, killed when dropped.

use std::{
    path::{Path, PathBuf},
    pin::Pin,
    process::Stdio,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use reqwest::StatusCode;
use tokio::{
    io::{AsyncBufReadExt, AsyncRead, BufReader},
    task::JoinHandle,
};

use crate::helpers::{random_code, Browser};

/// The backend binary, running as a process of its own.
pub struct BackendProcess {
    /// `http://localhost:PORT` (the cookie jar keys cookies by host, so a browser's cookies
    /// for a public `http://localhost:…` origin are sent here too).
    pub address: String,
    /// The loopback port it listens on (`127.0.0.1:PORT`).
    pub port: u16,
    output: Arc<Mutex<String>>,
    /// The tasks copying its stdout and stderr into `output` (awaited once it has exited).
    readers: Mutex<Vec<JoinHandle<()>>>,
    child: Mutex<tokio::process::Child>,
    _workdir: TempDir,
}

/// A private temporary directory (mode 0700), removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> Self {
        use std::os::unix::fs::DirBuilderExt;
        let path = std::env::temp_dir().join(format!("{prefix}-{}", random_code()));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl BackendProcess {
    /// Starts `backend` on `127.0.0.1:port` with `env` (on top of `RUST_LOG=warn`; nothing
    /// is inherited but `PATH`, and the working directory is empty, so no developer's `.env`
    /// is read) and waits until it is ready and its session cache listens for changes (or is
    /// off). Panics with its output if it exits first.
    pub async fn start(port: u16, env: &[(&str, String)]) -> Self {
        let workdir = TempDir::new("bff-replica");
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_backend"))
            .current_dir(workdir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RUST_LOG", "warn")
            .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the backend binary");
        // Its output (logs on stdout, start-up errors on stderr), kept to explain a failure
        // and for tests of the logs themselves.
        let output = Arc::new(Mutex::new(String::new()));
        let streams: [Pin<Box<dyn AsyncRead + Send>>; 2] = [
            Box::pin(child.stdout.take().unwrap()),
            Box::pin(child.stderr.take().unwrap()),
        ];
        let readers = streams
            .into_iter()
            .map(|stream| {
                let sink = output.clone();
                tokio::spawn(async move {
                    let mut lines = BufReader::new(stream).lines();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let mut output = sink.lock().unwrap();
                        output.push_str(&line);
                        output.push('\n');
                    }
                })
            })
            .collect();
        let process = Self {
            address: format!("http://localhost:{port}"),
            port,
            output,
            readers: Mutex::new(readers),
            child: Mutex::new(child),
            _workdir: workdir,
        };
        process.wait_until_listening().await;
        process
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Everything the process printed so far.
    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// The process id (to send it signals).
    pub fn pid(&self) -> u32 {
        self.child.lock().unwrap().id().expect("running")
    }

    /// Until the process exits (after a signal, say); its exit status.
    pub async fn wait(&mut self) -> std::process::ExitStatus {
        let status = tokio::time::timeout(
            Duration::from_secs(30),
            self.child.get_mut().unwrap().wait(),
        )
        .await
        .expect("the process exits within 30 s")
        .expect("waiting for the process");
        self.drain_output().await;
        status
    }

    /// Once the process has exited: until its last lines are in `output`.
    async fn drain_output(&self) {
        let readers = std::mem::take(&mut *self.readers.lock().unwrap());
        for reader in readers {
            let _ = tokio::time::timeout(Duration::from_secs(2), reader).await;
        }
    }

    /// What `/readyz` says of the session cache (`listening`, `bypassed`, `off`).
    pub async fn session_cache(&self) -> Option<String> {
        let ready: serde_json::Value = reqwest::get(self.url("/readyz"))
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        ready["session_cache"].as_str().map(str::to_owned)
    }

    /// Until `/readyz` says the session cache listens, or is off (`SESSION_CACHE=off`); panics
    /// with the process's output if it exits first, or after 30 s.
    pub async fn wait_until_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some("listening" | "off") = self.session_cache().await.as_deref() {
                return;
            }
            let exited = self.child.lock().unwrap().try_wait().unwrap();
            if let Some(status) = exited {
                self.drain_output().await;
                panic!(
                    "{} exited ({status}) before it was ready; its output:\n{}",
                    self.address,
                    self.output()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!(
            "{} never listened for session changes; its output:\n{}",
            self.address,
            self.output()
        );
    }

    /// `GET /api/auth/me` straight to this process, with the browser's cookies.
    pub async fn me(&self, browser: &Browser) -> StatusCode {
        browser.api_get(&self.url("/api/auth/me")).await.status()
    }
}
