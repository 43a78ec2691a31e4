//! Turning data into short, readable text: instants ("5 minutes ago") and user agents
//! ("Chrome 131 on Linux"). Pure and deterministic (no clock, no browser): "now" and the local
//! offset come in as arguments.

pub mod instant;
pub mod user_agent;

pub use user_agent::describe_user_agent;
