//! Every SQL statement on the `sessions` table, and nowhere else.
//!
//! - Rows are typed (`FromRow`): [`SessionView`], [`SessionListing`], [`SecretsRow`].
//! - Every read of a session carries its idle and absolute expiry in the `WHERE`.
//! - Every change another replica may have cached (a delete, new tokens or claims, a refresh
//!   back-off) notifies [`CHANNEL`] with the row's `id_hash` (hex) in the same statement, so
//!   the notification is sent exactly when the change commits. Touches (the idle deadline
//!   moving forward) notify nobody: a cached deadline is never later than the stored one.
//! - The functions take any executor, so a caller can run one inside its own transaction
//!   (back-channel logout remembers the token's `jti` in the same transaction).

use sqlx::PgExecutor;
use time::OffsetDateTime;
use uuid::Uuid;

use super::model::{AppData, SessionId, SessionListing, SessionView};

/// The `LISTEN`/`NOTIFY` channel of session changes (a literal, for `concat!`).
macro_rules! channel {
    () => {
        "bff_session_changed"
    };
}
pub const CHANNEL: &str = channel!();

/// The columns of a [`SessionView`].
macro_rules! view {
    () => {
        "public_id, user_id, claims, created_at, last_seen_at, idle_expires_at, \
         absolute_expires_at, access_expires_at, can_refresh, refresh_retry_at, app_data, \
         access_issued_at"
    };
}

/// `DELETE FROM sessions WHERE <condition>`, notifying each deleted row, returning their hashes.
macro_rules! delete_notify {
    ($condition:literal) => {
        concat!(
            "WITH gone AS (DELETE FROM sessions WHERE ",
            $condition,
            " RETURNING id_hash) SELECT id_hash FROM gone, \
             LATERAL (SELECT pg_notify('",
            channel!(),
            "', encode(id_hash, 'hex'))) n"
        )
    };
}

/// `UPDATE sessions SET <assignments> WHERE <condition>`, notifying the updated row.
macro_rules! update_notify {
    ($assignments:literal, $condition:literal) => {
        concat!(
            "WITH changed AS (UPDATE sessions SET ",
            $assignments,
            " WHERE ",
            $condition,
            " RETURNING id_hash) SELECT id_hash FROM changed, \
             LATERAL (SELECT pg_notify('",
            channel!(),
            "', encode(id_hash, 'hex'))) n"
        )
    };
}

/// The `id_hash` of each row a change touched.
pub type Changed = Vec<Vec<u8>>;

/// The sealed secrets of a session and the version of its tokens.
#[derive(Debug, sqlx::FromRow)]
pub struct SecretsRow {
    pub id_token_sealed: Option<String>,
    pub tokens_sealed: Option<String>,
    pub token_version: i64,
}

/// The refresh bookkeeping of a session (to tell why a lease could not be claimed).
#[derive(Debug, sqlx::FromRow)]
pub struct RefreshRow {
    pub refresh_lease_until: Option<OffsetDateTime>,
    pub refresh_retry_at: Option<OffsetDateTime>,
}

/// Everything a new row holds, column by column.
pub struct InsertRow<'a> {
    pub id_hash: &'a [u8],
    pub id: SessionId,
    pub user_id: Uuid,
    pub issuer: &'a str,
    pub subject: &'a str,
    pub provider_sid: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub client_network: Option<&'a str>,
    pub claims: &'a shared::User,
    pub id_token_sealed: Option<&'a str>,
    pub tokens_sealed: Option<&'a str>,
    pub access_expires_at: Option<OffsetDateTime>,
    pub access_issued_at: Option<OffsetDateTime>,
    pub can_refresh: bool,
    pub authenticated_at: OffsetDateTime,
    pub now: OffsetDateTime,
    pub idle_expires_at: OffsetDateTime,
    pub absolute_expires_at: OffsetDateTime,
}

pub async fn insert(ex: impl PgExecutor<'_>, row: &InsertRow<'_>) -> sqlx::Result<SessionView> {
    sqlx::query_as(concat!(
        "INSERT INTO sessions (id_hash, public_id, user_id, issuer, subject, provider_sid, \
             user_agent, claims, id_token_sealed, tokens_sealed, access_expires_at, can_refresh, \
             authenticated_at, created_at, last_seen_at, idle_expires_at, absolute_expires_at, \
             client_network, access_issued_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $16, \
             $17, $18) \
         RETURNING ",
        view!()
    ))
    .bind(row.id_hash)
    .bind(row.id)
    .bind(row.user_id)
    .bind(row.issuer)
    .bind(row.subject)
    .bind(row.provider_sid)
    .bind(row.user_agent)
    .bind(sqlx::types::Json(row.claims))
    .bind(row.id_token_sealed)
    .bind(row.tokens_sealed)
    .bind(row.access_expires_at)
    .bind(row.can_refresh)
    .bind(row.authenticated_at)
    .bind(row.now)
    .bind(row.idle_expires_at)
    .bind(row.absolute_expires_at)
    .bind(row.client_network)
    .bind(row.access_issued_at)
    .fetch_one(ex)
    .await
}

