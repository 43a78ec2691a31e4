//! A controllable fake OpenID provider, for what a real one cannot be made to do: bad
//! signatures, `alg: none`, wrong audiences, replayed nonces, odd token responses, discovery
//! mismatches, key rotation. Everything else runs against the real dev provider.
//!
//! It serves discovery, `/authorize` (redirects straight back with a code), `/token` (checks
//! client authentication and PKCE, then answers with an ID token built from the knobs) and
//! `/jwks`. Tokens are signed with RSA keys generated once per test run.

use std::{
    net::TcpListener,
    sync::{Arc, Mutex, OnceLock},
    time::Duration,
};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rsa::{
    pkcs1v15::SigningKey,
    signature::{SignatureEncoding, Signer},
    traits::PublicKeyParts,
    RsaPrivateKey,
};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::helpers::{CLIENT_ID, CLIENT_SECRET};

/// The provider's signing key and an unrelated one (an attacker's).
pub struct Keys {
    pub good: RsaPrivateKey,
    pub other: RsaPrivateKey,
}

pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut rng = rand::thread_rng();
        Keys {
            good: RsaPrivateKey::new(&mut rng, 2048).expect("RSA key"),
            other: RsaPrivateKey::new(&mut rng, 2048).expect("RSA key"),
        }
    })
}

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The public JWK of `key`.
pub fn jwk(key: &RsaPrivateKey, kid: Option<&str>) -> Value {
    let public = key.to_public_key();
    let mut jwk = json!({
        "kty": "RSA",
        "use": "sig",
        "alg": "RS256",
        "n": b64(public.n().to_bytes_be()),
        "e": b64(public.e().to_bytes_be()),
    });
    if let Some(kid) = kid {
        jwk["kid"] = json!(kid);
    }
    jwk
}

/// How the token is signed.
#[derive(Clone, Debug)]
pub enum Signing {
    /// RS256 with the provider's key.
    Good,
    /// RS256 with a key the provider never published.
    OtherKey,
    /// A valid signature over other content: the payload is altered after signing.
    Tampered,
    /// No signature at all (use with `alg: none`).
    Empty,
    /// HMAC-SHA256 keyed with these bytes (alg confusion attempts).
    Hmac(Vec<u8>),
}

/// Builds a compact JWS from a header, claims and a signing mode.
pub fn sign(header: &Value, claims: &Value, signing: &Signing) -> String {
    let head = b64(serde_json::to_vec(header).unwrap());
    let body = b64(serde_json::to_vec(claims).unwrap());
    let input = format!("{head}.{body}");
    let rs256 = |key: &RsaPrivateKey, msg: &str| {
        let signer = SigningKey::<Sha256>::new(key.clone());
        b64(signer.sign(msg.as_bytes()).to_bytes())
    };
    match signing {
        Signing::Good => format!("{input}.{}", rs256(&keys().good, &input)),
        Signing::OtherKey => format!("{input}.{}", rs256(&keys().other, &input)),
        Signing::Tampered => {
            let signature = rs256(&keys().good, &input);
            let mut altered = claims.clone();
            altered["sub"] = json!("someone-else");
            let body = b64(serde_json::to_vec(&altered).unwrap());
            format!("{head}.{body}.{signature}")
        }
        Signing::Empty => format!("{input}."),
        Signing::Hmac(key) => {
            use hmac::{Hmac, Mac};
            let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
            mac.update(input.as_bytes());
            format!("{input}.{}", b64(mac.finalize().into_bytes()))
        }
    }
}

