//! Authorization tokens: shaped like CodeArtifact's, and really sealed.
//!
//! A real token is a JWE in compact serialization (five base64url parts) whose protected
//! header reads `{"ver":1,"isu":<issued>,"enc":"A128GCM","tag":"...","exp":<expires>,
//! "alg":"A128GCMKW","iv":"..."}`, which is why every token starts `eyJ2ZXIiOjEsImlzdSI6`.
//! The mock builds exactly that: a random content key wrapped with the server's key
//! (A128GCMKW, IV and tag in the header), and the claims encrypted under the content key
//! (A128GCM, the encoded header as additional data). So a token's size and look match the
//! real ones (about 1,240 characters), and [`TokenSealer::open`] can tell a token this server
//! issued from a forged or tampered one.

use std::fmt;

use rand::RngCore;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_128_GCM};
use serde::{Deserialize, Serialize};

/// Plaintext size the claims are padded to, so tokens are as long as real ones.
const PADDED_CLAIMS_LEN: usize = 744;
/// Room for a whole token (about 1,240 characters), so building one never reallocates.
const TOKEN_CAPACITY: usize = 1280;
/// Room for the protected header's JSON (about 130 bytes with 10-digit times).
const HEADER_CAPACITY: usize = 160;

/// Encodes tokens' parts: base64url without padding, with SIMD where the CPU has it (a token
/// is a kilobyte of base64, which the scalar encoder took a tenth of a request to write).
const BASE64URL: base64_simd::Base64 = base64_simd::URL_SAFE_NO_PAD;

/// What `--duration-seconds 0` does for long-term (IAM user) keys, which have no session to
/// follow. AWS does not document it; see `docs/fidelity.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum ZeroDurationPolicy {
    /// Issue a token with the default 12-hour lifetime.
    #[default]
    DefaultDuration,
    /// Refuse with a ValidationException.
    Reject,
}

/// How `expiration` is spelled in the JSON body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum ExpirationFormat {
    /// Whole epoch seconds: `1764330000`.
    #[default]
    Integer,
    /// Java's `Double.toString`, as Coral services often write it: `1.76433E9`.
    JavaDouble,
}

/// What a token grants, sealed inside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenClaims {
    /// Domain name.
    pub domain: String,
    /// Domain owner.
    pub domain_owner: String,
    /// Region the token was issued in.
    pub region: String,
    /// ARN of the caller it was issued to.
    pub principal: String,
    /// The access key id the caller signed with: which identity the token speaks for, when
    /// several share an ARN with different permissions. Absent in tokens minted before it
    /// was sealed in (their ARN's first identity speaks for them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    /// Issue time, epoch seconds.
    pub issued_at: i64,
    /// Expiry, epoch seconds (equals the response's `expiration`).
    pub expires_at: i64,
}

/// Why a token was refused.
/// The key that seals tokens (`--token-key-file`): tokens outlive a restart, and several
/// mocks that share it accept each other's tokens. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenKey(pub [u8; 16]);

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenKey(<redacted>)")
    }
}

impl TokenKey {
    /// The key in `path` (32 hex digits), or a new random one written there (readable by its
    /// owner only) when the file does not exist.
    pub fn load_or_create(path: &std::path::Path) -> Result<Self, String> {
        let named = |e: &dyn fmt::Display| format!("{}: {e}", path.display());
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text).map_err(|e| named(&e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 16];
                rand::thread_rng().fill_bytes(&mut key);
                match publish_private(path, format!("{}\n", hex::encode(key)).as_bytes()) {
                    Ok(()) => Ok(Self(key)),
                    // Another mock created it first: its key is the one to share.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        let text = std::fs::read_to_string(path).map_err(|e| named(&e))?;
                        Self::parse(&text).map_err(|e| named(&e))
                    }
                    Err(e) => Err(named(&e)),
                }
            }
            Err(e) => Err(named(&e)),
        }
    }

    fn parse(text: &str) -> Result<Self, String> {
        let bytes = hex::decode(text.trim()).map_err(|e| e.to_string())?;
        let key: [u8; 16] = bytes
            .try_into()
            .map_err(|_| "a token key is 32 hex digits (16 bytes)".to_owned())?;
        Ok(Self(key))
    }
}