/// The live session whose cookie hashes to `id_hash`.
pub async fn live_by_hash(
    ex: impl PgExecutor<'_>,
    id_hash: &[u8],
    now: OffsetDateTime,
) -> sqlx::Result<Option<SessionView>> {
    sqlx::query_as(concat!(
        "SELECT ",
        view!(),
        " FROM sessions \
         WHERE id_hash = $1 AND idle_expires_at > $2 AND absolute_expires_at > $2"
    ))
    .bind(id_hash)
    .bind(now)
    .fetch_optional(ex)
    .await
}

/// Slides the idle deadline of a live session (never past the absolute one). Returns the
/// row's hash and its new view; `None` if the session is gone.
pub async fn touch(
    ex: impl PgExecutor<'_>,
    id: SessionId,
    now: OffsetDateTime,
    idle_deadline: OffsetDateTime,
) -> sqlx::Result<Option<(Vec<u8>, SessionView)>> {
    #[derive(sqlx::FromRow)]
    struct Touched {
        id_hash: Vec<u8>,
        #[sqlx(flatten)]
        view: SessionView,
    }
    let touched: Option<Touched> = sqlx::query_as(concat!(
        "UPDATE sessions SET last_seen_at = $2, \
             idle_expires_at = GREATEST(idle_expires_at, LEAST($3, absolute_expires_at)) \
         WHERE public_id = $1 AND idle_expires_at > $2 AND absolute_expires_at > $2 \
         RETURNING id_hash, ",
        view!()
    ))
    .bind(id)
    .bind(now)
    .bind(idle_deadline)
    .fetch_optional(ex)
    .await?;
    Ok(touched.map(|t| (t.id_hash, t.view)))
}

/// Replaces the app's data of the live session whose cookie hashes to `id_hash`. Returns the
/// row's hash if it was live (else nothing changed).
pub async fn set_app_data(
    ex: impl PgExecutor<'_>,
    id_hash: &[u8],
    data: &AppData,
    now: OffsetDateTime,
) -> sqlx::Result<Changed> {
    sqlx::query_scalar(update_notify!(
        "app_data = $2",
        "id_hash = $1 AND idle_expires_at > $3 AND absolute_expires_at > $3"
    ))
    .bind(id_hash)
    .bind(sqlx::types::Json(data))
    .bind(now)
    .fetch_all(ex)
    .await
}

/// Ends the session whose cookie hashes to `id_hash`.
pub async fn delete_by_hash(ex: impl PgExecutor<'_>, id_hash: &[u8]) -> sqlx::Result<Changed> {
    sqlx::query_scalar(delete_notify!("id_hash = $1"))
        .bind(id_hash)
        .fetch_all(ex)
        .await
}

/// Ends one session by its public id.
pub async fn delete_by_id(ex: impl PgExecutor<'_>, id: SessionId) -> sqlx::Result<Changed> {
    sqlx::query_scalar(delete_notify!("public_id = $1"))
        .bind(id)
        .fetch_all(ex)
        .await
}

/// Ends one session by its public id if its tokens are still at `version`: a refresh that the
/// provider refused ends the session only if no other refresh rotated its tokens meanwhile.
pub async fn delete_at_version(
    ex: impl PgExecutor<'_>,
    id: SessionId,
    version: i64,
) -> sqlx::Result<Changed> {
    sqlx::query_scalar(delete_notify!("public_id = $1 AND token_version = $2"))
        .bind(id)
        .bind(version)
        .fetch_all(ex)
        .await
}

/// Ends one session of a user by its public id (nothing if it is someone else's).
pub async fn delete_own(
    ex: impl PgExecutor<'_>,
    user_id: Uuid,
    id: SessionId,
) -> sqlx::Result<Changed> {
    sqlx::query_scalar(delete_notify!("user_id = $1 AND public_id = $2"))
        .bind(user_id)
        .bind(id)
        .fetch_all(ex)
        .await
}

