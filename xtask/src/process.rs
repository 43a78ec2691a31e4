//! Long-running children (the dev provider, the backend, `trunk serve`): their output goes to
//! a log file or to our stdout with a prefix; they run in their own process group, die with
//! us (Linux), and are stopped with SIGTERM (then SIGKILL) when dropped.

use std::{
    fs::{self, File},
    io::{BufRead, BufReader, Read, Write},
    os::unix::process::CommandExt,
    path::PathBuf,
    process::{Child, Command, ExitStatus, Stdio},
    sync::{
        mpsc::{self, Receiver, RecvTimeoutError},
        Arc, Mutex,
    },
    thread,
    time::{Duration, Instant},
};

use anyhow::{anyhow, bail, Context, Result};

use crate::{cmd, signals};

/// Where a service's stdout and stderr go.
#[derive(Clone, Debug)]
pub enum Output {
    /// Appended to a file (printed on failure).
    Log(PathBuf),
    /// Printed on our stdout, each line prefixed (e.g. `app | `).
    Prefixed(String),
}

#[derive(Clone)]
enum Sink {
    File(Arc<Mutex<File>>),
    Prefixed(String),
}

impl Sink {
    fn line(&self, line: &str) {
        match self {
            Sink::File(file) => {
                if let Ok(mut file) = file.lock() {
                    let _ = writeln!(file, "{line}");
                }
            }
            Sink::Prefixed(prefix) => println!("{prefix}{line}"),
        }
    }
}

/// A running child process, stopped when dropped.
pub struct Service {
    name: String,
    child: Option<Child>,
    log: Option<PathBuf>,
    marked: Option<Receiver<String>>,
}

impl Service {
    /// Starts `cmd`. If `marker` is given, the first stdout line starting with it can be
    /// awaited with [`Service::wait_for_marker`] (it is not copied to the output).
    pub fn spawn(
        name: &str,
        cmd: &mut Command,
        output: Output,
        marker: Option<&'static str>,
    ) -> Result<Self> {
        let (sink, log) = match output {
            Output::Log(path) => {
                if let Some(dir) = path.parent() {
                    fs::create_dir_all(dir)?;
                }
                let file = File::create(&path)
                    .with_context(|| format!("creating log {}", path.display()))?;
                (Sink::File(Arc::new(Mutex::new(file))), Some(path))
            }
            Output::Prefixed(prefix) => (Sink::Prefixed(prefix), None),
        };
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        if cmd.get_current_dir().is_none() {
            cmd.current_dir(crate::workspace::root());
        }
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                // Own process group: Ctrl-C reaches xtask only, which stops services in order.
                libc::setpgid(0, 0);
                #[cfg(target_os = "linux")]
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let mut child = cmd
            .spawn()
            .with_context(|| format!("could not start {name}: `{}`", cmd::display(cmd)))?;
        println!("started {name} (pid {}): {}", child.id(), cmd::display(cmd));

        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, rx) = mpsc::channel();
        let out_sink = sink.clone();
        thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(prefix) = marker {
                    if let Some(rest) = line.strip_prefix(prefix) {
                        if let Some(tx) = tx.take() {
                            let _ = tx.send(rest.trim().to_owned());
                            continue;
                        }
                    }
                }
                out_sink.line(&line);
            }
        });
        thread::spawn(move || pump(stderr, &sink));

        Ok(Self {
            name: name.to_owned(),
            child: Some(child),
            log,
            marked: marker.map(|_| rx),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Waits for the marker line and returns the rest of it.
    pub fn wait_for_marker(&mut self, timeout: Duration) -> Result<String> {
        let rx = self
            .marked
            .take()
            .ok_or_else(|| anyhow!("{} was started without a marker", self.name))?;
        let deadline = Instant::now() + timeout;
        loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(rest) => return Ok(rest),
                Err(RecvTimeoutError::Timeout) if Instant::now() < deadline => {
                    self.check_running()?;
                    if signals::stop_requested() {
                        bail!("interrupted");
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    bail!(
                        "{} did not become ready within {timeout:?}{}",
                        self.name,
                        self.tail()
                    )
                }
                Err(RecvTimeoutError::Disconnected) => {
                    // Output closed: the process is exiting.
                    thread::sleep(Duration::from_millis(300));
                    self.check_running()?;
                    bail!(
                        "{} closed its output before it was ready{}",
                        self.name,
                        self.tail()
                    )
                }
            }
        }
    }

    /// Polls `GET path` on `127.0.0.1:port` until it answers 200.
    pub fn wait_for_http(&mut self, port: u16, path: &str, timeout: Duration) -> Result<()> {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + timeout;
        let mut last = String::from("no answer yet");
        while Instant::now() < deadline {
            self.check_running()?;
            if signals::stop_requested() {
                bail!("interrupted");
            }
            match crate::http::get_status(addr, path) {
                Ok(200) => return Ok(()),
                Ok(status) => last = format!("status {status}"),
                Err(err) => last = err.to_string(),
            }
            thread::sleep(Duration::from_millis(200));
        }
        bail!(
            "{} did not answer GET {path} with 200 within {timeout:?} (last: {last}){}",
            self.name,
            self.tail()
        )
    }

    /// An error if the process has exited.
    pub fn check_running(&mut self) -> Result<()> {
        if let Some(status) = self.try_status()? {
            bail!("{} exited ({status}){}", self.name, self.tail());
        }
        Ok(())
    }

    /// The exit status if the process has exited.
    pub fn try_status(&mut self) -> Result<Option<ExitStatus>> {
        match self.child.as_mut() {
            Some(child) => Ok(child.try_wait()?),
            None => bail!("{} was already stopped", self.name),
        }
    }

    /// The end of the log file, for error messages (empty for prefixed output).
    pub fn tail(&self) -> String {
        match &self.log {
            Some(path) => format!(
                "\n--- last lines of {} ---\n{}",
                path.display(),
                tail_lines(path, 40)
            ),
            None => String::new(),
        }
    }

    /// The log file, if the output goes to one.
    pub fn log_path(&self) -> Option<&PathBuf> {
        self.log.as_ref()
    }

    /// SIGTERM to the process group, SIGKILL after 10 s. Idempotent.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        let group = -(child.id() as libc::pid_t);
        // SAFETY: plain syscalls on a process group we created.
        unsafe { libc::kill(group, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        eprintln!("{} did not stop within 10s: killing it", self.name);
        // SAFETY: as above.
        unsafe { libc::kill(group, libc::SIGKILL) };
        let _ = child.wait();
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop();
    }
}

fn pump(stream: impl Read, sink: &Sink) {
    for line in BufReader::new(stream).lines().map_while(Result::ok) {
        sink.line(&line);
    }
}

/// The last `n` lines of a text file.
pub fn tail_lines(path: &std::path::Path, n: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