/// Creates `path` with `bytes`, readable and writable by its owner only, whole or not at all:
/// written to a temporary file beside it and linked into place, which fails if `path`
/// exists. So two mocks starting at once both end up with the first one's key, and neither
/// ever reads a half-written file.
fn publish_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("key");
    let temporary = path.with_file_name(format!(".{name}.{}.{}.tmp", std::process::id(), rand::random::<u32>()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let write = |options: &std::fs::OpenOptions, at: &std::path::Path| -> std::io::Result<()> {
        let mut file = options.open(at)?;
        file.write_all(bytes)?;
        file.sync_all()
    };
    let linked = write(&options, &temporary).and_then(|()| std::fs::hard_link(&temporary, path));
    let _ = std::fs::remove_file(&temporary);
    match linked {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
            // A file system without hard links: create it in place, still only if missing.
            write(&options, path)
        }
        linked => linked,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not five base64url parts with the expected header.
    #[error("not a CodeArtifact authorization token")]
    Malformed,
    /// Not sealed by this server, or altered since.
    #[error("token was not issued by this server or was altered")]
    Forged,
    /// Past its expiry.
    #[error("token expired at {0}")]
    Expired(i64),
}

/// The protected header, as `open` reads it.
#[derive(Deserialize)]
struct Header {
    ver: u32,
    isu: i64,
    enc: String,
    tag: String,
    exp: i64,
    alg: String,
    iv: String,
}

/// Seals and opens tokens with one server key.
///
/// AES-GCM is ring's (the TLS stack already builds it): its assembly seals a token several
/// times faster than the portable `aes-gcm` crate, and sealing is a fifth of a request's cost.
pub struct TokenSealer {
    key_wrapping: LessSafeKey,
}

impl fmt::Debug for TokenSealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenSealer(<key redacted>)")
    }
}

