//! The identity provider as discovered: metadata, signing keys and the `openidconnect` client.
//!
//! Discovery runs at start-up; if the provider is down then, the app still starts (serving
//! existing sessions) and discovery is retried on the next login, at most once per
//! [`RETRY_COOLDOWN`]. Only a successful discovery is cached.

use std::{
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use openidconnect::{
    core::{
        CoreAuthDisplay, CoreAuthPrompt, CoreClaimName, CoreClaimType, CoreClientAuthMethod,
        CoreErrorResponseType, CoreGenderClaim, CoreGrantType, CoreJsonWebKey,
        CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm,
        CoreResponseMode, CoreResponseType, CoreRevocableToken, CoreRevocationErrorResponse,
        CoreSubjectIdentifierType, CoreTokenIntrospectionResponse, CoreTokenType,
    },
    AdditionalClaims, AdditionalProviderMetadata, AuthType, Client, ClientId, ClientSecret,
    EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdTokenFields,
    JsonWebKeySet, ProviderMetadata, RedirectUrl, StandardErrorResponse, StandardTokenResponse,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use url::Url;

use super::{
    client_auth::{choose_method, ClientAuthMethod, ClientAuthenticator, ClientCredentials},
    http::{FetchError, ProviderHttp},
    par::ParSetting,
};
use crate::config::{is_loopback_host, Config};

/// Wait at least this long between two failed discovery attempts.
pub const RETRY_COOLDOWN: Duration = Duration::from_secs(5);
/// Re-fetch the signing keys for an unknown `kid` at most this often.
pub const KEY_REFRESH_COOLDOWN: Duration = Duration::from_secs(60);

/// Discovery fields `openidconnect`'s core metadata does not model.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExtraProviderMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_session_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
    /// RFC 9207: the provider adds `iss` to authorization responses.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    /// RFC 9126: where authorization requests are pushed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pushed_authorization_request_endpoint: Option<String>,
    /// RFC 9126: the provider accepts only pushed authorization requests.
    #[serde(default)]
    pub require_pushed_authorization_requests: bool,
    /// RFC 8414: the algorithms the token endpoint accepts for client assertions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_signing_alg_values_supported: Option<Vec<String>>,
}
impl AdditionalProviderMetadata for ExtraProviderMetadata {}

/// ID token claims beyond the standard ones: `sid` and whatever else the provider sends
/// (roles under a configurable, possibly namespaced, name; `permissions`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExtraClaims {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}
impl AdditionalClaims for ExtraClaims {}

pub type Metadata = ProviderMetadata<
    ExtraProviderMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

pub type TokenResponse = StandardTokenResponse<
    IdTokenFields<
        ExtraClaims,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;

pub type OidcClient = Client<
    ExtraClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    TokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// A discovered, validated provider.
pub struct Provider {
    pub client: OidcClient,
    /// The provider's signing keys (for logout tokens; ID tokens go through `client`).
    pub jwks: JsonWebKeySet<CoreJsonWebKey>,
    /// The issuer every ID token must carry, byte for byte (as discovered).
    pub issuer: String,
    pub end_session_endpoint: Option<Url>,
    /// RFC 7009 token revocation, when the provider offers it.
    pub revocation_endpoint: Option<Url>,
    /// How the client authenticates at the token, revocation and PAR endpoints.
    pub client_auth: Arc<ClientAuthenticator>,
    pub iss_parameter_supported: bool,
    pub client_id: String,
    /// The authorization endpoint as discovered (PAR redirects name it).
    pub authorization_endpoint: Url,
    /// Where authorization requests are pushed (RFC 9126); `None`: plain redirects.
    pub par_endpoint: Option<Url>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error("fetching {what}: {source}")]
    Fetch {
        what: &'static str,
        #[source]
        source: FetchError,
    },
    #[error("the provider's configuration is unacceptable: {0}")]
    Invalid(String),
    /// The provider cannot serve this configuration (PAR required but not offered, a client
    /// authentication method it does not list): start-up fails on it.
    #[error("the provider does not support this app's configuration: {0}")]
    Incompatible(String),
}

impl DiscoveryError {
    pub fn is_timeout(&self) -> bool {
        matches!(
            self,
            DiscoveryError::Fetch {
                source: FetchError::Timeout,
                ..
            }
        )
    }
}

