//! Project automation behind `cargo xtask` (the alias lives in `.cargo/config.toml`).
//!
//! * `cargo xtask test`: every check CI runs, installing whatever this machine lacks first.
//! * `cargo xtask dev`: Postgres, the dev identity provider and the backend serving the SPA.
//! * `cargo xtask e2e`: only the browser tests (after a `test` run built everything).
//! * `cargo xtask soak`: the backend under load for a while, and a report of its memory,
//!   latency and writes.
//!
//! Modules are small and mostly independent; the constants in [`versions`] and [`stack`] are
//! shared with the tests that check `Dockerfile`, `docker-compose.yml` and `.env.example`.

pub mod cli;
pub mod cmd;
pub mod dev;
pub mod e2e;
pub mod frontend;
pub mod http;
pub mod npm;
pub mod postgres;
pub mod process;
pub mod random;
pub mod services;
pub mod signals;
pub mod soak;
pub mod stack;
pub mod steps;
pub mod test;
pub mod tools;
pub mod versions;
pub mod workspace;
