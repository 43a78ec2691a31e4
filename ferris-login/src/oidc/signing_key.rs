//! The client's own signing key for `private_key_jwt` (RFC 7523): read once at start-up from
//! `AUTH0_CLIENT_ASSERTION_SIGNING_KEY` (a PEM PKCS#8 / PKCS#1 RSA key, or a private JWK),
//! checked against `AUTH0_CLIENT_ASSERTION_SIGNING_ALG` (RS256, PS256 or ES256), and named by
//! a `kid`: the JWK's own, else its RFC 7638 thumbprint (what the provider's registered JWKS
//! must carry).

use std::fmt;

use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    Engine,
};
use ring::{
    rand::SystemRandom,
    signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair},
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The algorithms a client assertion may be signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssertionAlg {
    Rs256,
    Ps256,
    Es256,
}

impl AssertionAlg {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim() {
            "RS256" => Ok(Self::Rs256),
            "PS256" => Ok(Self::Ps256),
            "ES256" => Ok(Self::Es256),
            other => Err(format!(
                "`{}` is not supported (use RS256, PS256 or ES256)",
                crate::text::printable(other, 16)
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Ps256 => "PS256",
            Self::Es256 => "ES256",
        }
    }
}

enum Pair {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

/// A private key that signs client assertions. Its `Debug` shows the `kid` and algorithm only.
pub struct AssertionKey {
    pair: Pair,
    alg: AssertionAlg,
    kid: String,
    rng: SystemRandom,
}

impl fmt::Debug for AssertionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssertionKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

impl AssertionKey {
    /// Reads a PEM or JWK key; `alg` when configured, else the key's natural one (RS256 for
    /// RSA, ES256 for P-256). Errors say what is wrong, never the key.
    pub fn parse(raw: &str, alg: Option<AssertionAlg>) -> Result<Self, String> {
        // Environment variables often carry a PEM on one line with literal `\n`.
        let raw = raw.trim().replace("\\n", "\n");
        let rng = SystemRandom::new();
        let (pair, jwk_kid, jwk_alg) = if raw.starts_with('{') {
            parse_jwk(&raw, &rng)?
        } else if raw.starts_with("-----BEGIN") {
            (parse_pem(&raw, &rng)?, None, None)
        } else {
            return Err("expected a PEM private key (-----BEGIN PRIVATE KEY-----) or a private JWK ({\"kty\":...})".into());
        };
        let natural = match pair {
            Pair::Rsa(_) => AssertionAlg::Rs256,
            Pair::Ec(_) => AssertionAlg::Es256,
        };
        let alg = match (alg, jwk_alg) {
            (Some(configured), Some(in_key)) if configured != in_key => {
                return Err(format!(
                    "the JWK says alg {} but AUTH0_CLIENT_ASSERTION_SIGNING_ALG is {}",
                    in_key.as_str(),
                    configured.as_str()
                ))
            }
            (Some(alg), _) | (None, Some(alg)) => alg,
            (None, None) => natural,
        };
        let fits = matches!(
            (&pair, alg),
            (Pair::Rsa(_), AssertionAlg::Rs256 | AssertionAlg::Ps256)
                | (Pair::Ec(_), AssertionAlg::Es256)
        );
        if !fits {
            return Err(format!(
                "a {} key cannot sign {}",
                if matches!(pair, Pair::Rsa(_)) { "RSA" } else { "P-256" },
                alg.as_str()
            ));
        }
        let mut key = Self {
            pair,
            alg,
            kid: String::new(),
            rng,
        };
        key.kid = match jwk_kid {
            Some(kid) => kid,
            None => key.thumbprint(),
        };
        Ok(key)
    }