/// What the fake provider does; tests change it between steps.
#[derive(Clone, Debug)]
pub struct Knobs {
    /// Issuer announced by discovery (default: its own URL).
    pub discovery_issuer: Option<String>,
    /// Extra or replaced discovery fields.
    pub discovery_extra: Map<String, Value>,
    /// `authorization_response_iss_parameter_supported` and whether `/authorize` adds `iss`.
    pub iss_parameter_supported: bool,
    /// Overrides the `iss` added to the authorization response.
    pub authorization_response_iss: Option<String>,
    /// Merged over `{"alg":"RS256","kid":"key-1","typ":"JWT"}`; `null` removes a field.
    pub header: Map<String, Value>,
    /// Merged over the default claims (iss, sub, aud, iat, exp, nonce, sid, name, email...);
    /// `null` removes a claim.
    pub claims: Map<String, Value>,
    pub signing: Signing,
    /// The JWKS document (default: the good key with kid `key-1`).
    pub jwks: Option<Value>,
    /// Discovery answers this status (with an error body) instead of the document.
    pub discovery_status: Option<u16>,
    /// A raw token endpoint answer (status, content type, body) instead of the normal one.
    pub token_response: Option<(u16, &'static str, String)>,
    /// Leave `id_token` out of the token response.
    pub omit_id_token: bool,
    /// `token_type` of the token response.
    pub token_type: &'static str,
    /// Give every login its own subject (`user-<code>`), for concurrency tests.
    pub unique_subjects: bool,
    /// The access token handed out (default: an opaque string).
    pub access_token: Option<String>,
    /// `expires_in` of access tokens (seconds).
    pub expires_in: u64,
    /// Answer refresh grants with this OAuth error instead.
    pub refresh_error: Option<&'static str>,
    /// Delay before answering a refresh grant (widens race windows in concurrency tests).
    pub refresh_delay: Option<Duration>,
    /// Include a new ID token (the knobs' claims, no nonce) in refresh responses.
    pub refresh_id_token: bool,
    /// Delay before the token endpoint answers.
    pub token_delay: Option<Duration>,
    /// Advertise `pushed_authorization_request_endpoint` (`/par`) and answer it so.
    pub par: Option<Par>,
    /// `private_key_jwt`: the client's registered public key. The token endpoint then wants
    /// a client assertion instead of the secret and checks it as a provider must.
    pub client_assertion_key: Option<rsa::RsaPublicKey>,
}

/// How the fake's PAR endpoint answers.
#[derive(Clone, Debug)]
pub enum Par {
    /// 201 with a `request_uri` that `/authorize` resolves.
    Accept,
    /// This status with this OAuth `error`.
    Refuse(u16, &'static str),
}

impl Default for Knobs {
    fn default() -> Self {
        Self {
            discovery_issuer: None,
            discovery_extra: Map::new(),
            iss_parameter_supported: false,
            authorization_response_iss: None,
            header: Map::new(),
            claims: Map::new(),
            signing: Signing::Good,
            jwks: None,
            discovery_status: None,
            token_response: None,
            omit_id_token: false,
            token_type: "Bearer",
            unique_subjects: false,
            access_token: None,
            expires_in: 300,
            refresh_error: None,
            refresh_delay: None,
            refresh_id_token: false,
            token_delay: None,
            par: None,
            client_assertion_key: None,
        }
    }
}

#[derive(Debug, Default, Clone)]
pub struct Pending {
    pub code: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub redirect_uri: String,
}

#[derive(Default)]
struct State {
    knobs: Knobs,
    pending: std::collections::HashMap<String, Pending>,
    token_requests: usize,
    jwks_requests: usize,
    /// Refresh tokens that are still valid (rotated on use).
    refresh_tokens: std::collections::HashSet<String>,
    refresh_grants: usize,
    /// Pushed authorization requests by `request_uri`.
    pushed: std::collections::HashMap<String, Vec<(String, String)>>,
    /// The requests `/par` received (form fields).
    par_requests: Vec<Vec<(String, String)>>,
    /// Client assertion `jti`s seen (replays are refused).
    assertion_jtis: std::collections::HashSet<String>,
    /// Why client assertions were refused.
    assertion_refusals: Vec<String>,
    /// Client assertions accepted.
    assertions_accepted: usize,
}

#[derive(Clone)]
pub struct FakeIdp {
    pub issuer: String,
    state: Arc<Mutex<State>>,
    handle: Arc<Mutex<Option<actix_web::dev::ServerHandle>>>,
}

impl FakeIdp {
    pub async fn start() -> Self {
        Self::start_with(Knobs::default()).await
    }