/// Fetches and validates the provider's configuration and keys.
pub async fn discover(config: &Config, http: &ProviderHttp) -> Result<Provider, DiscoveryError> {
    let metadata: Metadata = http
        .get_json(&config.issuer.discovery_url())
        .await
        .map_err(|source| DiscoveryError::Fetch {
            what: "the discovery document",
            source,
        })?;
    let issuer = metadata.issuer().as_str().to_owned();
    if !config.issuer.accepts_discovered(&issuer) {
        return Err(DiscoveryError::Invalid(format!(
            "it names issuer `{issuer}`, but AUTH0_ISSUER_BASE_URL is `{}`",
            config.issuer.as_str()
        )));
    }
    let issuer_url = Url::parse(&issuer).map_err(|e| DiscoveryError::Invalid(e.to_string()))?;
    let insecure_ok = issuer_url.scheme() == "http" && is_loopback_host(&issuer_url);
    let check = |what: &str, url: &Url| -> Result<(), DiscoveryError> {
        let secure = url.scheme() == "https"
            || (insecure_ok && url.scheme() == "http" && is_loopback_host(url));
        if secure {
            Ok(())
        } else {
            Err(DiscoveryError::Invalid(format!(
                "{what} `{url}` is not https"
            )))
        }
    };
    check(
        "authorization_endpoint",
        metadata.authorization_endpoint().url(),
    )?;
    let token_endpoint = metadata
        .token_endpoint()
        .ok_or_else(|| DiscoveryError::Invalid("no token_endpoint".into()))?;
    check("token_endpoint", token_endpoint.url())?;
    check("jwks_uri", metadata.jwks_uri().url())?;
    let extra = metadata.additional_metadata().clone();
    let end_session_endpoint = match &extra.end_session_endpoint {
        Some(raw) => {
            let url = Url::parse(raw)
                .map_err(|e| DiscoveryError::Invalid(format!("end_session_endpoint: {e}")))?;
            check("end_session_endpoint", &url)?;
            Some(url)
        }
        None => None,
    };
    let revocation_endpoint = match &extra.revocation_endpoint {
        Some(raw) => {
            let url = Url::parse(raw)
                .map_err(|e| DiscoveryError::Invalid(format!("revocation_endpoint: {e}")))?;
            check("revocation_endpoint", &url)?;
            Some(url)
        }
        None => None,
    };
    let jwks: JsonWebKeySet<CoreJsonWebKey> = http
        .get_json(metadata.jwks_uri().url().as_str())
        .await
        .map_err(|source| DiscoveryError::Fetch {
            what: "the signing keys (jwks_uri)",
            source,
        })?;
    let advertised: Option<Vec<String>> = metadata
        .token_endpoint_auth_methods_supported()
        .map(|methods| {
            methods
                .iter()
                .filter_map(|m| serde_json::to_value(m).ok())
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        });
    let method = choose_method(&config.client_credentials, advertised.as_deref())
        .map_err(|why| match &config.client_credentials {
            ClientCredentials::Secret { method: None, .. } => DiscoveryError::Invalid(why),
            _ => DiscoveryError::Incompatible(why),
        })?;
    if let ClientCredentials::PrivateKeyJwt(key) = &config.client_credentials {
        let alg = key.alg().as_str();
        if let Some(algs) = &extra.token_endpoint_auth_signing_alg_values_supported {
            if !algs.iter().any(|a| a == alg) {
                return Err(DiscoveryError::Incompatible(format!(
                    "AUTH0_CLIENT_ASSERTION_SIGNING_ALG is {alg} but the provider's \
                     token_endpoint_auth_signing_alg_values_supported does not list it"
                )));
            }
        }
    }
    let par_endpoint = match (
        config.pushed_authorization_requests,
        &extra.pushed_authorization_request_endpoint,
    ) {
        (ParSetting::Off, _) if extra.require_pushed_authorization_requests => {
            return Err(DiscoveryError::Incompatible(
                "the provider requires pushed authorization requests \
                 (require_pushed_authorization_requests) but AUTH0_PUSHED_AUTHORIZATION_REQUESTS is off"
                    .into(),
            ))
        }
        (ParSetting::Off, _) => None,
        (_, Some(raw)) => {
            let url = Url::parse(raw).map_err(|e| {
                DiscoveryError::Invalid(format!("pushed_authorization_request_endpoint: {e}"))
            })?;
            check("pushed_authorization_request_endpoint", &url)?;
            Some(url)
        }
        (ParSetting::Required, None) => {
            return Err(DiscoveryError::Incompatible(
                "AUTH0_PUSHED_AUTHORIZATION_REQUESTS is required but the provider's discovery \
                 document has no pushed_authorization_request_endpoint"
                    .into(),
            ))
        }
        (ParSetting::Auto, None) => None,
    };
    let client_auth = Arc::new(ClientAuthenticator::new(
        &config.client_id,
        &config.client_credentials,
        method,
        &issuer,
        token_endpoint.url().as_str(),
    ));
    let authorization_endpoint = metadata.authorization_endpoint().url().clone();
    let metadata = metadata.set_jwks(jwks.clone());
    let redirect = RedirectUrl::new(config.callback_url())
        .map_err(|e| DiscoveryError::Invalid(format!("redirect URL: {e}")))?;
    // With private_key_jwt, `openidconnect` sends only `client_id` in the body, and the HTTP
    // client adds the assertion (see `client_auth`).
    let auth_type = match method {
        ClientAuthMethod::ClientSecretBasic => AuthType::BasicAuth,
        _ => AuthType::RequestBody,
    };
    let client = OidcClient::from_provider_metadata(
        metadata,
        ClientId::new(config.client_id.clone()),
        client_auth
            .secret()
            .map(|s| ClientSecret::new(s.expose_secret().to_owned())),
    )
    .set_redirect_uri(redirect)
    .set_auth_type(auth_type);
    http.use_client_auth(client_auth.clone());
    Ok(Provider {
        client,
        jwks,
        issuer,
        end_session_endpoint,
        revocation_endpoint,
        client_auth,
        iss_parameter_supported: extra.authorization_response_iss_parameter_supported,
        client_id: config.client_id.clone(),
        authorization_endpoint,
        par_endpoint,
    })
}

