//! The demo app of Ferris Login: the `ferris-login` library mounted in an Actix app beside the
//! app's own routes (`/api/messages`, guarded by permissions), serving the Yew SPA.

pub mod messages;
pub mod startup;
