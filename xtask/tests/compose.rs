//! `docker-compose.yml` and `Dockerfile` cannot run on CI (no Docker engine), so their wiring
//! is checked here: services, health checks, published ports, the app's configuration
//! against the provider's, and the image's tool versions against xtask's.

use std::{collections::BTreeMap, fs};

use serde_yaml::Value;
use xtask::{stack, versions, workspace};

fn compose() -> Value {
    let path = workspace::root().join("docker-compose.yml");
    let text = fs::read_to_string(&path).expect("docker-compose.yml exists");
    serde_yaml::from_str(&text).expect("docker-compose.yml is valid YAML")
}

fn service<'a>(compose: &'a Value, name: &str) -> &'a Value {
    let service = &compose["services"][name];
    assert!(service.is_mapping(), "service `{name}` is defined");
    service
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A service's `environment`, in map or list form.
fn environment(service: &Value) -> BTreeMap<String, String> {
    match &service["environment"] {
        Value::Mapping(map) => map
            .iter()
            .filter_map(|(k, v)| Some((scalar(k)?, scalar(v).unwrap_or_default())))
            .collect(),
        Value::Sequence(items) => items
            .iter()
            .filter_map(|item| {
                let item = scalar(item)?;
                let (k, v) = item.split_once('=').unwrap_or((&item, ""));
                Some((k.to_owned(), v.to_owned()))
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// `(host port, container port)` of a service's short-syntax `ports`.
fn published(service: &Value) -> Vec<(u16, u16)> {
    let Some(ports) = service["ports"].as_sequence() else {
        return Vec::new();
    };
    ports
        .iter()
        .filter_map(|p| {
            let spec = scalar(p)?;
            let spec = spec.split('/').next()?; // "8080:8080/tcp"
            let parts: Vec<&str> = spec.rsplitn(3, ':').collect(); // [container, host, ip?]
            match parts.as_slice() {
                [container, host, ..] => Some((host.parse().ok()?, container.parse().ok()?)),
                _ => None,
            }
        })
        .collect()
}

#[test]
fn defines_the_three_services() {
    let compose = compose();
    for name in ["db", "idp", "app"] {
        service(&compose, name);
    }
    assert_eq!(service(&compose, "idp")["build"].as_str(), Some("./devidp"));
    assert!(workspace::root().join("devidp/Dockerfile").exists());
    assert_eq!(service(&compose, "app")["build"].as_str(), Some("."));
}

#[test]
fn the_database_and_the_provider_have_health_checks() {
    let compose = compose();
    let db_check = format!("{:?}", service(&compose, "db")["healthcheck"]["test"]);
    assert!(
        db_check.contains("pg_isready"),
        "db healthcheck uses pg_isready: {db_check}"
    );
    let idp_check = format!("{:?}", service(&compose, "idp")["healthcheck"]["test"]);
    assert!(
        idp_check.contains("/healthz"),
        "idp healthcheck asks /healthz: {idp_check}"
    );
}

#[test]
fn the_app_waits_for_a_healthy_database_and_provider() {
    let compose = compose();
    let depends = &service(&compose, "app")["depends_on"];
    for dependency in ["db", "idp"] {
        assert_eq!(
            depends[dependency]["condition"].as_str(),
            Some("service_healthy"),
            "app depends on {dependency} being healthy"
        );
    }
}

#[test]
fn publishes_the_app_and_the_provider() {
    let compose = compose();
    let all: Vec<(u16, u16)> = ["db", "idp", "app"]
        .iter()
        .flat_map(|name| published(service(&compose, name)))
        .collect();
    assert!(
        all.contains(&(8080, 8080)),
        "port 8080 is published: {all:?}"
    );
    assert!(
        all.contains(&(4000, 4000)),
        "port 4000 is published: {all:?}"
    );
    // The app's port lives on whichever service owns its network namespace.
    let app = service(&compose, "app");
    let owner = match app["network_mode"].as_str() {
        Some(mode) => mode
            .strip_prefix("service:")
            .expect("network_mode service:NAME"),
        None => "app",
    };
    let listen = environment(app)["LISTEN_ADDR"].clone();
    let port: u16 = listen.rsplit(':').next().unwrap().parse().unwrap();
    assert!(
        listen.starts_with("0.0.0.0:")
            && published(service(&compose, owner)).contains(&(stack::DEV_APP_PORT, port)),
        "LISTEN_ADDR {listen} is reachable through a published port on `{owner}`"
    );
}

#[test]
fn the_app_has_its_whole_configuration() {
    let compose = compose();
    let env = environment(service(&compose, "app"));
    for var in stack::REQUIRED_BACKEND_ENV_VARS {
        assert!(
            env.get(*var).is_some_and(|v| !v.trim().is_empty()),
            "app sets {var}"
        );
    }
    for secret in env["AUTH0_SECRET"].split(',') {
        assert!(
            secret.trim().chars().count() >= stack::MIN_SECRET_LEN,
            "each AUTH0_SECRET entry has at least {} characters",
            stack::MIN_SECRET_LEN
        );
    }
    for var in env.keys() {
        assert!(
            stack::BACKEND_ENV_VARS.contains(&var.as_str()),
            "app sets {var}, which the backend does not read"
        );
    }
}

#[test]
fn the_app_is_the_providers_client() {
    let compose = compose();
    let app = environment(service(&compose, "app"));
    let idp_service = service(&compose, "idp");
    let idp = environment(idp_service);
    let idp_or =
        |var: &str, default: &str| idp.get(var).cloned().unwrap_or_else(|| default.to_owned());

    assert_eq!(
        app["AUTH0_CLIENT_ID"],
        idp_or("DEVIDP_CLIENT_ID", stack::DEVIDP_CLIENT_ID)
    );
    assert_eq!(
        app["AUTH0_CLIENT_SECRET"],
        idp_or("DEVIDP_CLIENT_SECRET", stack::DEVIDP_CLIENT_SECRET)
    );

    let port = idp_or("DEVIDP_PORT", "4000");
    let issuer = idp_or("DEVIDP_ISSUER", &format!("http://127.0.0.1:{port}"));
    assert_eq!(app["AUTH0_ISSUER_BASE_URL"], issuer, "byte-for-byte issuer");
    // A loopback issuer works for the app only inside the provider's network namespace.
    if issuer.contains("://127.0.0.1") || issuer.contains("://localhost") {
        assert_eq!(
            service(&compose, "app")["network_mode"].as_str(),
            Some("service:idp")
        );
    }

    if let Some(audience) = app.get("AUTH0_AUDIENCE") {
        assert_eq!(
            *audience,
            idp_or("DEVIDP_API_AUDIENCE", stack::DEVIDP_API_AUDIENCE),
            "the provider issues access tokens for the app's AUTH0_AUDIENCE"
        );
    }

    let base = app["AUTH0_BASE_URL"].trim_end_matches('/').to_owned();
    let redirects = idp_or(
        "DEVIDP_REDIRECT_URIS",
        "http://localhost:8080/api/auth/callback",
    );
    assert!(
        redirects
            .split(',')
            .any(|u| u.trim() == format!("{base}/api/auth/callback")),
        "the provider accepts the app's callback ({redirects})"
    );
    let post_logout = idp_or("DEVIDP_POST_LOGOUT_REDIRECT_URIS", "http://localhost:8080/");
    assert!(
        post_logout
            .split(',')
            .any(|u| u.trim() == format!("{base}/")),
        "the provider accepts the app's post-logout URI ({post_logout})"
    );
    assert_eq!(
        idp_or("DEVIDP_HOST", ""),
        "0.0.0.0",
        "the provider listens beyond loopback"
    );
    assert_eq!(idp_or("DEVIDP_ALLOW_LOOPBACK_BACKCHANNEL", ""), "1");
}

#[test]
fn the_database_url_matches_the_database_service() {
    let compose = compose();
    let app = environment(service(&compose, "app"));
    let db = environment(service(&compose, "db"));
    let user = db.get("POSTGRES_USER").map_or("postgres", String::as_str);
    let database = db.get("POSTGRES_DB").map_or(user, String::as_str);
    let expected = format!(
        "postgres://{user}:{}@db:5432/{database}",
        db["POSTGRES_PASSWORD"]
    );
    assert_eq!(app["DATABASE_URL"], expected);
}

fn dockerfile() -> String {
    fs::read_to_string(workspace::root().join("Dockerfile")).expect("Dockerfile exists")
}

fn dockerfile_arg(dockerfile: &str, name: &str) -> Option<String> {
    dockerfile.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("ARG ")?.strip_prefix(name)?;
        Some(rest.strip_prefix('=')?.trim().to_owned())
    })
}

#[test]
fn the_image_uses_the_tool_versions_of_xtask() {
    let dockerfile = dockerfile();
    assert_eq!(
        dockerfile_arg(&dockerfile, "TRUNK_VERSION").as_deref(),
        Some(versions::TRUNK_VERSION)
    );
    let lock = fs::read_to_string(workspace::root().join("Cargo.lock")).unwrap();
    assert_eq!(
        dockerfile_arg(&dockerfile, "WASM_BINDGEN_VERSION"),
        versions::wasm_bindgen_version(&lock),
        "the image's wasm-bindgen CLI equals Cargo.lock's wasm-bindgen"
    );
    for step in [
        format!("rustup target add {}", versions::WASM_TARGET),
        "cargo install trunk@${TRUNK_VERSION} --locked".to_owned(),
        "cargo install wasm-bindgen-cli@${WASM_BINDGEN_VERSION}\n".to_owned(),
        "npm ci --prefix xtask/tools".to_owned(),
        "xtask/tools/node_modules/.bin".to_owned(),
        "cargo build --release --locked -p backend".to_owned(),
        "TRUNK_SKIP_VERSION_CHECK=true trunk build --release --offline".to_owned(),
    ] {
        assert!(
            dockerfile.contains(&step),
            "the Dockerfile runs `{}`",
            step.trim()
        );
    }
    let tools: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(workspace::tools_dir().join("package.json")).unwrap(),
    )
    .unwrap();
    let binaryen = tools["dependencies"]["binaryen"]
        .as_str()
        .unwrap_or_default();
    assert!(
        binaryen.starts_with(&format!("{}.", versions::BINARYEN_MAJOR)),
        "xtask/tools pins binaryen {} (found {binaryen})",
        versions::BINARYEN_MAJOR
    );
}

#[test]
fn the_image_runs_the_backend_unprivileged_on_8080() {
    let dockerfile = dockerfile();
    let rust_version = dockerfile_arg(&dockerfile, "RUST_VERSION").expect("ARG RUST_VERSION");
    let manifest = fs::read_to_string(workspace::root().join("Cargo.toml")).unwrap();
    let msrv = manifest
        .lines()
        .find_map(|l| l.trim().strip_prefix("rust-version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("workspace rust-version");
    let minor = |v: &str| -> u32 { v.split('.').nth(1).unwrap().parse().unwrap() };
    assert!(
        minor(&rust_version) >= minor(msrv),
        "the image's Rust {rust_version} builds the workspace (rust-version {msrv})"
    );
    assert!(dockerfile.contains("FROM rust:${RUST_VERSION}-bookworm"));
    assert!(dockerfile.contains("FROM debian:bookworm-slim"));
    assert!(dockerfile.contains("LISTEN_ADDR=0.0.0.0:8080"));
    assert!(dockerfile.contains("FRONTEND_DIST=/app/frontend/dist"));
    assert!(dockerfile.contains("COPY --from=build /src/frontend/dist /app/frontend/dist"));
    assert!(dockerfile.contains("EXPOSE 8080"));
    let user = dockerfile
        .lines()
        .filter_map(|l| l.trim().strip_prefix("USER "))
        .next_back()
        .expect("a USER instruction");
    assert!(
        !user.starts_with("root") && !user.starts_with("0"),
        "runs as non-root: {user}"
    );
}

#[test]
fn every_port_is_published_on_loopback_only() {
    // The stack's secrets and dev users' passwords are public: nothing may be reachable from
    // the network.
    let compose = compose();
    for name in ["db", "idp", "app"] {
        let Some(ports) = service(&compose, name)["ports"].as_sequence() else {
            continue;
        };
        for port in ports {
            let spec = scalar(port).unwrap_or_default();
            assert!(
                spec.starts_with("127.0.0.1:"),
                "{name} publishes {spec} beyond this machine"
            );
        }
    }
    let app = environment(service(&compose, "app"));
    assert_eq!(
        app.get("PUBLISHED_ON_LOOPBACK_ONLY").map(String::as_str),
        Some("true"),
        "the app is told, so it accepts the development secret while listening on 0.0.0.0"
    );
}