/// The provider, discovered once and shared by every worker.
pub struct ProviderHandle {
    config: Arc<Config>,
    http: ProviderHttp,
    current: RwLock<Option<Arc<Provider>>>,
    /// When discovery last failed, and why if the provider's answer was unacceptable (that
    /// verdict is repeated during the cooldown).
    last_failure: RwLock<Option<(Instant, Option<String>)>>,
    discovering: tokio::sync::Mutex<()>,
    last_key_refresh: RwLock<Option<Instant>>,
}

impl ProviderHandle {
    pub fn new(config: Arc<Config>, http: ProviderHttp) -> Self {
        Self {
            config,
            http,
            current: RwLock::new(None),
            last_failure: RwLock::new(None),
            discovering: tokio::sync::Mutex::new(()),
            last_key_refresh: RwLock::new(None),
        }
    }

    pub fn http(&self) -> &ProviderHttp {
        &self.http
    }

    /// The provider if it has been discovered, without trying now.
    pub fn cached(&self) -> Option<Arc<Provider>> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// A token named a key we do not know: the provider may have rotated its keys. Discovers
    /// again (keys included), once for any number of concurrent callers, and at most once per
    /// [`KEY_REFRESH_COOLDOWN`]; otherwise (or if that fails) the keys stay as they were.
    /// Returns the provider to verify with, and whether it changed.
    pub async fn refresh_keys(&self, seen: &Arc<Provider>) -> (Arc<Provider>, bool) {
        let _guard = self.discovering.lock().await;
        if let Some(current) = self.cached() {
            if !Arc::ptr_eq(&current, seen) {
                return (current, true); // refreshed by someone else meanwhile
            }
        }
        let last = *self
            .last_key_refresh
            .read()
            .unwrap_or_else(|e| e.into_inner());
        if last.is_some_and(|at| at.elapsed() < KEY_REFRESH_COOLDOWN) {
            return (seen.clone(), false);
        }
        *self
            .last_key_refresh
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        match discover(&self.config, &self.http).await {
            Ok(provider) => {
                let provider = Arc::new(provider);
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(provider.clone());
                tracing::info!("signing keys re-fetched for an unknown key id");
                (provider, true)
            }
            Err(err) => {
                tracing::warn!(error = %err, "re-fetching the signing keys failed; keeping the old ones");
                (seen.clone(), false)
            }
        }
    }

    /// The provider, discovering it first if needed (one discovery at a time; failures are not
    /// cached, but a retry waits for [`RETRY_COOLDOWN`]).
    pub async fn get(&self) -> Result<Arc<Provider>, DiscoveryError> {
        if let Some(provider) = self.cached() {
            return Ok(provider);
        }
        let _guard = self.discovering.lock().await;
        if let Some(provider) = self.cached() {
            return Ok(provider);
        }
        let last = self
            .last_failure
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some((_, invalid)) = last.filter(|(at, _)| at.elapsed() < RETRY_COOLDOWN) {
            return Err(match invalid {
                Some(why) => DiscoveryError::Invalid(why),
                None => DiscoveryError::Fetch {
                    what: "the discovery document",
                    source: FetchError::Unreachable("recently failed; retrying shortly".into()),
                },
            });
        }
        match discover(&self.config, &self.http).await {
            Ok(provider) => {
                let provider = Arc::new(provider);
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(provider.clone());
                tracing::info!(issuer = %provider.issuer, "identity provider discovered");
                Ok(provider)
            }
            Err(err) => {
                let invalid = match &err {
                    DiscoveryError::Invalid(why) | DiscoveryError::Incompatible(why) => {
                        Some(why.clone())
                    }
                    DiscoveryError::Fetch { .. } => None,
                };
                *self.last_failure.write().unwrap_or_else(|e| e.into_inner()) =
                    Some((Instant::now(), invalid));
                tracing::warn!(error = %err, "identity provider discovery failed");
                Err(err)
            }
        }
    }
}
