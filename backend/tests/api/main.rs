//! Black-box tests: the app on a random port, a fresh database per test, the real dev
//! provider (devidp/, oidc-provider) started per test, a reqwest client with a cookie jar.
//! Tests named after a case id (`a05_…`, `g02_…`) pin the relying-party cases in
//! `docs/relying-party-cases.md`.

mod helpers;
mod load;
mod patroni_cluster;
mod processes;

mod admin;
mod authorization_response;
mod backchannel;
mod concurrency;
mod csrf_and_headers;
mod failover;
mod fake_idp;
mod id_token_validation;
mod input_faults;
mod library;
mod load_balancer;
mod login;
mod login_options;
mod logout;
mod logout_hardening;
mod me;
mod messages;
mod my_sessions;
mod operations;
mod par_and_client_auth;
mod permissions;
mod provider_faults;
mod proxy;
mod rate_limits;
mod refresh;
mod relay;
mod replicas;
mod session_hardening;
mod session_store;
mod soak;
mod spa;
mod store_faults;
mod throwaway_postgres;
mod upstream;
