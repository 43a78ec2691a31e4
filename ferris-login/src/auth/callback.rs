//! `GET /api/auth/callback`: finishes the login.
//!
//! Order matters: the transaction (state, browser binding, expiry) is checked and consumed
//! before anything is sent to the provider; the ID token is verified before anything is
//! stored; the session is created with a new id only when everything passed. Any failure
//! leaves no session and clears the transaction cookie. A browser navigation is sent back to
//! the SPA with `?login_error=<code>`; other clients get the JSON error and its status.

use actix_web::{http::header, web, HttpRequest, HttpResponse};
use openidconnect::{
    AuthorizationCode, Nonce, OAuth2TokenResponse, PkceCodeVerifier, RequestTokenError,
};
use secrecy::SecretString;
use time::OffsetDateTime;

use super::{
    login::provider_error,
    navigation,
    transaction::{LoginTransaction, TransactionError, TRANSACTION_TTL},
};
use crate::{
    crypto::sha256,
    error::{ApiError, Cause},
    hooks::{verified_claims, Login},
    oidc::{
        access_token,
        http::FetchError,
        id_token::{self, Expectations, IdTokenError},
    },
    session::{NewSession, OptionalSession, SessionCookie, StoredTokens},
    state::AppState,
    text::printable,
    users,
};

const MAX_QUERY_LEN: usize = 8 * 1024;
/// ID tokens larger than this are not kept for `id_token_hint`.
const MAX_KEPT_ID_TOKEN: usize = 8 * 1024;
/// Access + refresh tokens larger than this (as JSON) are not kept.
const MAX_KEPT_TOKENS: usize = 16 * 1024;
const MAX_VALUE_LEN: usize = 2 * 1024;

/// The parameters of an authorization response (RFC 6749 4.1.2, RFC 9207).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct CallbackParams {
    pub state: Option<String>,
    pub code: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    pub iss: Option<String>,
}

impl CallbackParams {
    /// Strict parsing: each parameter at most once, bounded, valid UTF-8, no control
    /// characters. Unknown parameters are ignored.
    pub fn parse(query: &str) -> Result<Self, ApiError> {
        if query.len() > MAX_QUERY_LEN {
            return Err(ApiError::BadCallback("query too long"));
        }
        let mut params = Self::default();
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let slot = match key.as_ref() {
                "state" => &mut params.state,
                "code" => &mut params.code,
                "error" => &mut params.error,
                "error_description" => &mut params.error_description,
                "iss" => &mut params.iss,
                _ => continue,
            };
            if slot.is_some() {
                return Err(ApiError::BadCallback("duplicate parameter"));
            }
            if value.len() > MAX_VALUE_LEN {
                return Err(ApiError::BadCallback("parameter too long"));
            }
            if value.contains('\u{FFFD}') || value.chars().any(char::is_control) {
                return Err(ApiError::BadCallback("parameter is not clean UTF-8 text"));
            }
            *slot = Some(value.into_owned());
        }
        Ok(params)
    }
}

pub async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    previous: Result<OptionalSession, ApiError>,
    cookie: SessionCookie,
) -> HttpResponse {
    let params = CallbackParams::parse(req.query_string());
    let txn_cookie = params
        .as_ref()
        .ok()
        .and_then(|p| p.state.as_deref())
        .and_then(|s| state.txn_cookies.cookie_name(s));
    let outcome = match params {
        Ok(params) => {
            // The browser's session before this login, if its cookie came along (it is
            // `SameSite=Strict`, so after the provider's redirect it usually does not: the
            // transaction remembers it too).
            let previous = previous.ok().and_then(|p| p.0).map(|view| view.id);
            finish_login(&req, &state, previous, &cookie, params).await
        }
        Err(e) => Err(e),
    };
    crate::metrics::login(
        outcome.is_ok(),
        outcome
            .as_ref()
            .map_or_else(|e| e.code().as_str(), |_| "ok"),
    );
    let mut response = match outcome {
        Ok(return_to) => HttpResponse::Found()
            .insert_header((
                header::LOCATION,
                state.config.base_url.join_path(&return_to),
            ))
            .finish(),
        Err(err) => navigation::failure_response(&req, &state.config.base_url, &err),
    };
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    if let Some(name) = txn_cookie {
        let _ = response.add_cookie(&state.txn_cookies.removal(&name));
    }
    response
}

