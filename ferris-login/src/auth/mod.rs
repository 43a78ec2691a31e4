//! `/api/auth/*`: the login flow, logout and "who am I".

pub mod backchannel;
pub mod callback;
pub mod csrf;
pub mod guards;
pub mod login;
pub mod login_options;
pub mod logout;
pub mod logout_return;
pub mod me;
pub mod navigation;
pub mod return_to;
pub mod sessions;
pub mod transaction;

use actix_web::web;

use crate::{error::ApiError, rate_limit::RateLimits};

/// Registers the auth routes under `/api/auth`; `limits` guard the ones anyone can call at a
/// cost (login, callback, back-channel logout). Other methods get 405 JSON.
pub fn configure(cfg: &mut web::ServiceConfig, limits: &RateLimits) {
    let not_allowed = || web::to(|| async { Err::<&str, _>(ApiError::MethodNotAllowed) });
    cfg.service(
        web::scope("/auth")
            .service(
                web::resource("/login")
                    .wrap(limits.login())
                    .route(web::get().to(login::login))
                    .default_service(not_allowed()),
            )
            .service(
                web::resource("/callback")
                    .wrap(limits.callback())
                    .route(web::get().to(callback::callback))
                    .default_service(not_allowed()),
            )
            .service(
                web::resource("/logout")
                    .route(web::post().to(logout::logout_post))
                    .route(web::get().to(logout::logout_get))
                    .default_service(not_allowed()),
            )
            .service(
                web::resource("/backchannel-logout")
                    .wrap(limits.backchannel_logout())
                    .route(web::post().to(backchannel::backchannel_logout))
                    .default_service(not_allowed()),
            )
            .service(
                web::resource("/me")
                    .route(web::get().to(me::me))
                    .default_service(not_allowed()),
            )
            .service(
                web::resource("/session")
                    .route(web::get().to(sessions::status))
                    .default_service(not_allowed()),
            )
            .service(
                web::resource("/session/extend")
                    .route(web::post().to(sessions::extend))
                    .default_service(not_allowed()),
            )
            .service(
                web::resource("/sessions")
                    .route(web::get().to(sessions::list))
                    .route(web::delete().to(sessions::end_others))
                    .default_service(not_allowed()),
            )
            .service(
                web::resource("/sessions/{id}")
                    .route(web::delete().to(sessions::end_one))
                    .default_service(not_allowed()),
            ),
    );
}