/// Ends every session of a user, but `keep` if given.
pub async fn delete_for_user(
    ex: impl PgExecutor<'_>,
    user_id: Uuid,
    keep: Option<SessionId>,
) -> sqlx::Result<Changed> {
    sqlx::query_scalar(delete_notify!(
        "user_id = $1 AND ($2::uuid IS NULL OR public_id <> $2)"
    ))
    .bind(user_id)
    .bind(keep)
    .fetch_all(ex)
    .await
}

/// Ends the sessions of one provider session (`sid`), of that subject if given.
pub async fn delete_for_provider_session(
    ex: impl PgExecutor<'_>,
    issuer: &str,
    sid: &str,
    subject: Option<&str>,
) -> sqlx::Result<Changed> {
    sqlx::query_scalar(delete_notify!(
        "issuer = $1 AND provider_sid = $2 AND ($3::text IS NULL OR subject = $3)"
    ))
    .bind(issuer)
    .bind(sid)
    .bind(subject)
    .fetch_all(ex)
    .await
}

/// Ends every session of (issuer, subject) created at or before `created_before`.
pub async fn delete_for_subject(
    ex: impl PgExecutor<'_>,
    issuer: &str,
    subject: &str,
    created_before: OffsetDateTime,
) -> sqlx::Result<Changed> {
    sqlx::query_scalar(delete_notify!(
        "issuer = $1 AND subject = $2 AND created_at <= $3"
    ))
    .bind(issuer)
    .bind(subject)
    .bind(created_before)
    .fetch_all(ex)
    .await
}

/// The sealed secrets of a live session.
pub async fn secrets(
    ex: impl PgExecutor<'_>,
    id: SessionId,
    now: OffsetDateTime,
) -> sqlx::Result<Option<SecretsRow>> {
    sqlx::query_as(
        "SELECT id_token_sealed, tokens_sealed, token_version FROM sessions \
         WHERE public_id = $1 AND idle_expires_at > $2 AND absolute_expires_at > $2",
    )
    .bind(id)
    .bind(now)
    .fetch_optional(ex)
    .await
}

/// Claims the refresh lease of a live session whose access token is due (expires within
/// `buffer`, or within half its lifetime if that is shorter: `SessionView::refresh_due`), unless another process holds the lease or a back-off is in force. One
/// statement, no transaction kept open: the lease itself keeps others out for `lease`.
///
/// The lease is timed by the database's clock, the one clock every replica shares: a replica
/// whose own clock runs ahead cannot take over a lease that is still running.
pub async fn claim_refresh(
    ex: impl PgExecutor<'_>,
    id: SessionId,
    now: OffsetDateTime,
    buffer: std::time::Duration,
    lease: std::time::Duration,
) -> sqlx::Result<Option<SecretsRow>> {
    sqlx::query_as(
        "UPDATE sessions \
         SET refresh_lease_until = clock_timestamp() + make_interval(secs => $4::float8) \
         WHERE public_id = $1 AND idle_expires_at > $2 AND absolute_expires_at > $2 \
           AND can_refresh AND access_expires_at - LEAST(make_interval(secs => $3::float8), \
               COALESCE((access_expires_at - access_issued_at) / 2, \
                   make_interval(secs => $3::float8))) <= $2 \
           AND (refresh_lease_until IS NULL OR refresh_lease_until <= clock_timestamp()) \
           AND (refresh_retry_at IS NULL OR refresh_retry_at <= $2) \
         RETURNING id_token_sealed, tokens_sealed, token_version",
    )
    .bind(id)
    .bind(now)
    .bind(buffer.as_secs_f64())
    .bind(lease.as_secs_f64())
    .fetch_optional(ex)
    .await
}

/// The refresh bookkeeping of a live session (a lease only while it runs, by the database's
/// clock).
pub async fn refresh_state(
    ex: impl PgExecutor<'_>,
    id: SessionId,
    now: OffsetDateTime,
) -> sqlx::Result<Option<RefreshRow>> {
    sqlx::query_as(
        "SELECT CASE WHEN refresh_lease_until > clock_timestamp() \
                THEN refresh_lease_until END AS refresh_lease_until, \
                refresh_retry_at FROM sessions \
         WHERE public_id = $1 AND idle_expires_at > $2 AND absolute_expires_at > $2",
    )
    .bind(id)
    .bind(now)
    .fetch_optional(ex)
    .await
}

/// What a successful refresh writes.
pub struct RefreshedRow<'a> {
    pub tokens_sealed: &'a str,
    pub access_expires_at: Option<OffsetDateTime>,
    pub access_issued_at: Option<OffsetDateTime>,
    pub can_refresh: bool,
    pub claims: &'a shared::User,
    pub id_token_sealed: Option<&'a str>,
}