impl TokenSealer {
    /// A sealer with a fresh random key: tokens survive only as long as the process.
    pub fn random() -> Self {
        let mut key = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut key);
        Self::with_key(key)
    }

    /// A sealer with a given key.
    pub fn with_key(key: [u8; 16]) -> Self {
        Self {
            key_wrapping: aes_128_gcm(key),
        }
    }

    /// Seals claims into a token string.
    pub fn seal(&self, claims: &TokenClaims) -> String {
        let mut rng = rand::thread_rng();
        let mut content_key = [0u8; 16];
        let mut wrap_iv = [0u8; 12];
        let mut content_iv = [0u8; 12];
        rng.fill_bytes(&mut content_key);
        rng.fill_bytes(&mut wrap_iv);
        rng.fill_bytes(&mut content_iv);

        let mut wrapped_key = content_key;
        let wrap_tag = seal_in_place(&self.key_wrapping, wrap_iv, b"", &mut wrapped_key);

        let mut plaintext = Vec::with_capacity(PADDED_CLAIMS_LEN);
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut plaintext, claims);
        if plaintext.len() < PADDED_CLAIMS_LEN {
            plaintext.resize(PADDED_CLAIMS_LEN, b' ');
        }

        // The token is built in one string: the encoded header first, which is also the
        // content encryption's additional data, then the other four parts.
        let mut token = String::with_capacity(TOKEN_CAPACITY);
        BASE64URL.encode_append(protected_header(claims, &wrap_tag, &wrap_iv), &mut token);
        let tag = seal_in_place(
            &aes_128_gcm(content_key),
            content_iv,
            token.as_bytes(),
            &mut plaintext,
        );
        for part in [&wrapped_key[..], &content_iv, &plaintext, &tag] {
            token.push('.');
            BASE64URL.encode_append(part, &mut token);
        }
        token
    }

    /// Opens a token this server sealed, refusing forged, altered and expired ones.
    pub fn open(&self, token: &str, now_unix_seconds: i64) -> Result<TokenClaims, TokenError> {
        let parts: Vec<&str> = token.split('.').collect();
        let [header_b64, wrapped_b64, iv_b64, ciphertext_b64, tag_b64] = parts[..] else {
            return Err(TokenError::Malformed);
        };
        let decode = |part: &str| {
            BASE64URL
                .decode_to_vec(part)
                .map_err(|_| TokenError::Malformed)
        };
        let header: Header =
            serde_json::from_slice(&decode(header_b64)?).map_err(|_| TokenError::Malformed)?;
        if header.ver != 1 || header.alg != "A128GCMKW" || header.enc != "A128GCM" {
            return Err(TokenError::Malformed);
        }
        let content_key = open(
            &self.key_wrapping,
            &decode(&header.iv)?,
            b"",
            decode(wrapped_b64)?,
            &decode(&header.tag)?,
        )?;
        let content_key: [u8; 16] = content_key[..].try_into().map_err(|_| TokenError::Forged)?;
        let plaintext = open(
            &aes_128_gcm(content_key),
            &decode(iv_b64)?,
            header_b64.as_bytes(),
            decode(ciphertext_b64)?,
            &decode(tag_b64)?,
        )?;
        let claims: TokenClaims =
            serde_json::from_slice(plaintext.trim_ascii_end()).map_err(|_| TokenError::Forged)?;
        if claims.expires_at != header.exp || claims.issued_at != header.isu {
            return Err(TokenError::Forged);
        }
        if now_unix_seconds >= claims.expires_at {
            return Err(TokenError::Expired(claims.expires_at));
        }
        Ok(claims)
    }
}

/// The protected header, in the key order real tokens have. Every value is a number or
/// base64url, so nothing needs escaping.
fn protected_header(claims: &TokenClaims, wrap_tag: &[u8; 16], wrap_iv: &[u8; 12]) -> String {
    let mut header = String::with_capacity(HEADER_CAPACITY);
    let mut number = itoa::Buffer::new();
    header.push_str("{\"ver\":1,\"isu\":");
    header.push_str(number.format(claims.issued_at));
    header.push_str(",\"enc\":\"A128GCM\",\"tag\":\"");
    BASE64URL.encode_append(wrap_tag, &mut header);
    header.push_str("\",\"exp\":");
    header.push_str(number.format(claims.expires_at));
    header.push_str(",\"alg\":\"A128GCMKW\",\"iv\":\"");
    BASE64URL.encode_append(wrap_iv, &mut header);
    header.push_str("\"}");
    header
}

/// An AES-128-GCM key. Every 16-byte key is valid, so construction cannot fail.
fn aes_128_gcm(key: [u8; 16]) -> LessSafeKey {
    let key = UnboundKey::new(&AES_128_GCM, &key);
    LessSafeKey::new(key.unwrap_or_else(|_| unreachable!("AES-128 takes any 16-byte key")))
}

/// Encrypts `buffer` in place; returns the tag. Each IV is fresh from the RNG.
fn seal_in_place(cipher: &LessSafeKey, iv: [u8; 12], aad: &[u8], buffer: &mut [u8]) -> [u8; 16] {
    // Sealing fails only past GCM's size limit (64 GiB), far above a token's 744 bytes.
    cipher
        .seal_in_place_separate_tag(Nonce::assume_unique_for_key(iv), Aad::from(aad), buffer)
        .ok()
        .and_then(|tag| tag.as_ref().try_into().ok())
        .unwrap_or([0; 16])
}