    pub fn alg(&self) -> AssertionAlg {
        self.alg
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public half as a JWK (with `kid`, `alg`, `use`): what to register at the provider.
    pub fn public_jwk(&self) -> Value {
        let mut jwk = self.public_members();
        jwk["kid"] = json!(self.kid);
        jwk["alg"] = json!(self.alg.as_str());
        jwk["use"] = json!("sig");
        jwk
    }

    /// The required members only, in RFC 7638's order (lexicographic).
    fn public_members(&self) -> Value {
        match &self.pair {
            Pair::Rsa(pair) => {
                let public = signature::RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
                json!({
                    "e": b64url(strip_leading_zeros(&public.e)),
                    "kty": "RSA",
                    "n": b64url(strip_leading_zeros(&public.n)),
                })
            }
            Pair::Ec(pair) => {
                let point = pair.public_key().as_ref(); // 0x04 || x || y
                json!({
                    "crv": "P-256",
                    "kty": "EC",
                    "x": b64url(&point[1..33]),
                    "y": b64url(&point[33..65]),
                })
            }
        }
    }

    /// RFC 7638 thumbprint (SHA-256, base64url).
    fn thumbprint(&self) -> String {
        // serde_json's map keeps keys sorted: the canonical form RFC 7638 asks for.
        let canonical = serde_json::to_vec(&self.public_members()).expect("JSON of strings");
        b64url(&Sha256::digest(canonical))
    }

    /// A compact JWS over `claims`, with `alg`, `kid` and `typ: JWT` in the header.
    pub fn sign_jwt(&self, claims: &Value) -> Result<String, String> {
        let header = json!({"alg": self.alg.as_str(), "kid": self.kid, "typ": "JWT"});
        let input = format!(
            "{}.{}",
            b64url(&serde_json::to_vec(&header).map_err(|e| e.to_string())?),
            b64url(&serde_json::to_vec(claims).map_err(|e| e.to_string())?)
        );
        let signature = match (&self.pair, self.alg) {
            (Pair::Rsa(pair), alg) => {
                let padding: &dyn signature::RsaEncoding = if alg == AssertionAlg::Ps256 {
                    &signature::RSA_PSS_SHA256
                } else {
                    &signature::RSA_PKCS1_SHA256
                };
                let mut out = vec![0; pair.public().modulus_len()];
                pair.sign(padding, &self.rng, input.as_bytes(), &mut out)
                    .map_err(|_| "RSA signing failed".to_owned())?;
                out
            }
            (Pair::Ec(pair), _) => pair
                .sign(&self.rng, input.as_bytes())
                .map_err(|_| "ECDSA signing failed".to_owned())?
                .as_ref()
                .to_vec(),
        };
        Ok(format!("{input}.{}", b64url(&signature)))
    }
}

fn parse_pem(raw: &str, rng: &SystemRandom) -> Result<Pair, String> {
    let mut lines = raw.lines().map(str::trim).filter(|l| !l.is_empty());
    let begin = lines.next().unwrap_or_default();
    let label = begin
        .strip_prefix("-----BEGIN ")
        .and_then(|l| l.strip_suffix("-----"))
        .ok_or("malformed PEM header")?
        .to_owned();
    let mut body = String::new();
    let mut ended = false;
    for line in lines {
        if line == format!("-----END {label}-----") {
            ended = true;
            break;
        }
        if line.contains(':') {
            return Err("encrypted PEM keys are not supported: give the key unencrypted".into());
        }
        body.push_str(line);
    }
    if !ended {
        return Err(format!("the PEM has no `-----END {label}-----` line"));
    }
    let der = STANDARD
        .decode(body.as_bytes())
        .map_err(|_| "the PEM body is not base64".to_owned())?;
    match label.as_str() {
        "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der)
            .map(Pair::Rsa)
            .or_else(|_| {
                EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &der, rng)
                    .map(Pair::Ec)
            })
            .map_err(|_| {
                "the PKCS#8 key is neither an RSA key (2048 bits or more) nor a P-256 key".into()
            }),
        "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der)
            .map(Pair::Rsa)
            .map_err(|e| format!("the RSA key is unusable ({e}; 2048 bits or more)")),
        "EC PRIVATE KEY" => Err(
            "SEC1 EC keys are not read: convert to PKCS#8 (`openssl pkcs8 -topk8 -nocrypt`)"
                .into(),
        ),
        "ENCRYPTED PRIVATE KEY" => {
            Err("encrypted PEM keys are not supported: give the key unencrypted".into())
        }
        other => Err(format!(
            "a `{}` PEM is not a private key",
            crate::text::printable(other, 32)
        )),
    }
}

type Parsed = (Pair, Option<String>, Option<AssertionAlg>);

fn parse_jwk(raw: &str, rng: &SystemRandom) -> Result<Parsed, String> {
    let jwk: serde_json::Map<String, Value> =
        serde_json::from_str(raw).map_err(|_| "the JWK is not a JSON object".to_owned())?;
    let text = |name: &str| jwk.get(name).and_then(Value::as_str);
    let bytes = |name: &str| -> Result<Vec<u8>, String> {
        let value = text(name).ok_or_else(|| format!("the JWK has no `{name}`"))?;
        URL_SAFE_NO_PAD
            .decode(value.trim_end_matches('='))
            .map_err(|_| format!("the JWK's `{name}` is not base64url"))
    };
    if text("use").is_some_and(|u| u != "sig") {
        return Err("the JWK's `use` is not `sig`".into());
    }
    let kid = text("kid")
        .map(|kid| {
            if kid.is_empty() || kid.len() > 256 || kid.chars().any(char::is_control) {
                Err("the JWK's `kid` must be 1 to 256 printable characters".to_owned())
            } else {
                Ok(kid.to_owned())
            }
        })
        .transpose()?;
    let alg = text("alg").map(AssertionAlg::parse).transpose()?;
    let pair = match text("kty") {
        Some("RSA") => {
            if !jwk.contains_key("d") {
                return Err("the JWK is a public key: give the private one (with `d`)".into());
            }
            let components = ring::rsa::KeyPairComponents {
                public_key: signature::RsaPublicKeyComponents {
                    n: bytes("n")?,
                    e: bytes("e")?,
                },
                d: bytes("d")?,
                p: bytes("p")?,
                q: bytes("q")?,
                dP: bytes("dp")?,
                dQ: bytes("dq")?,
                qInv: bytes("qi")?,
            };
            Pair::Rsa(
                RsaKeyPair::from_components(&components)
                    .map_err(|e| format!("the RSA JWK is unusable ({e}; 2048 bits or more)"))?,
            )
        }
        Some("EC") => {
            if text("crv") != Some("P-256") {
                return Err("only P-256 EC keys are supported".into());
            }
            if !jwk.contains_key("d") {
                return Err("the JWK is a public key: give the private one (with `d`)".into());
            }
            let mut point = vec![4u8];
            point.extend(bytes("x")?);
            point.extend(bytes("y")?);
            Pair::Ec(
                EcdsaKeyPair::from_private_key_and_public_key(
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    &bytes("d")?,
                    &point,
                    rng,
                )
                .map_err(|e| format!("the EC JWK is unusable ({e})"))?,
            )
        }
        _ => return Err("the JWK's `kty` must be RSA or EC".into()),
    };
    Ok((pair, kid, alg))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A freshly generated P-256 key as PKCS#8 PEM (no key is committed).
    pub(crate) fn p256_pem() -> String {
        let rng = SystemRandom::new();
        let der =
            EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .unwrap();
        pem("PRIVATE KEY", der.as_ref())
    }

    fn pem(label: &str, der: &[u8]) -> String {
        let body = STANDARD.encode(der);
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
    }

    /// A PEM frame around `body`, with or without its end line.
    fn malformed_pem(label: &str, body: &str, ended: bool) -> String {
        let end = if ended { format!("\n-----END {label}-----") } else { String::new() };
        format!("-----BEGIN {label}-----\n{body}{end}")
    }

    fn verify(key: &AssertionKey, jwt: &str) -> Value {
        let (input, sig) = jwt.rsplit_once('.').unwrap();
        let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
        let public = key.public_jwk();
        match key.alg {
            AssertionAlg::Es256 => {
                let mut point = vec![4u8];
                point.extend(URL_SAFE_NO_PAD.decode(public["x"].as_str().unwrap()).unwrap());
                point.extend(URL_SAFE_NO_PAD.decode(public["y"].as_str().unwrap()).unwrap());
                signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                    .verify(input.as_bytes(), &sig)
                    .expect("signature verifies");
            }
            _ => unreachable!("RSA signing is covered by the integration tests"),
        }
        let (header, _) = input.split_once('.').unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap()
    }

    #[test]
    fn a_pkcs8_p256_pem_signs_es256_named_by_its_thumbprint() {
        let key = AssertionKey::parse(&p256_pem(), None).unwrap();
        assert_eq!(key.alg(), AssertionAlg::Es256);
        assert_eq!(key.kid().len(), 43, "a base64url SHA-256");
        let header = verify(&key, &key.sign_jwt(&json!({"iss": "me"})).unwrap());
        assert_eq!(header, json!({"alg": "ES256", "kid": key.kid(), "typ": "JWT"}));
        assert!(!format!("{key:?}").contains("PRIVATE"));
    }

    #[test]
    fn a_pem_on_one_line_with_escaped_newlines_is_read() {
        let one_line = p256_pem().replace('\n', "\\n");
        assert!(AssertionKey::parse(&one_line, None).is_ok());
    }

    #[test]
    fn a_private_jwk_keeps_its_kid_and_its_public_half_round_trips() {
        let key = AssertionKey::parse(&p256_pem(), None).unwrap();
        let rng = SystemRandom::new();
        let der =
            EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .unwrap();
        // d is the 32 bytes after the PKCS#8 prefix ring writes (fixed template).
        let pair = EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            der.as_ref(),
            &rng,
        )
        .unwrap();
        let d = &der.as_ref()[36..68];
        let point = pair.public_key().as_ref();
        let jwk = json!({
            "kty": "EC", "crv": "P-256", "kid": "my-key-1", "alg": "ES256",
            "x": b64url(&point[1..33]), "y": b64url(&point[33..65]), "d": b64url(d),
        });
        let from_jwk = AssertionKey::parse(&jwk.to_string(), None).unwrap();
        assert_eq!(from_jwk.kid(), "my-key-1");
        verify(&from_jwk, &from_jwk.sign_jwt(&json!({})).unwrap());
        assert_ne!(key.kid(), from_jwk.kid());
    }

