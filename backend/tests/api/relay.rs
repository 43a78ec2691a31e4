//! A TCP relay on loopback that can be told to freeze: stop forwarding in both directions and
//! accept new connections without ever connecting them onward, closing nothing. What a
//! half-open path looks like from both ends (a NAT or load balancer that forgot the
//! connection, a failover without a FIN).

use std::{net::SocketAddr, sync::Arc};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::watch,
    task::JoinHandle,
};

pub struct Relay {
    pub port: u16,
    frozen: Arc<watch::Sender<bool>>,
    task: JoinHandle<()>,
}

impl Relay {
    /// Relays `127.0.0.1:{port}` to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let frozen = Arc::new(watch::channel(false).0);
        let state = frozen.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let state = state.clone();
                tokio::spawn(async move {
                    until(&mut state.subscribe(), false).await;
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    let up = tokio::spawn(pipe(client_read, server_write, state.subscribe()));
                    pipe(server_read, client_write, state.subscribe()).await;
                    let _ = up.await;
                });
            }
        });
        Self { port, frozen, task }
    }

    /// From now on nothing goes through, and nothing is closed.
    pub fn freeze(&self) {
        self.frozen.send_replace(true);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Copies `from` to `to` until either end closes; holds whatever it has while frozen.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut frozen: watch::Receiver<bool>,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let read = tokio::select! {
            read = from.read(&mut buffer) => Some(read),
            // Frozen while waiting: read nothing more (what was in flight stays unread).
            () = until(&mut frozen, true) => None,
        };
        let Some(read) = read else {
            until(&mut frozen, false).await;
            continue;
        };
        let n = match read {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        // Frozen after reading: hold these bytes.
        until(&mut frozen, false).await;
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}

/// Until the relay is (or is not) frozen; forever once the relay is gone.
async fn until(frozen: &mut watch::Receiver<bool>, wanted: bool) {
    if frozen.wait_for(|f| *f == wanted).await.is_err() {
        std::future::pending::<()>().await;
    }
}