async fn finish_login(
    req: &HttpRequest,
    state: &AppState,
    previous: Option<crate::session::SessionId>,
    cookie: &SessionCookie,
    params: CallbackParams,
) -> Result<String, ApiError> {
    let Some(state_param) = params.state.as_deref().filter(|s| !s.is_empty()) else {
        // A provider that cannot tell the request's `state` (an expired or unknown pushed
        // request, RFC 9126) still reports its error here: say what it was. Nothing is
        // consumed or created, so nobody gains anything by forging one.
        return Err(match params.error {
            Some(error) => provider_refusal(&error, params.error_description.as_deref()),
            None => ApiError::BadCallback("missing state"),
        });
    };
    let now = state.clock.now();
    let txn = state
        .txn_cookies
        .read(req, &state.keys, state_param, now)
        .map_err(|e| match e {
            TransactionError::Missing => {
                ApiError::LoginTransaction("no matching login in this browser")
            }
            TransactionError::Tampered => {
                ApiError::LoginTransaction("the login transaction was altered")
            }
            TransactionError::Expired => ApiError::LoginExpired,
        })?;
    consume_state(state, &txn, now).await?;

    if let Some(error) = params.error {
        return Err(provider_refusal(
            &error,
            params.error_description.as_deref(),
        ));
    }
    let provider = state.provider.get().await.map_err(provider_error)?;
    match params.iss.as_deref() {
        Some(iss) if iss != provider.issuer => {
            return Err(ApiError::BadCallback(
                "iss does not name our provider (mix-up)",
            ))
        }
        None if provider.iss_parameter_supported => {
            return Err(ApiError::BadCallback(
                "iss missing though the provider sends it",
            ))
        }
        _ => {}
    }
    let code = params
        .code
        .filter(|c| !c.is_empty())
        .ok_or(ApiError::BadCallback("missing code"))?;

    let token_response = provider
        .client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| ApiError::ProviderUnavailable(Cause::new(e)))?
        .set_pkce_verifier(PkceCodeVerifier::new(txn.pkce_verifier.clone()))
        .request_async(state.provider.http())
        .await
        .map_err(token_error)?;

    let nonce = Nonce::new(txn.nonce.clone());
    let expect = Expectations {
        nonce: Some(&nonce),
        now: state.clock.now(),
        leeway: state.config.id_token_leeway,
        login_started_at: Some(txn.created_at),
        max_age: txn.max_age.map(std::time::Duration::from_secs),
        allowed_algs: &state.allowed_algs,
        roles_claim: &state.config.roles_claim,
        organization: txn.organization.as_deref(),
    };
    let mut provider = provider;
    let mut verified = id_token::verify(&provider, &token_response, &expect);
    if matches!(verified, Err(IdTokenError::UnknownKey)) {
        // The provider may have rotated its keys since we fetched them. The refreshed keys
        // verify the access token below too: it is signed with the same new key.
        let (refreshed, changed) = state.provider.refresh_keys(&provider).await;
        if changed {
            verified = id_token::verify(&refreshed, &token_response, &expect);
        }
        provider = refreshed;
    }
    let verified = verified.map_err(|e| match e {
        IdTokenError::Missing => {
            ApiError::InvalidIdToken("no ID token in the token response".into())
        }
        IdTokenError::UnknownKey => ApiError::InvalidIdToken("unknown signing key".into()),
        IdTokenError::Invalid(why) => ApiError::InvalidIdToken(why),
    })?;

    let mut verified = verified;
    if let Some(audience) = &state.config.audience {
        access_token::merge_permissions(
            &mut verified.user,
            token_response.access_token().secret(),
            &provider,
            &state.allowed_algs,
            &access_token::Expectations {
                audience,
                now: now.unix_timestamp(),
                leeway_secs: state.config.id_token_leeway.as_secs() as i64,
            },
        );
    }
    let tokens = StoredTokens {
        access_token: token_response.access_token().secret().clone(),
        refresh_token: token_response.refresh_token().map(|t| t.secret().clone()),
        expires_at: token_response
            .expires_in()
            .map(|d| now.unix_timestamp() + d.as_secs() as i64),
    };
    // Kept only within bounds: the session row stays small (the hint is optional, and tokens
    // this large are no tokens we can use).
    let tokens = serde_json::to_vec(&tokens)
        .is_ok_and(|json| json.len() <= MAX_KEPT_TOKENS)
        .then_some(tokens);
    // The app's word, before anything is stored: refuse, or add its own claims.
    let login = Login::new(
        verified.user,
        verified_claims(&verified.id_token),
        SecretString::from(token_response.access_token().secret().clone()),
    );
    let user = state
        .hooks
        .on_login(login)
        .await
        .map_err(ApiError::LoginRefused)?;
    let id_token = (verified.id_token.len() <= MAX_KEPT_ID_TOKEN).then_some(verified.id_token);

    let user_id = users::upsert_on_login(&state.pool, &user, now).await?;
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| printable(ua, 256));
    let client_network =
        crate::client::client_ip(req, &state.config.trusted_proxies).map(crate::client::network_of);
    let replacing: Vec<_> = previous.into_iter().chain(txn.previous_session).collect();
    let created = state
        .sessions
        .create(
            NewSession {
                user_id,
                user,
                provider_sid: verified.sid,
                user_agent,
                client_network,
                id_token,
                tokens,
                authenticated_at: now,
            },
            &replacing,
        )
        .await?;
    let session_id = created.view.id;
    cookie.begin(created)?;
    tracing::info!(%user_id, session = %session_id, "login completed");
    Ok(txn.return_to.as_str().to_owned())
}

