//! Secrets and signatures as types that cannot leak or be compared the slow, unsafe way.
//!
//! # Invariants
//! - `SecretKey` never prints its value: `Debug` redacts, and there is no `Display`.
//! - `Signature` has no `PartialEq`: the only comparison is [`Signature::matches`], which takes
//!   constant time, so `==` on a signature is a compile error rather than a timing oracle.

use std::borrow::Cow;
use std::fmt;
use std::time::SystemTime;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::amz_date::AmzDate;
use super::canonical::lower_hex;

/// A secret access key or session token.
#[derive(Clone)]
pub struct SecretKey(Box<str>);

impl SecretKey {
    /// Wraps a secret.
    pub fn new(value: impl Into<Box<str>>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for deriving keys. Never log the result.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Constant-time equality with what a request presented.
    pub fn matches(&self, presented: &str) -> bool {
        self.0.as_bytes().ct_eq(presented.as_bytes()).into()
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// The `Signature` a client sent (lower-case hex), borrowed from the request where it can be.
pub struct Signature<'a>(Cow<'a, str>);

impl<'a> Signature<'a> {
    /// Wraps the presented hex string.
    pub fn new(hex: impl Into<Cow<'a, str>>) -> Self {
        Self(hex.into())
    }

    /// The same signature, owning its text.
    pub fn into_owned(self) -> Signature<'static> {
        Signature(Cow::Owned(self.0.into_owned()))
    }

    /// Constant-time comparison with the signature the server computed.
    pub fn matches(&self, expected_hex: impl AsRef<[u8]>) -> bool {
        self.0.as_bytes().ct_eq(expected_hex.as_ref()).into()
    }
}

impl fmt::Debug for Signature<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signature(<redacted>)")
    }
}

/// `kSigning`, derived from a secret for one date, region and service. Deriving takes four
/// HMACs; callers may cache it per (access key, date, region, service).
#[derive(Clone, Copy)]
pub struct SigningKey([u8; 32]);

impl SigningKey {
    /// Derives the key with aws-sigv4's own primitive, so client and server agree by construction.
    pub fn derive(secret: &SecretKey, date: AmzDate, region: &str, service: &str) -> Self {
        let time: SystemTime = date.to_system_time();
        let key = aws_sigv4::sign::v4::generate_signing_key(secret.expose(), time, region, service);
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(key.as_ref());
        Self(bytes)
    }

    /// Hex HMAC-SHA256 of the string to sign.
    pub fn sign(&self, string_to_sign: &str) -> String {
        String::from_utf8_lossy(&self.sign_hex(string_to_sign)).into_owned()
    }

    /// [`SigningKey::sign`] on the stack, as the verifier compares it.
    pub fn sign_hex(&self, string_to_sign: &str) -> [u8; 64] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(string_to_sign.as_bytes());
        lower_hex(&mac.finalize().into_bytes().into())
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_secrets() {
        let secret = SecretKey::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        assert!(!format!("{secret:?}").contains("wJalr"));
        let signature = Signature::new("5fa00fa3");
        assert!(!format!("{signature:?}").contains("5fa00fa3"));
    }

    #[test]
    fn signature_matches_only_the_exact_hex() {
        let signature = Signature::new("abcd");
        assert!(signature.matches("abcd"));
        assert!(!signature.matches("abce"));
        assert!(!signature.matches("abcd0"));
        assert!(!signature.matches("ABCD"));
    }

    #[test]
    fn derives_the_key_of_the_aws_documentation_example() {
        // From the AWS SigV4 signing test suite, get-vanilla.
        let secret = SecretKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        let date = AmzDate::parse("20150830T123600Z").unwrap();
        let key = SigningKey::derive(&secret, date, "us-east-1", "service");
        let sts = "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63";
        assert_eq!(
            key.sign(sts),
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    #[test]
    fn signs_exactly_as_aws_sigv4_does() {
        let secret = SecretKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        let date = AmzDate::parse("20261128T120000Z").unwrap();
        let key = SigningKey::derive(&secret, date, "eu-west-1", "codeartifact");
        for message in ["", "x", &"long line\n".repeat(100)] {
            assert_eq!(
                key.sign(message),
                aws_sigv4::sign::v4::calculate_signature(key.0, message.as_bytes())
            );
        }
    }
}
