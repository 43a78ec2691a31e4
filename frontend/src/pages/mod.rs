//! One component per route.

pub mod admin;
pub mod forbidden;
pub mod home;
pub mod messages;
pub mod not_found;
pub mod profile;
pub mod sessions;
