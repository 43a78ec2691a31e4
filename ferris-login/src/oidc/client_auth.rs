//! How the app proves it is the client at the provider's back-channel endpoints: token (code
//! exchange and refresh), revocation and pushed authorization requests. One method for all of
//! them (`AUTH0_TOKEN_ENDPOINT_AUTH_METHOD`): `client_secret_basic`, `client_secret_post` or
//! `private_key_jwt` (RFC 7523, a short-lived signed assertion per request).
//!
//! The token endpoint is called through `openidconnect` (which knows only secrets): for
//! `private_key_jwt` its requests carry `client_id` in the body and [`ProviderHttp`] adds the
//! assertion on their way out (see [`ClientAuthenticator::assertion_for`]), so the code
//! exchange and every refresh are authenticated the same way without knowing how.
//!
//! [`ProviderHttp`]: super::http::ProviderHttp

use std::sync::Arc;

use base64::{engine::general_purpose::STANDARD, Engine};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::signing_key::AssertionKey;

/// `client_assertion_type` of a JWT client assertion (RFC 7523 2.2).
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Lifetime of a client assertion: one request, so short.
pub const ASSERTION_LIFETIME_SECS: i64 = 60;

/// `AUTH0_TOKEN_ENDPOINT_AUTH_METHOD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
}

impl ClientAuthMethod {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "client_secret_basic" => Some(Self::ClientSecretBasic),
            "client_secret_post" => Some(Self::ClientSecretPost),
            "private_key_jwt" => Some(Self::PrivateKeyJwt),
            _ => None,
        }
    }

    /// The name in discovery's `token_endpoint_auth_methods_supported`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::PrivateKeyJwt => "private_key_jwt",
        }
    }
}

/// The client's credentials, as configured (checked at start-up).
#[derive(Debug, Clone)]
pub enum ClientCredentials {
    /// A secret; `method` `None`: basic, or post when the provider offers only that.
    Secret {
        secret: SecretString,
        method: Option<ClientAuthMethod>,
    },
    /// `private_key_jwt` with this key.
    PrivateKeyJwt(Arc<AssertionKey>),
}

/// The credentials bound to a discovered provider: the method chosen, the client id, and the
/// audience of assertions (the provider's issuer identifier, as RFC 7523bis asks and as
/// `oidc-provider` and Auth0 accept).
#[derive(Debug)]
pub struct ClientAuthenticator {
    client_id: String,
    auth: Resolved,
    audience: String,
    token_endpoint: String,
}

#[derive(Debug)]
enum Resolved {
    Basic(SecretString),
    Post(SecretString),
    Jwt(Arc<AssertionKey>),
}

impl ClientAuthenticator {
    /// `method` is the one chosen against the provider's advertised methods.
    pub fn new(
        client_id: &str,
        credentials: &ClientCredentials,
        method: ClientAuthMethod,
        issuer: &str,
        token_endpoint: &str,
    ) -> Self {
        let auth = match (credentials, method) {
            (ClientCredentials::PrivateKeyJwt(key), _) => Resolved::Jwt(key.clone()),
            (ClientCredentials::Secret { secret, .. }, ClientAuthMethod::ClientSecretPost) => {
                Resolved::Post(secret.clone())
            }
            (ClientCredentials::Secret { secret, .. }, _) => Resolved::Basic(secret.clone()),
        };
        Self {
            client_id: client_id.to_owned(),
            auth,
            audience: issuer.to_owned(),
            token_endpoint: token_endpoint.to_owned(),
        }
    }

    pub fn method(&self) -> ClientAuthMethod {
        match self.auth {
            Resolved::Basic(_) => ClientAuthMethod::ClientSecretBasic,
            Resolved::Post(_) => ClientAuthMethod::ClientSecretPost,
            Resolved::Jwt(_) => ClientAuthMethod::PrivateKeyJwt,
        }
    }

    /// The secret `openidconnect` should send itself (`None` for `private_key_jwt`).
    pub fn secret(&self) -> Option<&SecretString> {
        match &self.auth {
            Resolved::Basic(s) | Resolved::Post(s) => Some(s),
            Resolved::Jwt(_) => None,
        }
    }

    /// A fresh client assertion: `iss` = `sub` = client id, `aud` = the issuer, unique `jti`,
    /// `exp` one minute after `iat`.
    pub fn assertion(&self, key: &AssertionKey, now: i64) -> Result<String, String> {
        key.sign_jwt(&json!({
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": self.audience,
            "jti": uuid::Uuid::new_v4().to_string(),
            "iat": now,
            "nbf": now,
            "exp": now + ASSERTION_LIFETIME_SECS,
        }))
    }

    /// For `private_key_jwt`: the form fields to append to a request `openidconnect` makes to
    /// `url` (the token endpoint only), else `None`.
    pub fn assertion_for(&self, url: &str, now: i64) -> Option<Result<String, String>> {
        let Resolved::Jwt(key) = &self.auth else {
            return None;
        };
        if url != self.token_endpoint {
            return None;
        }
        Some(self.assertion(key, now).map(|jwt| {
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("client_assertion_type", ASSERTION_TYPE)
                .append_pair("client_assertion", &jwt)
                .finish()
        }))
    }

