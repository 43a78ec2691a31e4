//! A clean stop on SIGTERM or SIGINT, without breaking a request:
//!
//! 1. **No new connections, at once**: the listening socket is shut, so a new connection is
//!    refused (a load balancer tries another replica) rather than accepted and then dropped.
//! 2. **Drain** (`SHUTDOWN_DRAIN`, default 1 s): open connections are still served, but every
//!    response carries `Connection: close`, so a keep-alive client finishes its request and
//!    does not send another on a connection that is about to go; `/readyz` answers 503.
//! 3. **Stop**: requests in flight finish (at most 5 s more).
//! 4. Background tasks end (the session cache's listening connection closes), the pool
//!    closes, and the process exits 0.

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::ConnectionType,
    middleware::Next,
    web,
};

/// Set once the process was told to stop.
#[derive(Debug, Clone, Default)]
pub struct Draining(Arc<AtomicBool>);

impl Draining {
    pub fn start(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// While draining, every response closes its connection.
pub async fn close_connections_while_draining(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let draining = req
        .app_data::<web::Data<Draining>>()
        .map(|d| d.get_ref().clone());
    let mut res = next.call(req).await?;
    if draining.is_some_and(|d| d.is_draining()) {
        res.response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
    Ok(res)
}

/// Shuts the listening socket: from now on a new connection is refused by the kernel. (The
/// server's accept loop is paused right after.)
pub fn refuse_new_connections(listening: &std::net::TcpListener) {
    if let Err(e) = socket2::SockRef::from(listening).shutdown(std::net::Shutdown::Read) {
        tracing::warn!(error = %e, "could not shut the listening socket");
    }
}

/// Until SIGTERM or SIGINT.
pub async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM: draining, then stopping"),
            _ = int.recv() => tracing::info!("SIGINT: draining, then stopping"),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