    pub async fn start_with(knobs: Knobs) -> Self {
        Self::start_on(TcpListener::bind("127.0.0.1:0").unwrap(), knobs).await
    }

    /// Starts on a given listener (to come up at an address an app already expects).
    pub async fn start_on(listener: TcpListener, knobs: Knobs) -> Self {
        let issuer = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let state = Arc::new(Mutex::new(State {
            knobs,
            ..Default::default()
        }));
        let fake = Self {
            issuer,
            state,
            handle: Arc::new(Mutex::new(None)),
        };
        let data = web::Data::new(fake.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route(
                    "/.well-known/openid-configuration",
                    web::get().to(discovery),
                )
                .route("/authorize", web::get().to(authorize))
                .route("/token", web::post().to(token))
                .route("/par", web::post().to(par))
                .route("/jwks", web::get().to(jwks))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(0)
        .listen(listener)
        .unwrap()
        .run();
        *fake.handle.lock().unwrap() = Some(server.handle());
        tokio::spawn(server);
        fake
    }

    /// Stops serving (the provider goes down).
    pub async fn stop(&self) {
        let handle = self.handle.lock().unwrap().take();
        if let Some(handle) = handle {
            handle.stop(false).await;
        }
    }

    pub fn set(&self, change: impl FnOnce(&mut Knobs)) {
        change(&mut self.state.lock().unwrap().knobs);
    }

    pub fn token_requests(&self) -> usize {
        self.state.lock().unwrap().token_requests
    }

    /// How many refresh grants succeeded.
    pub fn refresh_grants(&self) -> usize {
        self.state.lock().unwrap().refresh_grants
    }

    /// The form fields of every pushed authorization request received.
    pub fn par_requests(&self) -> Vec<Vec<(String, String)>> {
        self.state.lock().unwrap().par_requests.clone()
    }

    /// Why client assertions were refused, in order.
    pub fn assertion_refusals(&self) -> Vec<String> {
        self.state.lock().unwrap().assertion_refusals.clone()
    }

    pub fn assertions_accepted(&self) -> usize {
        self.state.lock().unwrap().assertions_accepted
    }

    pub fn jwks_requests(&self) -> usize {
        self.state.lock().unwrap().jwks_requests
    }

    fn knobs(&self) -> Knobs {
        self.state.lock().unwrap().knobs.clone()
    }

    /// The claims a well-behaved provider would put in the ID token for `nonce`.
    pub fn default_claims(&self, nonce: Option<&str>) -> Value {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut claims = json!({
            "iss": self.issuer,
            "sub": "fake-user-1",
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "sid": "fake-sid-1",
            "name": "Fiona Fake",
            "email": "fiona@example.com",
            "email_verified": true,
        });
        if let Some(nonce) = nonce {
            claims["nonce"] = json!(nonce);
        }
        claims
    }

    /// Builds a token from the knobs: default header and claims with the knobs merged over.
    pub fn token_for(&self, nonce: Option<&str>) -> String {
        self.build(nonce, None)
    }

    /// As [`token_for`](Self::token_for), for another subject.
    pub fn token_with(&self, nonce: Option<&str>, subject: &str) -> String {
        self.build(nonce, Some(subject))
    }

    fn build(&self, nonce: Option<&str>, subject: Option<&str>) -> String {
        let knobs = self.knobs();
        let mut header = json!({"alg": "RS256", "kid": "key-1", "typ": "JWT"});
        merge(&mut header, &knobs.header);
        let mut claims = self.default_claims(nonce);
        merge(&mut claims, &knobs.claims);
        if let Some(subject) = subject {
            claims["sub"] = json!(subject);
            claims["sid"] = json!(format!("sid-{subject}"));
        }
        sign(&header, &claims, &knobs.signing)
    }
}

impl FakeIdp {
    /// A valid back-channel logout token for provider session `sid`, signed with the good key.
    pub fn logout_token(&self, sid: &str) -> String {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        sign(
            &json!({"alg": "RS256", "kid": "key-1", "typ": "logout+jwt"}),
            &json!({
                "iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 120,
                "jti": crate::helpers::random_code(), "sid": sid,
                "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
            }),
            &Signing::Good,
        )
    }
}

fn merge(target: &mut Value, changes: &Map<String, Value>) {
    let object = target.as_object_mut().unwrap();
    for (key, value) in changes {
        if value.is_null() {
            object.remove(key);
        } else {
            object.insert(key.clone(), value.clone());
        }
    }
}

async fn discovery(fake: web::Data<FakeIdp>) -> HttpResponse {
    let knobs = fake.knobs();
    if let Some(status) = knobs.discovery_status {
        return HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
            .body("unavailable");
    }
    let issuer = &fake.issuer;
    let mut doc = json!({
        "issuer": knobs.discovery_issuer.clone().unwrap_or_else(|| issuer.clone()),
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "end_session_endpoint": format!("{issuer}/logout"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": knobs.iss_parameter_supported,
    });
    if knobs.par.is_some() {
        doc["pushed_authorization_request_endpoint"] = json!(format!("{issuer}/par"));
    }
    if knobs.client_assertion_key.is_some() {
        doc["token_endpoint_auth_methods_supported"] = json!(["private_key_jwt"]);
        doc["token_endpoint_auth_signing_alg_values_supported"] =
            json!(["RS256", "PS256", "ES256"]);
    }
    merge(&mut doc, &knobs.discovery_extra);
    HttpResponse::Ok().json(doc)
}

async fn jwks(fake: web::Data<FakeIdp>) -> HttpResponse {
    let jwks = {
        let mut state = fake.state.lock().unwrap();
        state.jwks_requests += 1;
        state.knobs.jwks.clone()
    };
    HttpResponse::Ok()
        .json(jwks.unwrap_or_else(|| json!({"keys": [jwk(&keys().good, Some("key-1"))]})))
}

async fn authorize(req: HttpRequest, fake: web::Data<FakeIdp>) -> HttpResponse {
    let mut params: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(req.query_string().as_bytes())
            .into_owned()
            .collect();
    if let Some(request_uri) = params.get("request_uri").cloned() {
        // RFC 9126: the pushed parameters, once; nothing else but client_id may come along.
        let pushed = fake.state.lock().unwrap().pushed.remove(&request_uri);
        let Some(pushed) = pushed else {
            return HttpResponse::BadRequest().json(json!({"error": "invalid_request_uri"}));
        };
        assert!(
            params
                .keys()
                .all(|k| k == "client_id" || k == "request_uri"),
            "a PAR redirect carries only client_id and request_uri: {params:?}"
        );
        params = pushed.into_iter().collect();
    }
    let code = crate::helpers::random_code();
    let redirect_uri = params.get("redirect_uri").cloned().unwrap_or_default();
    let knobs = fake.knobs();
    {
        let mut state = fake.state.lock().unwrap();
        state.pending.insert(
            code.clone(),
            Pending {
                code: code.clone(),
                nonce: params.get("nonce").cloned(),
                code_challenge: params.get("code_challenge").cloned(),
                redirect_uri: redirect_uri.clone(),
            },
        );
    }
    let mut location = url::Url::parse(&redirect_uri).unwrap();
    {
        let mut query = location.query_pairs_mut();
        query.append_pair("code", &code);
        if let Some(state) = params.get("state") {
            query.append_pair("state", state);
        }
        if let Some(iss) = &knobs.authorization_response_iss {
            query.append_pair("iss", iss);
        } else if knobs.iss_parameter_supported {
            query.append_pair("iss", &fake.issuer);
        }
    }
    HttpResponse::Found()
        .insert_header(("Location", location.to_string()))
        .finish()
}

async fn token(req: HttpRequest, body: web::Bytes, fake: web::Data<FakeIdp>) -> HttpResponse {
    let knobs = fake.knobs();
    fake.state.lock().unwrap().token_requests += 1;
    if let Some(delay) = knobs.token_delay {
        tokio::time::sleep(delay).await;
    }
    if let Some((status, content_type, body)) = knobs.token_response {
        return HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
            .content_type(content_type)
            .body(body);
    }
    let error = |code: &str| HttpResponse::BadRequest().json(json!({"error": code}));
    // client_secret_basic, form-encoded per RFC 6749 2.3.1.
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            form_encode(CLIENT_ID),
            form_encode(CLIENT_SECRET)
        ))
    );
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(&body).into_owned().collect();
    let authenticated = match &knobs.client_assertion_key {
        Some(key) => check_client_assertion(&fake, key, &form, auth),
        None => (auth == expected)
            .then_some(())
            .ok_or_else(|| "bad secret".to_owned()),
    };
    if let Err(why) = authenticated {
        return HttpResponse::Unauthorized()
            .json(json!({"error": "invalid_client", "error_description": why}));
    }
    if form.get("grant_type").map(String::as_str) == Some("refresh_token") {
        return refresh(
            &fake,
            &knobs,
            form.get("refresh_token").cloned().unwrap_or_default(),
        )
        .await;
    }
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return error("unsupported_grant_type");
    }
    let Some(pending) = form
        .get("code")
        .and_then(|code| fake.state.lock().unwrap().pending.remove(code))
    else {
        return error("invalid_grant");
    };
    if form.get("redirect_uri") != Some(&pending.redirect_uri) {
        return error("invalid_grant");
    }
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if Some(b64(Sha256::digest(verifier.as_bytes()))) != pending.code_challenge {
        return error("invalid_grant");
    }
    let refresh_token = format!("rt-{}", crate::helpers::random_code());
    fake.state
        .lock()
        .unwrap()
        .refresh_tokens
        .insert(refresh_token.clone());
    let mut response = json!({
        "access_token": knobs.access_token.clone().unwrap_or_else(|| "fake-access-token".into()),
        "token_type": knobs.token_type,
        "expires_in": knobs.expires_in,
        "refresh_token": refresh_token,
    });
    if !knobs.omit_id_token {
        let token = if knobs.unique_subjects {
            fake.token_with(pending.nonce.as_deref(), &format!("user-{}", pending.code))
        } else {
            fake.token_for(pending.nonce.as_deref())
        };
        response["id_token"] = json!(token);
    }
    HttpResponse::Ok().json(response)
}

