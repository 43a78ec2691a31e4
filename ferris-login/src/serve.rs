//! Serving until a stop signal, then stopping cleanly: new connections refused, `/readyz` 503,
//! keep-alive connections closed after their response, requests in flight finished, the
//! background tasks and the pool closed.

use std::{future::Future, net::TcpListener};

use actix_web::dev::Server;

use crate::{server::Auth, shutdown};

impl Auth {
    /// Serves `server` (built on `listener`, with [`Auth::api`] and [`Auth::spa`]) until
    /// SIGTERM or SIGINT, then stops cleanly: new connections are refused at once, `/readyz`
    /// answers 503, keep-alive connections are closed after their response, requests in flight
    /// finish (for up to `SHUTDOWN_DRAIN` plus 5 s), then the background tasks and the pool are
    /// closed. Also serves the metrics listener, if any.
    ///
    /// Actix's own signal handling (on unless the server was built with `.disable_signals()`)
    /// also stops the server gracefully on SIGTERM; with it off, the whole sequence above is
    /// this function's, which is what the demo does.
    pub async fn serve_until_stopped(
        &self,
        server: Server,
        listener: TcpListener,
    ) -> std::io::Result<()> {
        self.serve(server, listener, shutdown::signal()).await
    }

    /// [`serve_until_stopped`](Self::serve_until_stopped), with the stop signal given.
    pub async fn serve(
        &self,
        server: Server,
        listener: TcpListener,
        stop: impl Future<Output = ()>,
    ) -> std::io::Result<()> {
        let inner = &self.inner;
        let metrics = inner.metrics.lock().await.take().map(|server| {
            let handle = server.handle();
            (handle, tokio::spawn(server))
        });
        let handle = server.handle();
        let mut server = server;
        let result = tokio::select! {
            result = &mut server => result,
            () = stop => {
                inner.draining.start();
                shutdown::refuse_new_connections(&listener);
                let stop = async {
                    handle.pause().await;
                    tokio::time::sleep(inner.config.shutdown_drain).await;
                    handle.stop(true).await;
                };
                // The server future drives its own stop: keep polling it meanwhile.
                let (result, ()) = tokio::join!(&mut server, stop);
                result
            }
        };
        if let Some((handle, task)) = metrics {
            handle.stop(true).await;
            let _ = task.await;
        }
        self.close().await;
        tracing::info!("stopped");
        result
    }

    /// Stops the background tasks and closes the pool (what a stop ends with).
    pub async fn close(&self) {
        for task in self.inner.background.lock().await.drain(..) {
            task.abort();
        }
        self.inner.state.pool.close().await;
    }


}
