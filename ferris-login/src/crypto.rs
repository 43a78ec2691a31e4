//! Keys derived from `AUTH0_SECRET`, and authenticated encryption with them.
//!
//! Each secret entry yields, through HKDF-SHA256 with a purpose label, a 64-byte cookie key
//! (actix-session signs the session cookie with it) and an AES-256-GCM key for sealed values
//! (the login transaction cookie, tokens at rest). Sealed values start with a key id, so a
//! rotated secret list (new first, old after) keeps reading what the old key sealed.

use aes_gcm::{
    aead::{Aead, KeyInit, Payload},
    Aes256Gcm, Nonce,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hkdf::Hkdf;
use rand::RngCore;
use sha2::{Digest, Sha256};

const KEY_ID_LEN: usize = 4;
const NONCE_LEN: usize = 12;

struct DerivedKey {
    id: [u8; KEY_ID_LEN],
    aead: Aes256Gcm,
    cookie: actix_web::cookie::Key,
}

impl DerivedKey {
    fn derive(secret: &str) -> Self {
        let hk = Hkdf::<Sha256>::new(Some(b"rust-bff/v1"), secret.as_bytes());
        let mut aead_key = [0u8; 32];
        let mut cookie_key = [0u8; 64];
        let mut id = [0u8; KEY_ID_LEN];
        hk.expand(b"aead", &mut aead_key)
            .and_then(|_| hk.expand(b"cookie", &mut cookie_key))
            .and_then(|_| hk.expand(b"key-id", &mut id))
            .expect("HKDF output lengths are valid");
        Self {
            id,
            aead: Aes256Gcm::new(&aead_key.into()),
            cookie: actix_web::cookie::Key::from(&cookie_key),
        }
    }
}

/// All keys derived from `AUTH0_SECRET`; the first one is current.
pub struct Keyring {
    keys: Vec<DerivedKey>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("keys", &self.keys.len())
            .finish()
    }
}

impl Keyring {
    /// Derives keys from each secret; the first secret is the current one.
    ///
    /// # Panics
    /// If `secrets` is empty (configuration validation guarantees at least one).
    pub fn from_secrets<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Self {
        let keys: Vec<DerivedKey> = secrets.into_iter().map(DerivedKey::derive).collect();
        assert!(!keys.is_empty(), "at least one secret is required");
        Self { keys }
    }

    /// The key actix-session signs the session cookie with.
    pub fn session_cookie_key(&self) -> actix_web::cookie::Key {
        self.keys[0].cookie.clone()
    }

    /// Cookie keys of the previous secrets (still accepted, see `session::key_rotation`).
    pub fn previous_session_cookie_keys(&self) -> Vec<actix_web::cookie::Key> {
        self.keys[1..].iter().map(|k| k.cookie.clone()).collect()
    }

    /// Encrypts and authenticates `plaintext`, bound to `context` (a purpose label such as
    /// the cookie name: a value sealed for one context does not open in another).
    pub fn seal(&self, context: &[u8], plaintext: &[u8]) -> String {
        let key = &self.keys[0];
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ciphertext = key
            .aead
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: context,
                },
            )
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        let mut out = Vec::with_capacity(KEY_ID_LEN + NONCE_LEN + ciphertext.len());
        out.extend_from_slice(&key.id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        URL_SAFE_NO_PAD.encode(out)
    }

    /// Opens a value [`seal`](Self::seal)ed with any key of the ring for the same context.
    /// `None` for anything forged, truncated, sealed for another context or by an unknown key.
    pub fn open(&self, context: &[u8], sealed: &str) -> Option<Vec<u8>> {
        let raw = URL_SAFE_NO_PAD.decode(sealed.as_bytes()).ok()?;
        if raw.len() < KEY_ID_LEN + NONCE_LEN + 16 {
            return None;
        }
        let (id, rest) = raw.split_at(KEY_ID_LEN);
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let key = self.keys.iter().find(|k| k.id == id)?;
        key.aead
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context,
                },
            )
            .ok()
    }
}

/// SHA-256 of a value, for storing lookups of secrets (session ids, login states) without
/// storing the secrets.
pub fn sha256(value: &[u8]) -> [u8; 32] {
    Sha256::digest(value).into()
}


#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "an-old-secret-that-is-long-enough-000";
    const NEW: &str = "a-new-secret-that-is-long-enough-1111";

    #[test]
    fn sealed_values_open_with_the_same_context_only() {
        let ring = Keyring::from_secrets([NEW]);
        let sealed = ring.seal(b"txn", b"hello");
        assert_eq!(ring.open(b"txn", &sealed).as_deref(), Some(&b"hello"[..]));
        assert_eq!(ring.open(b"other", &sealed), None);
    }

    #[test]
    fn tampered_or_truncated_values_do_not_open() {
        let ring = Keyring::from_secrets([NEW]);
        let sealed = ring.seal(b"txn", b"hello");
        let mut flipped = sealed.clone().into_bytes();
        let last = flipped.len() - 2;
        flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            ring.open(b"txn", std::str::from_utf8(&flipped).unwrap()),
            None
        );
        assert_eq!(ring.open(b"txn", &sealed[..sealed.len() - 4]), None);
        assert_eq!(ring.open(b"txn", ""), None);
        assert_eq!(ring.open(b"txn", "%%%not base64"), None);
    }

    #[test]
    fn rotation_keeps_old_values_readable_and_seals_with_the_new_key() {
        let old_ring = Keyring::from_secrets([OLD]);
        let sealed_by_old = old_ring.seal(b"ctx", b"kept");
        let rotated = Keyring::from_secrets([NEW, OLD]);
        assert_eq!(
            rotated.open(b"ctx", &sealed_by_old).as_deref(),
            Some(&b"kept"[..])
        );
        let sealed_by_new = rotated.seal(b"ctx", b"fresh");
        assert_eq!(old_ring.open(b"ctx", &sealed_by_new), None);
        assert_eq!(
            Keyring::from_secrets([NEW]).open(b"ctx", &sealed_by_old),
            None
        );
    }

    #[test]
    fn each_seal_uses_a_fresh_nonce() {
        let ring = Keyring::from_secrets([NEW]);
        assert_ne!(ring.seal(b"c", b"same"), ring.seal(b"c", b"same"));
    }
}
