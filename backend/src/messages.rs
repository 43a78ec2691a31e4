//! `/api/messages`: the worked example of a resource guarded by permissions, for your own
//! routes to copy. It owns the `messages` table.
//!
//! - `GET /api/messages` needs `read:messages`: the newest 100, `mine` marking the caller's.
//! - `POST /api/messages` needs `write:messages`: plain text, 1 to 500 characters.
//! - `DELETE /api/messages/{id}` needs `write:messages`, and only for your own (404 otherwise).
//!
//! Signed out is 401, signed in without the permission is 403 (JSON, never a redirect): the
//! `RequirePermission` extractor says so before the handler runs.

use actix_web::{web, HttpResponse};
use time::OffsetDateTime;
use uuid::Uuid;

use ferris_login::{clock::SharedClock, ApiError, Permission, RequirePermission};
use sqlx::PgPool;

/// What the handlers share: the pool (the library's) and the clock.
struct Messages {
    pool: PgPool,
    clock: SharedClock,
}

/// Permission to list messages.
pub struct ReadMessages;
impl Permission for ReadMessages {
    const NAME: &'static str = shared::messages::permissions::READ;
}

/// Permission to post messages (and delete your own).
pub struct WriteMessages;
impl Permission for WriteMessages {
    const NAME: &'static str = shared::messages::permissions::WRITE;
}

const LISTED: i64 = 100;

/// Registers `/messages` and `/messages/{id}` (below the API prefix).
pub fn configure(cfg: &mut web::ServiceConfig, pool: &PgPool, clock: SharedClock) {
    cfg.app_data(web::Data::new(Messages {
        pool: pool.clone(),
        clock,
    }))
    .service(
        web::resource("/messages")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(web::resource("/messages/{id}").route(web::delete().to(delete)));
}

#[derive(sqlx::FromRow)]
struct MessageRow {
    id: Uuid,
    author_id: Uuid,
    author_name: String,
    body: String,
    created_at: OffsetDateTime,
}

impl MessageRow {
    fn for_reader(self, reader: Uuid) -> shared::Message {
        shared::Message {
            id: self.id,
            author: self.author_name,
            body: self.body,
            created_at: self.created_at,
            mine: self.author_id == reader,
        }
    }
}

async fn list(
    reader: RequirePermission<ReadMessages>,
    state: web::Data<Messages>,
) -> Result<web::Json<Vec<shared::Message>>, ApiError> {
    let rows: Vec<MessageRow> = sqlx::query_as(
        "SELECT id, author_id, author_name, body, created_at FROM messages \
         ORDER BY created_at DESC, id LIMIT $1",
    )
    .bind(LISTED)
    .fetch_all(&state.pool)
    .await?;
    let me = reader.session().user_id();
    Ok(web::Json(
        rows.into_iter().map(|r| r.for_reader(me)).collect(),
    ))
}

/// A message body as stored: trimmed, 1 to 500 characters, no control characters but line
/// breaks and tabs.
fn clean_body(raw: &str) -> Result<String, ApiError> {
    let body = raw.trim().replace("\r\n", "\n");
    let chars = body.chars().count();
    if chars == 0 || chars > shared::messages::MAX_MESSAGE_CHARS {
        return Err(ApiError::BadRequest("a message has 1 to 500 characters"));
    }
    if body
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(ApiError::BadRequest("a message is plain text"));
    }
    Ok(body)
}

async fn create(
    writer: RequirePermission<WriteMessages>,
    new: web::Json<shared::NewMessage>,
    state: web::Data<Messages>,
) -> Result<HttpResponse, ApiError> {
    let body = clean_body(&new.body)?;
    let session = writer.session();
    let row: MessageRow = sqlx::query_as(
        "INSERT INTO messages (id, author_id, author_name, body, created_at) \
         VALUES ($1, $2, $3, $4, $5) \
         RETURNING id, author_id, author_name, body, created_at",
    )
    .bind(Uuid::new_v4())
    .bind(session.user_id())
    .bind(session.user().display_name())
    .bind(body)
    .bind(state.clock.now())
    .fetch_one(&state.pool)
    .await?;
    tracing::info!(message = %row.id, "message posted");
    Ok(HttpResponse::Created().json(row.for_reader(session.user_id())))
}

async fn delete(
    writer: RequirePermission<WriteMessages>,
    path: web::Path<String>,
    state: web::Data<Messages>,
) -> Result<HttpResponse, ApiError> {
    let id: Uuid = path.parse().map_err(|_| ApiError::NotFound)?;
    let done = sqlx::query("DELETE FROM messages WHERE id = $1 AND author_id = $2")
        .bind(id)
        .bind(writer.session().user_id())
        .execute(&state.pool)
        .await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::NotFound);
    }
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_trimmed_bounded_plain_text() {
        assert_eq!(clean_body("  hello\r\nworld ").unwrap(), "hello\nworld");
        assert!(clean_body("   ").is_err());
        assert!(clean_body(&"é".repeat(500)).is_ok());
        assert!(clean_body(&"é".repeat(501)).is_err());
        assert!(clean_body("bell\u{7}").is_err());
    }
}
