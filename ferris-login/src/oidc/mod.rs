//! Talking to the OpenID provider: the HTTP client, discovery and ID token verification.

pub mod access_token;
pub mod client_auth;
pub mod http;
pub mod id_token;
pub mod jws;
pub mod logout_token;
pub mod par;
pub mod provider;
pub mod revocation;
pub mod signing_key;

pub use provider::{Provider, ProviderHandle};