async fn refresh(fake: &FakeIdp, knobs: &Knobs, presented: String) -> HttpResponse {
    if let Some(delay) = knobs.refresh_delay {
        tokio::time::sleep(delay).await;
    }
    if let Some(error) = knobs.refresh_error {
        return HttpResponse::BadRequest().json(json!({"error": error}));
    }
    let next = format!("rt-{}", crate::helpers::random_code());
    {
        let mut state = fake.state.lock().unwrap();
        // Rotation: a refresh token works once.
        if !state.refresh_tokens.remove(&presented) {
            return HttpResponse::BadRequest().json(json!({"error": "invalid_grant"}));
        }
        state.refresh_tokens.insert(next.clone());
        state.refresh_grants += 1;
    }
    let mut response = json!({
        "access_token": format!("fake-access-token-{}", crate::helpers::random_code()),
        "token_type": "Bearer",
        "expires_in": knobs.expires_in,
        "refresh_token": next,
    });
    if knobs.refresh_id_token {
        response["id_token"] = json!(fake.token_for(None));
    }
    HttpResponse::Ok().json(response)
}

/// What a provider checks of a `private_key_jwt` client assertion (RFC 7523 3, OpenID Connect
/// Core 9): its type, RS256 signature by the registered key, `iss` = `sub` = the client,
/// `aud` = the issuer, an unexpired and short `exp`, a `jti` never seen; no secret besides.
fn check_client_assertion(
    fake: &FakeIdp,
    key: &rsa::RsaPublicKey,
    form: &std::collections::HashMap<String, String>,
    authorization: &str,
) -> Result<(), String> {
    use rsa::{pkcs1v15::VerifyingKey, signature::Verifier};
    let result = (|| {
        if !authorization.is_empty() || form.contains_key("client_secret") {
            return Err("a secret came along".to_owned());
        }
        if form.get("client_assertion_type").map(String::as_str)
            != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        {
            return Err("wrong client_assertion_type".into());
        }
        let jwt = form.get("client_assertion").ok_or("no client_assertion")?;
        let (input, signature) = jwt.rsplit_once('.').ok_or("not a JWS")?;
        let (header, claims) = input.split_once('.').ok_or("not a JWS")?;
        let decode = |part: &str| -> Result<Value, String> {
            let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| "not base64url")?;
            serde_json::from_slice(&bytes).map_err(|_| "not JSON".to_owned())
        };
        let (header, claims) = (decode(header)?, decode(claims)?);
        if header["alg"] != "RS256" || !header["kid"].is_string() {
            return Err(format!("header {header}"));
        }
        let signature = rsa::pkcs1v15::Signature::try_from(
            URL_SAFE_NO_PAD
                .decode(signature)
                .map_err(|_| "signature not base64url")?
                .as_slice(),
        )
        .map_err(|_| "malformed signature")?;
        VerifyingKey::<Sha256>::new(key.clone())
            .verify(input.as_bytes(), &signature)
            .map_err(|_| "bad signature".to_owned())?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        if claims["iss"] != CLIENT_ID || claims["sub"] != CLIENT_ID {
            return Err(format!("iss/sub {} {}", claims["iss"], claims["sub"]));
        }
        if claims["aud"] != json!(fake.issuer) {
            return Err(format!("aud {}", claims["aud"]));
        }
        let exp = claims["exp"].as_i64().ok_or("no exp")?;
        let iat = claims["iat"].as_i64().ok_or("no iat")?;
        if exp <= now || exp - iat > 60 || iat > now + 5 {
            return Err(format!("exp {exp} iat {iat} now {now}"));
        }
        let jti = claims["jti"].as_str().ok_or("no jti")?.to_owned();
        if !fake.state.lock().unwrap().assertion_jtis.insert(jti) {
            return Err("replayed jti".into());
        }
        Ok(())
    })();
    let mut state = fake.state.lock().unwrap();
    match &result {
        Ok(()) => state.assertions_accepted += 1,
        Err(why) => state.assertion_refusals.push(why.clone()),
    }
    result
}

