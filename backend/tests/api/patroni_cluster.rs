//! A highly available PostgreSQL of the test's own, from Debian's real parts: one etcd, two
//! Patroni nodes (each its own PostgreSQL data directory and ports; synchronous replication)
//! and HAProxy sending connections to whichever node Patroni's REST API calls the primary
//! (`GET /primary` answers 200 only on the leader). Everything listens on 127.0.0.1 on free
//! ports and lives in one temporary directory. Every process gets `SIGKILL` when the cluster
//! is dropped, on a panic too: etcd, HAProxy and each Patroni as a process group of their own,
//! each PostgreSQL (which Patroni starts in a session of its own) as its postmaster and the
//! postmaster's children.
//!
//! Tuned to replace a lost primary fast: the leader key lives [`TTL`] seconds, Patroni's loop
//! runs every [`LOOP_WAIT`] seconds, HAProxy checks every second.

use std::{
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::Mutex,
    time::{Duration, Instant},
};

use crate::{helpers::quiet_port, processes::TempDir, throwaway_postgres};

/// How long the leader key lives without being renewed: a lost primary is replaced this long
/// (at most) after its last renewal. Patroni requires `TTL >= LOOP_WAIT + 2 * RETRY_TIMEOUT`.
pub const TTL: u64 = 8;
/// Patroni's loop: the leader renews its key, a replica looks for a missing leader.
pub const LOOP_WAIT: u64 = 1;
/// How long Patroni retries etcd and PostgreSQL before giving up on an operation.
pub const RETRY_TIMEOUT: u64 = 3;
const _: () = assert!(TTL >= LOOP_WAIT + 2 * RETRY_TIMEOUT);

/// The superuser initdb makes (it runs as the `postgres` OS user when the tests run as root);
/// loopback connections need no password (`trust` in `pg_hba`).
const SUPERUSER: &str = "postgres";

/// A program of the cluster: `variable` names it, else Debian's path.
fn tool(variable: &str, debian: &str, package: &str) -> PathBuf {
    let path = std::env::var_os(variable)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(debian));
    assert!(
        crate::helpers::is_executable(&path),
        "{} missing: run `cargo xtask tools` (installs Debian's {package}), or `apt-get install \
         -y {package}`, or set {variable} to its executable",
        path.display()
    );
    path
}

/// One Patroni node: its PostgreSQL and its REST API.
pub struct Node {
    pub name: String,
    /// PostgreSQL's port.
    pub pg_port: u16,
    /// Patroni's REST API port.
    pub rest_port: u16,
    dir: PathBuf,
    patroni: Mutex<Option<Child>>,
}

impl Node {
    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The postmaster's process id, from `postmaster.pid` (while it runs).
    fn postmaster(&self) -> Option<u32> {
        let pid = std::fs::read_to_string(self.data_dir().join("postmaster.pid")).ok()?;
        let pid: u32 = pid.lines().next()?.trim().parse().ok()?;
        Path::new(&format!("/proc/{pid}")).exists().then_some(pid)
    }

    /// The status of `GET path` on the node's REST API (`None` if it does not answer).
    pub async fn rest(&self, path: &str) -> Option<u16> {
        let response = reqwest::Client::new()
            .get(format!("http://127.0.0.1:{}{path}", self.rest_port))
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .ok()?;
        Some(response.status().as_u16())
    }

    /// The machine is lost: Patroni and the postmaster with all its children get `SIGKILL`
    /// at once (PostgreSQL's children run in process groups of their own, and Patroni starts
    /// the postmaster in a session of its own, so each is killed by its id).
    pub fn lose(&self) {
        let postmaster = self.postmaster();
        let mut patroni = self.patroni.lock().unwrap();
        if let Some(patroni) = patroni.as_ref() {
            kill_group(patroni.id());
        }
        if let Some(postmaster) = postmaster {
            // Stopped first, so it starts no child while they are killed.
            signal("-STOP", postmaster);
            for child in children_of(postmaster) {
                signal("-KILL", child);
            }
            signal("-KILL", postmaster);
        }
        if let Some(mut patroni) = patroni.take() {
            let _ = patroni.wait();
        }
    }