    #[test]
    fn unusable_keys_are_refused_with_a_reason() {
        let cases = [
            ("", "expected a PEM"),
            ("secret", "expected a PEM"),
            // Malformed PEMs (three zero bytes, `AAAA`), built here: no key text in the source.
            (&malformed_pem("PUBLIC KEY", "AAAA", true), "not a private key"),
            (&malformed_pem("EC PRIVATE KEY", "AAAA", true), "PKCS#8"),
            (&malformed_pem("PRIVATE KEY", "AAAA", false), "no `-----END"),
            (&malformed_pem("PRIVATE KEY", "!!!!", true), "not base64"),
            (&malformed_pem("PRIVATE KEY", "AAAA", true), "neither"),
            (r#"{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}"#, "public key"),
            (r#"{"kty":"oct","k":"AA"}"#, "kty"),
            (r#"{"kty":"EC","crv":"P-384","d":"AA"}"#, "P-256"),
            (r#"{"kty":"EC","crv":"P-256","use":"enc","d":"AA"}"#, "use"),
            ("{not json", "JSON object"),
        ];
        for (raw, reason) in cases {
            let err = AssertionKey::parse(raw, None).unwrap_err();
            assert!(err.contains(reason), "{raw}: {err}");
        }
    }

    #[test]
    fn the_algorithm_must_fit_the_key() {
        let pem = p256_pem();
        let err = AssertionKey::parse(&pem, Some(AssertionAlg::Rs256)).unwrap_err();
        assert!(err.contains("cannot sign RS256"), "{err}");
        assert!(AssertionAlg::parse("HS256").is_err());
        assert!(AssertionAlg::parse("none").is_err());
        assert_eq!(AssertionAlg::parse(" PS256 "), Ok(AssertionAlg::Ps256));
    }
}