async fn par(req: HttpRequest, body: web::Bytes, fake: web::Data<FakeIdp>) -> HttpResponse {
    let knobs = fake.knobs();
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    fake.state.lock().unwrap().par_requests.push(form.clone());
    match knobs.par {
        Some(Par::Refuse(status, error)) => {
            return HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
                .json(json!({"error": error, "error_description": "the fake says no"}))
        }
        None => return HttpResponse::NotFound().finish(),
        Some(Par::Accept) => {}
    }
    let map: std::collections::HashMap<String, String> = form.iter().cloned().collect();
    let authorization = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if let Some(key) = &knobs.client_assertion_key {
        if let Err(why) = check_client_assertion(&fake, key, &map, authorization) {
            return HttpResponse::Unauthorized()
                .json(json!({"error": "invalid_client", "error_description": why}));
        }
    }
    let request_uri = format!(
        "urn:ietf:params:oauth:request_uri:{}",
        crate::helpers::random_code()
    );
    let pushed = form
        .into_iter()
        .filter(|(k, _)| !k.starts_with("client_assertion") && k != "client_secret")
        .collect();
    fake.state
        .lock()
        .unwrap()
        .pushed
        .insert(request_uri.clone(), pushed);
    HttpResponse::Created().json(json!({"request_uri": request_uri, "expires_in": 60}))
}

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
