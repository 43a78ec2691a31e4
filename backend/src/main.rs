use backend::startup::Application;
use ferris_login::{telemetry, Config};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    telemetry::init("info,sqlx=warn");
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("configuration error: {err}");
            return std::process::ExitCode::from(2);
        }
    };
    let base_url = config.base_url().to_owned();
    let app = match Application::build(config).await {
        Ok(app) => app,
        Err(err) => {
            eprintln!("start-up failed: {err:#}");
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing::info!(port = app.port(), "listening; open {base_url}");
    match app.run_until_stopped().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("server error: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