/// Stores refreshed tokens and claims if the tokens are still at `version` (compare and
/// swap), releasing the lease and clearing any back-off. Empty if the swap lost.
pub async fn store_refreshed(
    ex: impl PgExecutor<'_>,
    id: SessionId,
    version: i64,
    row: &RefreshedRow<'_>,
) -> sqlx::Result<Changed> {
    sqlx::query_scalar(update_notify!(
        "tokens_sealed = $3, access_expires_at = $4, can_refresh = $5, claims = $6, \
         id_token_sealed = COALESCE($7, id_token_sealed), token_version = token_version + 1, \
         refresh_lease_until = NULL, refresh_failures = 0, refresh_retry_at = NULL, \
         access_issued_at = $8",
        "public_id = $1 AND token_version = $2"
    ))
    .bind(id)
    .bind(version)
    .bind(row.tokens_sealed)
    .bind(row.access_expires_at)
    .bind(row.can_refresh)
    .bind(sqlx::types::Json(row.claims))
    .bind(row.id_token_sealed)
    .bind(row.access_issued_at)
    .fetch_all(ex)
    .await
}

/// Records a failed refresh (tokens still at `version`): releases the lease and backs off,
/// exponentially: `base` after the first failure, doubling each time, at most `cap`.
pub async fn record_refresh_failure(
    ex: impl PgExecutor<'_>,
    id: SessionId,
    version: i64,
    now: OffsetDateTime,
    base: std::time::Duration,
    cap: std::time::Duration,
) -> sqlx::Result<Changed> {
    sqlx::query_scalar(update_notify!(
        "refresh_lease_until = NULL, refresh_failures = refresh_failures + 1, \
         refresh_retry_at = $3 + make_interval(secs => \
             LEAST($5::float8, $4::float8 * power(2, LEAST(refresh_failures, 20))))",
        "public_id = $1 AND token_version = $2"
    ))
    .bind(id)
    .bind(version)
    .bind(now)
    .bind(base.as_secs_f64())
    .bind(cap.as_secs_f64())
    .fetch_all(ex)
    .await
}

/// Every live session, newest login first per user, at most `limit`.
pub async fn list_live(
    ex: impl PgExecutor<'_>,
    now: OffsetDateTime,
    limit: i64,
) -> sqlx::Result<Vec<SessionListing>> {
    sqlx::query_as(
        "SELECT public_id, user_id, claims, created_at, last_seen_at, user_agent, \
             client_network FROM sessions \
         WHERE idle_expires_at > $1 AND absolute_expires_at > $1 \
         ORDER BY claims ->> 'name' NULLS LAST, subject, created_at DESC \
         LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(ex)
    .await
}

/// A user's live sessions, most recently used first.
pub async fn list_for_user(
    ex: impl PgExecutor<'_>,
    user_id: Uuid,
    now: OffsetDateTime,
) -> sqlx::Result<Vec<SessionListing>> {
    sqlx::query_as(
        "SELECT public_id, user_id, claims, created_at, last_seen_at, user_agent, \
             client_network FROM sessions \
         WHERE user_id = $1 AND idle_expires_at > $2 AND absolute_expires_at > $2 \
         ORDER BY last_seen_at DESC, created_at DESC",
    )
    .bind(user_id)
    .bind(now)
    .fetch_all(ex)
    .await
}

/// A live session by its public id.
pub async fn live_by_id(
    ex: impl PgExecutor<'_>,
    id: SessionId,
    now: OffsetDateTime,
) -> sqlx::Result<Option<SessionView>> {
    sqlx::query_as(concat!(
        "SELECT ",
        view!(),
        " FROM sessions \
         WHERE public_id = $1 AND idle_expires_at > $2 AND absolute_expires_at > $2"
    ))
    .bind(id)
    .bind(now)
    .fetch_optional(ex)
    .await
}

/// Deletes expired sessions; returns how many. Nobody is notified: an expired session is
/// refused by its deadlines wherever it is cached.
pub async fn delete_expired(ex: impl PgExecutor<'_>, now: OffsetDateTime) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "DELETE FROM sessions WHERE idle_expires_at <= $1 OR absolute_expires_at <= $1",
    )
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected())
}

/// How many sessions are live.
pub async fn count_live(ex: impl PgExecutor<'_>, now: OffsetDateTime) -> sqlx::Result<u64> {
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sessions WHERE idle_expires_at > $1 AND absolute_expires_at > $1",
    )
    .bind(now)
    .fetch_one(ex)
    .await?;
    Ok(count.max(0) as u64)
}
