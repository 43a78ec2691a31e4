//! `GET /api/auth/me`: the signed-in user's chosen claims; never a token.

use actix_web::web;

use super::current_user::CurrentUser;

pub async fn me(CurrentUser(auth): CurrentUser) -> web::Json<shared::User> {
    web::Json(auth.user)
}