/// The provider's error answer to the authorization request, as the error it means here. An
/// expired or unknown `request_uri` (RFC 9126) means the pushed request outlived the login:
/// start again.
fn provider_refusal(error: &str, description: Option<&str>) -> ApiError {
    let detail = format!(
        "{} {}",
        printable(error, 64),
        printable(description.unwrap_or_default(), 200)
    );
    match error {
        "access_denied" => ApiError::AccessDenied(detail),
        "invalid_request_uri" => {
            tracing::info!(provider.error = %detail, "the provider no longer knows the pushed authorization request");
            ApiError::LoginExpired
        }
        _ => ApiError::LoginDenied(detail),
    }
}

/// Records the transaction's state as used; a second use (replayed callback, even with a
/// copied cookie, or the same callback twice in parallel) is refused.
/// Forgets consumed login states once their transaction could no longer be presented.
pub async fn sweep_consumed_states(pool: &sqlx::PgPool, now: OffsetDateTime) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM consumed_login_states WHERE expires_at <= $1")
        .bind(now)
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

async fn consume_state(
    state: &AppState,
    txn: &LoginTransaction,
    now: OffsetDateTime,
) -> Result<(), ApiError> {
    let expires_at = now + time::Duration::seconds(TRANSACTION_TTL.as_secs() as i64 + 60);
    let inserted = sqlx::query(
        "INSERT INTO consumed_login_states (state_hash, expires_at) VALUES ($1, $2) \
         ON CONFLICT (state_hash) DO NOTHING",
    )
    .bind(sha256(txn.state.as_bytes()).to_vec())
    .bind(expires_at)
    .execute(&state.pool)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(ApiError::LoginTransaction(
            "this login was already completed",
        ));
    }
    Ok(())
}

fn token_error<TE>(err: RequestTokenError<FetchError, TE>) -> ApiError
where
    TE: openidconnect::ErrorResponse + 'static,
{
    match err {
        RequestTokenError::ServerResponse(resp) => ApiError::LoginDenied(format!(
            "token endpoint refused the code: {}",
            printable(&resp.to_string(), 200)
        )),
        RequestTokenError::Request(FetchError::Timeout) => ApiError::ProviderTimeout,
        RequestTokenError::Request(e) => ApiError::ProviderUnavailable(Cause::new(e)),
        // A 2xx/4xx answer we cannot read (non-JSON, no access_token, `error` in a 200):
        // the login is refused, as for a bad ID token.
        RequestTokenError::Parse(e, _body) => ApiError::InvalidIdToken(format!(
            "malformed token response: {}",
            printable(&e.to_string(), 200)
        )),
        // Not 5xx (those fail in the HTTP client): an answer of the wrong kind (content
        // type, empty error body).
        RequestTokenError::Other(e) => {
            ApiError::InvalidIdToken(format!("unusable token response: {}", printable(&e, 200)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_normal_response_parses() {
        let p = CallbackParams::parse("code=abc&state=xyz&iss=https%3A%2F%2Fidp%2F").unwrap();
        assert_eq!(p.code.as_deref(), Some("abc"));
        assert_eq!(p.state.as_deref(), Some("xyz"));
        assert_eq!(p.iss.as_deref(), Some("https://idp/"));
    }

    #[test]
    fn duplicates_are_refused() {
        assert!(CallbackParams::parse("state=a&state=b&code=c").is_err());
        assert!(CallbackParams::parse("state=a&code=b&code=c").is_err());
    }

    #[test]
    fn malformed_values_are_refused() {
        assert!(CallbackParams::parse("state=%FF&code=c").is_err());
        assert!(CallbackParams::parse("state=a%00b&code=c").is_err());
        assert!(CallbackParams::parse(&format!("state={}", "a".repeat(3000))).is_err());
        assert!(CallbackParams::parse(&"x".repeat(MAX_QUERY_LEN + 1)).is_err());
    }

    #[test]
    fn plus_decodes_to_space_and_unknown_parameters_are_ignored() {
        let p = CallbackParams::parse("error=access_denied&error_description=a+b&session_state=z")
            .unwrap();
        assert_eq!(p.error_description.as_deref(), Some("a b"));
        assert_eq!(p.state, None);
    }
}