    /// The machine stops answering without closing anything (a power loss or a partition,
    /// as its peers see it): Patroni and PostgreSQL get `SIGSTOP`; their connections stay
    /// open and silent.
    pub fn freeze(&self) {
        if let Some(patroni) = self.patroni.lock().unwrap().as_ref() {
            signal_group("-STOP", patroni.id());
        }
        if let Some(postmaster) = self.postmaster() {
            signal("-STOP", postmaster);
            for child in children_of(postmaster) {
                signal("-STOP", child);
            }
        }
    }

    /// Patroni's log (and PostgreSQL's, which Patroni's postmaster writes to the same
    /// stream).
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("patroni.log")).unwrap_or_default()
    }
}

/// `kill -SIGNAL pid`.
fn signal(signal: &str, pid: u32) {
    let _ = Command::new("kill")
        .args([signal, &pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

/// `SIGKILL` to a whole process group.
fn kill_group(leader: u32) {
    signal_group("-KILL", leader);
}

/// `kill -SIGNAL -- -leader`: the whole process group.
fn signal_group(signal: &str, leader: u32) {
    let _ = Command::new("kill")
        .args([signal, "--", &format!("-{leader}")])
        .stderr(Stdio::null())
        .status();
}

/// The processes whose parent is `pid` (from `/proc`).
fn children_of(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let child: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // After the command name: the state, then the parent's id.
            let parent: u32 = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            (parent == pid).then_some(child)
        })
        .collect()
}

/// etcd, two Patroni nodes and HAProxy; all killed when dropped.
pub struct PatroniCluster {
    pub nodes: [Node; 2],
    /// HAProxy's port: connections here reach the primary.
    pub port: u16,
    etcd: Option<Child>,
    haproxy: Option<Child>,
    // Last: the directory goes once every process is gone.
    dir: TempDir,
}

impl PatroniCluster {
    /// Starts the cluster and waits until one node leads, the other is its synchronous
    /// standby, and HAProxy reaches the leader (a panic with the logs after 60 s).
    pub async fn start() -> Self {
        let (patroni, etcd, haproxy) = (
            tool("PATRONI", "/usr/bin/patroni", "patroni"),
            tool("ETCD", "/usr/bin/etcd", "etcd-server"),
            tool("HAPROXY", "/usr/sbin/haproxy", "haproxy"),
        );
        let as_postgres = throwaway_postgres::is_root();
        let dir = TempDir::new("bff-patroni");
        if as_postgres {
            // PostgreSQL refuses to run as root: Patroni runs as `postgres`, which must reach
            // its node's folder.
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o711)).unwrap();
        }
        let scope = format!("bff-{}", crate::helpers::random_code());
        let (etcd_port, etcd_peer_port) = (quiet_port(), quiet_port());
        let mut cluster = Self {
            nodes: ["node1", "node2"].map(|name| Node {
                name: name.to_owned(),
                pg_port: quiet_port(),
                rest_port: quiet_port(),
                dir: dir.path().join(name),
                patroni: Mutex::new(None),
            }),
            port: quiet_port(),
            etcd: None,
            haproxy: None,
            dir,
        };
        let root = cluster.dir.path().to_owned();

        let etcd_dir = root.join("etcd");
        std::fs::create_dir(&etcd_dir).unwrap();
        let client = format!("http://127.0.0.1:{etcd_port}");
        let peer = format!("http://127.0.0.1:{etcd_peer_port}");
        let mut command = Command::new(&etcd);
        command
            .args(["--name", "etcd"])
            .arg("--data-dir")
            .arg(etcd_dir.join("data"))
            .args(["--listen-client-urls", &client])
            .args(["--advertise-client-urls", &client])
            .args(["--listen-peer-urls", &peer])
            .args(["--initial-advertise-peer-urls", &peer])
            .args(["--initial-cluster", &format!("etcd={peer}")]);
        cluster.etcd = Some(spawn(&mut command, &etcd_dir.join("etcd.log")));

        let bin_dir = throwaway_postgres::find_bin();
        for node in &cluster.nodes {
            std::fs::create_dir(&node.dir).unwrap();
            std::fs::write(
                node.dir.join("patroni.yml"),
                patroni_config(&scope, node, etcd_port, &bin_dir),
            )
            .unwrap();
            if as_postgres {
                let status = Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(&node.dir)
                    .status()
                    .unwrap();
                assert!(status.success(), "chown {} to postgres", node.dir.display());
            }
        }
        for i in 0..2 {
            let node = &cluster.nodes[i];
            let mut command = if as_postgres {
                let mut c = Command::new("setpriv");
                c.args([
                    "--reuid=postgres",
                    "--regid=postgres",
                    "--init-groups",
                    "--",
                ])
                .arg(&patroni);
                c
            } else {
                Command::new(&patroni)
            };
            command
                .arg(node.dir.join("patroni.yml"))
                .current_dir(&node.dir);
            let child = spawn(&mut command, &node.dir.join("patroni.log"));
            *cluster.nodes[i].patroni.lock().unwrap() = Some(child);
            if i == 0 {
                // node1 bootstraps the cluster; node2 then clones it.
                cluster
                    .until(Duration::from_secs(40), "node1 leads", |c| async move {
                        c.nodes[0].rest("/primary").await == Some(200)
                    })
                    .await;
            }
        }

        let config = haproxy_config(cluster.port, &cluster.nodes);
        std::fs::write(root.join("haproxy.cfg"), config).unwrap();
        let mut command = Command::new(&haproxy);
        command.arg("-f").arg(root.join("haproxy.cfg")).arg("-db");
        cluster.haproxy = Some(spawn(&mut command, &root.join("haproxy.log")));

        cluster
            .until(
                Duration::from_secs(40),
                "node2 is node1's synchronous standby",
                |c| async move { c.nodes[1].rest("/sync").await == Some(200) },
            )
            .await;
        cluster
            .until(
                Duration::from_secs(10),
                "HAProxy reaches the primary",
                |c| async move { c.is_writable().await },
            )
            .await;
        cluster
    }

    /// `postgres://postgres@127.0.0.1:HAPROXY/database`: always the primary.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{database}", self.port)
    }

    /// Whether a connection through HAProxy reaches a writable primary now.
    pub async fn is_writable(&self) -> bool {
        use sqlx::Connection;
        let connect = sqlx::PgConnection::connect(&self.url("postgres"));
        let Ok(Ok(mut conn)) = tokio::time::timeout(Duration::from_secs(2), connect).await else {
            return false;
        };
        let primary: Result<bool, _> = sqlx::query_scalar("SELECT NOT pg_is_in_recovery()")
            .fetch_one(&mut conn)
            .await;
        let _ = conn.close().await;
        primary.unwrap_or(false)
    }

    /// The index of the node whose REST API says it is the primary.
    pub async fn primary(&self) -> Option<usize> {
        for (i, node) in self.nodes.iter().enumerate() {
            if node.rest("/primary").await == Some(200) {
                return Some(i);
            }
        }
        None
    }

    /// Polls `condition` every 100 ms; panics with the cluster's logs after `limit`.
    pub async fn until<'a, F, Fut>(&'a self, limit: Duration, what: &str, condition: F)
    where
        F: Fn(&'a Self) -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = Instant::now() + limit;
        while !condition(self).await {
            assert!(
                Instant::now() < deadline,
                "the Patroni cluster: not {what} after {limit:?}\n{}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The logs of every process, the last lines of each.
    pub fn logs(&self) -> String {
        let tail = |text: String| {
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(40)..].join("\n")
        };
        let read = |path: PathBuf| std::fs::read_to_string(path).unwrap_or_default();
        let root = self.dir.path();
        let mut out = String::new();
        for node in &self.nodes {
            out += &format!(
                "--- {} (Patroni and PostgreSQL):\n{}\n",
                node.name,
                tail(node.log())
            );
        }
        out += &format!("--- HAProxy:\n{}\n", tail(read(root.join("haproxy.log"))));
        out += &format!("--- etcd:\n{}\n", tail(read(root.join("etcd/etcd.log"))));
        out
    }
}

impl Drop for PatroniCluster {
    fn drop(&mut self) {
        if let Some(haproxy) = &self.haproxy {
            kill_group(haproxy.id());
        }
        for node in &self.nodes {
            node.lose();
        }
        if let Some(etcd) = &self.etcd {
            kill_group(etcd.id());
        }
        for child in [&mut self.haproxy, &mut self.etcd].into_iter().flatten() {
            let _ = child.wait();
        }
    }
}

/// Starts `command` as the leader of a new process group, its output to `log`.
fn spawn(command: &mut Command, log: &Path) -> Child {
    let out = std::fs::File::create(log).unwrap();
    command
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap_or_else(|e| panic!("starting {:?}: {e}", command.get_program()))
}

/// One node's Patroni configuration. The `bootstrap.dcs` part is the cluster's (written to
/// etcd by the node that initialises it): the timings and synchronous replication.
fn patroni_config(scope: &str, node: &Node, etcd_port: u16, bin_dir: &Path) -> String {
    let Node {
        name,
        pg_port,
        rest_port,
        dir,
        ..
    } = node;
    let dir = dir.display();
    let bin_dir = bin_dir.display();
    // Only for this cluster's replication and superuser connections, on loopback.
    let replication_password = crate::helpers::random_code();
    format!(
        "# Written by backend/tests/api/patroni_cluster.rs for one test.
scope: {scope}
name: {name}
log:
  level: WARNING
restapi:
  listen: 127.0.0.1:{rest_port}
  connect_address: 127.0.0.1:{rest_port}
etcd3:
  hosts: 127.0.0.1:{etcd_port}
bootstrap:
  dcs:
    ttl: {TTL}
    loop_wait: {LOOP_WAIT}
    retry_timeout: {RETRY_TIMEOUT}
    maximum_lag_on_failover: 1048576
    # A commit returns once the standby has the WAL: a failover loses no committed session.
    synchronous_mode: true
    postgresql:
      use_pg_rewind: false
      parameters:
        max_connections: 100
        # The test kills processes, never the machine: the OS keeps what was written.
        fsync: 'off'
  initdb:
    - encoding: UTF8
    - no-sync
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication replicator 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:{pg_port}
  connect_address: 127.0.0.1:{pg_port}
  data_dir: {dir}/data
  bin_dir: {bin_dir}
  pgpass: {dir}/pgpass
  authentication:
    replication:
      username: replicator
      password: {replication_password}
    superuser:
      username: {SUPERUSER}
  parameters:
    unix_socket_directories: {dir}
watchdog:
  mode: 'off'
"
    )
}

/// HAProxy in TCP mode: a node takes connections while its Patroni says it is the primary,
/// asked every second; two failed checks mark it down and close its connections (a client
/// learns at once, instead of waiting on a connection to a dead or demoted node).
fn haproxy_config(port: u16, nodes: &[Node; 2]) -> String {
    let servers: String = nodes
        .iter()
        .map(|n| {
            format!(
                "    server {} 127.0.0.1:{} check port {}\n",
                n.name, n.pg_port, n.rest_port
            )
        })
        .collect();
    format!(
        "# Written by backend/tests/api/patroni_cluster.rs for one test.
global
    maxconn 500
defaults
    mode tcp
    timeout connect 1s
    timeout check 1s
    timeout client 30m
    timeout server 30m
listen primary
    bind 127.0.0.1:{port}
    option httpchk OPTIONS /primary
    http-check expect status 200
    default-server inter 1s fall 2 rise 1 on-marked-down shutdown-sessions
{servers}"
    )
}
