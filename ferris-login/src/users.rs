//! Users, keyed by (issuer, subject): the same email under another subject is another user.

use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

/// Records a login of `user` and returns its id (created on first login).
pub async fn upsert_on_login(
    pool: &PgPool,
    user: &shared::User,
    now: OffsetDateTime,
) -> Result<Uuid, sqlx::Error> {
    let (id,): (Uuid,) = sqlx::query_as(
        "INSERT INTO users (id, issuer, subject, name, email, picture, created_at, last_login_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
         ON CONFLICT (issuer, subject) DO UPDATE SET \
             name = EXCLUDED.name, email = EXCLUDED.email, picture = EXCLUDED.picture, \
             last_login_at = EXCLUDED.last_login_at \
         RETURNING id",
    )
    .bind(Uuid::new_v4())
    .bind(&user.issuer)
    .bind(&user.sub)
    .bind(&user.name)
    .bind(&user.email)
    .bind(&user.picture)
    .bind(now)
    .fetch_one(pool)
    .await?;
    Ok(id)
}