/// Decrypts and authenticates `ciphertext` with its detached `tag`.
fn open(
    cipher: &LessSafeKey,
    iv: &[u8],
    aad: &[u8],
    mut ciphertext: Vec<u8>,
    tag: &[u8],
) -> Result<Vec<u8>, TokenError> {
    let iv: [u8; 12] = iv.try_into().map_err(|_| TokenError::Malformed)?;
    if tag.len() != 16 {
        return Err(TokenError::Malformed);
    }
    ciphertext.extend_from_slice(tag);
    let length = cipher
        .open_in_place(
            Nonce::assume_unique_for_key(iv),
            Aad::from(aad),
            &mut ciphertext,
        )
        .map_err(|_| TokenError::Forged)?
        .len();
    ciphertext.truncate(length);
    Ok(ciphertext)
}

#[cfg(test)]
mod tests {
    #[test]
    fn mocks_starting_at_once_on_one_key_file_share_the_first_key() {
        let dir = std::env::temp_dir().join(format!("ca-mock-key-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("token.key");
        let keys: Vec<TokenKey> = (0..8)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || TokenKey::load_or_create(&path).unwrap())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
        assert!(keys.windows(2).all(|w| w[0] == w[1]), "one key for all");
        let leftovers = std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    use super::*;

    fn claims() -> TokenClaims {
        TokenClaims {
            domain: "test-domain".into(),
            domain_owner: "111122223333".into(),
            region: "us-east-1".into(),
            principal: "arn:aws:iam::111122223333:user/test-user".into(),
            access_key_id: Some("AKIAIOSFODNN7EXAMPLE".into()),
            issued_at: 1_764_000_000,
            expires_at: 1_764_043_200,
        }
    }

    #[test]
    fn tokens_look_like_real_codeartifact_tokens() {
        let token = TokenSealer::random().seal(&claims());
        assert!(token.starts_with("eyJ2ZXIiOjEsImlzdSI6"), "{token}");
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 5);
        assert_eq!(parts[0].len(), 176);
        assert_eq!(
            (parts[1].len(), parts[2].len(), parts[4].len()),
            (22, 16, 22)
        );
        assert!((1_200..=1_280).contains(&token.len()), "{}", token.len());
        assert!(token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)));
        let header: serde_json::Value =
            serde_json::from_slice(&BASE64URL.decode_to_vec(parts[0]).unwrap()).unwrap();
        assert_eq!(header["isu"], 1_764_000_000);
        assert_eq!(header["exp"], 1_764_043_200);
        // Keys in the order real tokens have them.
        let raw = String::from_utf8(BASE64URL.decode_to_vec(parts[0]).unwrap()).unwrap();
        let positions: Vec<usize> = [
            "\"ver\"", "\"isu\"", "\"enc\"", "\"tag\"", "\"exp\"", "\"alg\"", "\"iv\"",
        ]
        .iter()
        .map(|key| raw.find(key).unwrap())
        .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{raw}");
    }

    #[test]
    fn opens_its_own_tokens_and_every_token_is_different() {
        let sealer = TokenSealer::random();
        let (a, b) = (sealer.seal(&claims()), sealer.seal(&claims()));
        assert_ne!(a, b);
        assert_eq!(sealer.open(&a, 1_764_000_001), Ok(claims()));
    }

    #[test]
    fn refuses_tokens_of_another_server_altered_or_expired() {
        let sealer = TokenSealer::random();
        let token = sealer.seal(&claims());
        assert_eq!(
            TokenSealer::random().open(&token, 0),
            Err(TokenError::Forged)
        );
        let mut altered = token.clone().into_bytes();
        let middle = altered.len() / 2;
        altered[middle] = if altered[middle] == b'A' { b'B' } else { b'A' };
        assert!(sealer
            .open(&String::from_utf8(altered).unwrap(), 0)
            .is_err());
        assert_eq!(
            sealer.open(&token, 1_764_043_200),
            Err(TokenError::Expired(1_764_043_200))
        );
        assert_eq!(sealer.open("eyJ.abc", 0), Err(TokenError::Malformed));
    }
}
