//! Secrets and signatures as types that cannot leak or be compared the slow, unsafe way.
//!
//! # Invariants
//! - `SecretKey` never prints its value: `Debug` redacts, and there is no `Display`.
//! - `Signature` has no `PartialEq`: the only comparison is [`Signature::matches`], which takes
//!   constant time, so `==` on a signature is a compile error rather than a timing oracle.

use std::borrow::Cow;
use std::fmt;

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
    /// Derives the key as the SigV4 documentation spells it: `kDate = HMAC("AWS4" + secret,
    /// YYYYMMDD)`, then the region, the service and `aws4_request` in turn. The AWS
    /// documentation's example vector and aws-sigv4 (a dev-dependency, as an independent
    /// oracle) pin it in the tests.
    pub fn derive(secret: &SecretKey, date: AmzDate, region: &str, service: &str) -> Self {
        let mut k_secret = Vec::with_capacity(4 + secret.expose().len());
        k_secret.extend_from_slice(b"AWS4");
        k_secret.extend_from_slice(secret.expose().as_bytes());
        let k_date = hmac_sha256(&k_secret, date.date_stamp().as_bytes());
        // The scratch copy of the secret does not outlive the derivation.
        k_secret.fill(0);
        let k_region = hmac_sha256(&k_date, region.as_bytes());
        let k_service = hmac_sha256(&k_region, service.as_bytes());
        Self(hmac_sha256(&k_service, b"aws4_request"))
    }

    /// Hex HMAC-SHA256 of the string to sign.
    pub fn sign(&self, string_to_sign: &str) -> String {
        String::from_utf8_lossy(&self.sign_hex(string_to_sign)).into_owned()
    }

    /// [`SigningKey::sign`] on the stack, as the verifier compares it.
    pub fn sign_hex(&self, string_to_sign: &str) -> [u8; 64] {
        lower_hex(&hmac_sha256(&self.0, string_to_sign.as_bytes()))
    }
}

/// HMAC-SHA256 of `message` under `key`.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(message);
    mac.finalize().into_bytes().into()
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
    fn derives_the_signing_key_of_the_aws_documentation() {
        // "Derive a signing key", AWS General Reference (SigV4): the example secret on
        // 2012-02-15 in us-east-1 for iam gives this kSigning.
        let secret = SecretKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        let date = AmzDate::parse("20120215T000000Z").unwrap();
        let key = SigningKey::derive(&secret, date, "us-east-1", "iam");
        assert_eq!(
            hex::encode(key.0),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn derives_and_signs_exactly_as_aws_sigv4_does() {
        let secret = SecretKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        let date = AmzDate::parse("20261128T120000Z").unwrap();
        let key = SigningKey::derive(&secret, date, "eu-west-1", "codeartifact");
        let oracle = aws_sigv4::sign::v4::generate_signing_key(
            secret.expose(),
            date.to_system_time(),
            "eu-west-1",
            "codeartifact",
        );
        assert_eq!(key.0.as_slice(), oracle.as_ref());
        for message in ["", "x", &"long line\n".repeat(100)] {
            assert_eq!(
                key.sign(message),
                aws_sigv4::sign::v4::calculate_signature(key.0, message.as_bytes())
            );
        }
    }
}