    /// Authenticates a form POST this crate makes itself (revocation, PAR): adds the header or
    /// the form fields.
    pub fn authenticate(
        &self,
        request: reqwest::RequestBuilder,
        form: &mut Vec<(&'static str, String)>,
        now: i64,
    ) -> Result<reqwest::RequestBuilder, String> {
        match &self.auth {
            Resolved::Basic(secret) => {
                // RFC 6749 2.3.1: id and secret form-encoded before Base64.
                let credentials = format!(
                    "{}:{}",
                    form_encode(&self.client_id),
                    form_encode(secret.expose_secret())
                );
                Ok(request.header(
                    reqwest::header::AUTHORIZATION,
                    format!("Basic {}", STANDARD.encode(credentials)),
                ))
            }
            Resolved::Post(secret) => {
                form.push(("client_id", self.client_id.clone()));
                form.push(("client_secret", secret.expose_secret().to_owned()));
                Ok(request)
            }
            Resolved::Jwt(key) => {
                form.push(("client_id", self.client_id.clone()));
                form.push(("client_assertion_type", ASSERTION_TYPE.to_owned()));
                form.push(("client_assertion", self.assertion(key, now)?));
                Ok(request)
            }
        }
    }
}

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Picks the method: the configured one if the provider offers it (or advertises nothing, for
/// `client_secret_basic`, the default per OpenID Connect Discovery 1.0), else a named refusal.
/// A secret with no configured method uses basic, or post when that is all the provider offers.
pub fn choose_method(
    credentials: &ClientCredentials,
    advertised: Option<&[String]>,
) -> Result<ClientAuthMethod, String> {
    let offered = |m: ClientAuthMethod| match advertised {
        None => m == ClientAuthMethod::ClientSecretBasic,
        Some(list) => list.iter().any(|a| a == m.as_str()),
    };
    let wanted = match credentials {
        ClientCredentials::PrivateKeyJwt(_) => ClientAuthMethod::PrivateKeyJwt,
        ClientCredentials::Secret {
            method: Some(method),
            ..
        } => *method,
        ClientCredentials::Secret { method: None, .. } => {
            return [
                ClientAuthMethod::ClientSecretBasic,
                ClientAuthMethod::ClientSecretPost,
            ]
            .into_iter()
            .find(|m| offered(*m))
            .ok_or_else(|| {
                "the token endpoint supports neither client_secret_basic nor client_secret_post"
                    .to_owned()
            })
        }
    };
    if offered(wanted) {
        Ok(wanted)
    } else {
        Err(format!(
            "AUTH0_TOKEN_ENDPOINT_AUTH_METHOD is {} but the provider's token_endpoint_auth_methods_supported does not list it",
            wanted.as_str()
        ))
    }
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;
    use crate::oidc::signing_key::tests::p256_pem;

    fn jwt_auth() -> ClientAuthenticator {
        let key = Arc::new(AssertionKey::parse(&p256_pem(), None).unwrap());
        ClientAuthenticator::new(
            "client-1",
            &ClientCredentials::PrivateKeyJwt(key),
            ClientAuthMethod::PrivateKeyJwt,
            "https://idp.example/",
            "https://idp.example/oauth/token",
        )
    }

    fn claims(jwt: &str) -> serde_json::Value {
        let body = jwt.split('.').nth(1).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).unwrap()).unwrap()
    }

    #[test]
    fn an_assertion_names_the_client_and_the_issuer_and_lives_one_minute() {
        let auth = jwt_auth();
        let Resolved::Jwt(key) = &auth.auth else { unreachable!() };
        let first = claims(&auth.assertion(key, 1_000).unwrap());
        let second = claims(&auth.assertion(key, 1_000).unwrap());
        assert_eq!(first["iss"], "client-1");
        assert_eq!(first["sub"], "client-1");
        assert_eq!(first["aud"], "https://idp.example/");
        assert_eq!(first["iat"], 1_000);
        assert_eq!(first["exp"], 1_060);
        assert_ne!(first["jti"], second["jti"], "jti is unique");
    }

    #[test]
    fn only_token_endpoint_requests_get_an_assertion_added() {
        let auth = jwt_auth();
        let fields = auth
            .assertion_for("https://idp.example/oauth/token", 5)
            .unwrap()
            .unwrap();
        assert!(fields.starts_with(
            "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=ey"
        ));
        assert!(auth.assertion_for("https://elsewhere.example/token", 5).is_none());
    }

    #[test]
    fn the_method_must_be_one_the_provider_offers() {
        let secret = |method| ClientCredentials::Secret {
            secret: SecretString::from("s"),
            method,
        };
        let list = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            choose_method(&secret(None), None),
            Ok(ClientAuthMethod::ClientSecretBasic)
        );
        assert_eq!(
            choose_method(&secret(None), Some(&list(&["client_secret_post"]))),
            Ok(ClientAuthMethod::ClientSecretPost)
        );
        assert!(choose_method(&secret(None), Some(&list(&["private_key_jwt"]))).is_err());
        assert!(choose_method(
            &secret(Some(ClientAuthMethod::ClientSecretPost)),
            Some(&list(&["client_secret_basic"]))
        )
        .is_err());
        let key = Arc::new(AssertionKey::parse(&p256_pem(), None).unwrap());
        let jwt = ClientCredentials::PrivateKeyJwt(key);
        assert!(choose_method(&jwt, None).is_err(), "absent means basic only");
        assert_eq!(
            choose_method(&jwt, Some(&list(&["client_secret_basic", "private_key_jwt"]))),
            Ok(ClientAuthMethod::PrivateKeyJwt)
        );
    }
}
