use actix_web::{App, HttpServer};
use ferris_login::Auth;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let auth = Auth::from_env().await?;
    let listener = std::net::TcpListener::bind(auth.config().listen_addr())?;
    let app = auth.clone();
    let server = HttpServer::new(move || App::new().service(app.api()).service(app.spa()))
        .listen(listener.try_clone()?)?
        .run();
    Ok(auth.serve_until_stopped(server, listener).await?)
}
