//! Black-box tests: the app on a random port, a fresh database per test, the real dev
//! provider (devidp/, oidc-provider) started per test, a reqwest client with a cookie jar.

mod helpers;
mod processes;

mod admin;
mod backchannel;
mod catalogue_a_id_token;
mod catalogue_b_authorization;
mod catalogue_c_sessions;
mod catalogue_d_logout;
mod catalogue_efg_faults;
mod catalogue_g_provider_faults;
mod catalogue_g_store_faults;
mod catalogue_h_concurrency;
mod csrf_and_headers;
mod fake_idp;
mod library;
mod load_balancer;
mod login;
mod login_options;
mod logout;
mod me;
mod messages;
mod my_sessions;
mod operations;
mod permissions;
mod proxy;
mod rate_limits;
mod refresh;
mod relay;
mod replicas;
mod session_store;
mod spa;
mod throwaway_postgres;
mod upstream;
