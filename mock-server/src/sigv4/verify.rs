//! The verifier: rules 3-7 of the module docs, on top of [`SignatureParams::extract`].

use std::sync::Arc;
use std::time::SystemTime;

use super::amz_date::AmzDate;
use super::canonical::{sha256_hex, string_to_sign, CanonicalRequest, RequestParts};
use super::key::{SecretKey, SigningKey};
use super::key_cache::SigningKeyCache;
use super::parse::{SignatureLocation, SignatureParams};
use super::AuthError;

const X_AMZ_CONTENT_SHA256: http::HeaderName =
    http::HeaderName::from_static("x-amz-content-sha256");

/// Hex SHA-256 of an empty payload.
const EMPTY_PAYLOAD_SHA256: &[u8; 64] =
    b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Longest lifetime of a presigned request, in seconds (a week, as everywhere in AWS).
const MAX_PRESIGNED_EXPIRES: i64 = 604_800;

/// What the verifier needs to know about an access key.
#[derive(Debug, Clone, Copy)]
pub struct Credential<'a> {
    /// The secret access key.
    pub secret: &'a SecretKey,
    /// For temporary credentials: the session token issued with the key.
    pub session_token: Option<&'a SecretKey>,
    /// For temporary credentials: when they stop working.
    pub expires_at: Option<SystemTime>,
}

/// Where the verifier looks up access keys and served regions.
pub trait CredentialSource {
    /// The credential for an access key id, if one exists.
    fn credential(&self, access_key_id: &str) -> Option<Credential<'_>>;
    /// Whether requests scoped to this region are served here.
    fn serves_region(&self, region: &str) -> bool;
    /// A number that changes whenever a secret behind an access key may have changed, so the
    /// verifier may keep the signing keys it derived for this source while it stays the same;
    /// `None` (the default) derives a fresh key for every request.
    fn key_generation(&self) -> Option<u64> {
        None
    }
}

/// A request that passed verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The access key that signed it.
    pub access_key_id: String,
    /// The region of its credential scope.
    pub region: String,
    /// Its signing date.
    pub date: AmzDate,
    /// Header or presigned query.
    pub location: SignatureLocation,
}

/// Verifies SigV4 signatures for one service name. Clones share the signing keys derived.
#[derive(Debug, Clone)]
pub struct Verifier {
    service: String,
    max_skew_seconds: i64,
    keys: Arc<SigningKeyCache>,
}

impl Verifier {
    /// A verifier for `service` (the signing name, `codeartifact`) that accepts request dates
    /// up to `max_skew_seconds` away from the server's now.
    pub fn new(service: impl Into<String>, max_skew_seconds: u64) -> Self {
        Self {
            service: service.into(),
            max_skew_seconds: i64::try_from(max_skew_seconds).unwrap_or(i64::MAX),
            keys: Arc::default(),
        }
    }

    /// How many signing keys this verifier has derived: the misses of its key cache.
    pub fn keys_derived(&self) -> u64 {
        self.keys.derived()
    }

    /// The signing name this verifier expects in credential scopes.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// Verifies a request, reporting the first failure in AWS's order.
    pub fn verify(
        &self,
        parts: RequestParts<'_>,
        body: &[u8],
        now: SystemTime,
        source: &impl CredentialSource,
    ) -> Result<Verified, AuthError> {
        // Every token request has an empty body: its hash is a constant.
        let payload_hash = if body.is_empty() {
            *EMPTY_PAYLOAD_SHA256
        } else {
            sha256_hex(body)
        };
        let payload_hash = std::str::from_utf8(&payload_hash).unwrap_or_default();
        self.verify_hashed(parts, payload_hash, now, source)
    }

    /// [`Verifier::verify`] for a body whose SHA-256 (lower-case hex) is known already: an
    /// upload hashed as it was spooled is never read again.
    pub fn verify_hashed(
        &self,
        parts: RequestParts<'_>,
        payload_hash: &str,
        now: SystemTime,
        source: &impl CredentialSource,
    ) -> Result<Verified, AuthError> {
        let params = SignatureParams::extract(parts.headers, parts.query)?;
        if !params
            .signed_headers
            .iter()
            .any(|h| h == "host" || h == ":authority")
        {
            return Err(AuthError::HostNotSigned);
        }
        let date = AmzDate::parse(&params.date)
            .ok_or_else(|| AuthError::MalformedDate(params.date.clone().into_owned()))?;
        self.check_time(
            date,
            params.expires.as_deref(),
            AmzDate::from_system_time(now),
        )?;
        let (access_key_id, region) = self.check_scope(&params.credential, date, source)?;
        let credential = source
            .credential(access_key_id)
            .ok_or(AuthError::UnknownAccessKey)?;
        check_session(&credential, params.session_token.as_deref(), now)?;

        if let Some(claimed) = parts.headers.get(&X_AMZ_CONTENT_SHA256) {
            // The same digest whatever the case of its hex digits.
            if !claimed.as_bytes().eq_ignore_ascii_case(payload_hash.as_bytes()) {
                return Err(AuthError::ContentSha256Mismatch);
            }
        }
        let presigned = params.location == SignatureLocation::Query;
        let canonical =
            CanonicalRequest::new(parts, presigned, &params.signed_headers, payload_hash);
        let scope = params
            .credential
            .split_once('/')
            .map_or("", |(_, scope)| scope);
        let to_sign = string_to_sign(date, scope, &canonical);
        // The credential minus its terminator names the key: AKID/DATE/REGION/SERVICE.
        let cache_key = params
            .credential
            .strip_suffix("/aws4_request")
            .unwrap_or(&params.credential);
        let derive = || SigningKey::derive(credential.secret, date, region, &self.service);
        let key = match source.key_generation() {
            Some(generation) => self.keys.get_or_derive(generation, cache_key, derive),
            None => derive(),
        };
        if !params.signature.matches(key.sign_hex(&to_sign)) {
            return Err(AuthError::SignatureMismatch {
                canonical_request: canonical.redacted(),
                string_to_sign: to_sign,
            });
        }
        Ok(Verified {
            access_key_id: access_key_id.to_owned(),
            region: region.to_owned(),
            date,
            location: params.location,
        })
    }

    fn check_time(
        &self,
        request: AmzDate,
        expires: Option<&str>,
        now: AmzDate,
    ) -> Result<(), AuthError> {
        // The window's wording is built only for the error that names it.
        let (earliest, expired_window) = match expires {
            None => (
                now.add_seconds(-self.max_skew_seconds),
                self.max_skew_seconds,
            ),
            Some(text) => {
                let seconds: i64 = text
                    .parse()
                    .map_err(|_| AuthError::InvalidExpires("X-Amz-Expires should be a number"))?;
                if seconds < 0 {
                    return Err(AuthError::InvalidExpires(
                        "X-Amz-Expires must be non-negative",
                    ));
                }
                if seconds > MAX_PRESIGNED_EXPIRES {
                    return Err(AuthError::InvalidExpires(
                        "X-Amz-Expires must be less than a week (in seconds) that is 604800",
                    ));
                }
                (now.add_seconds(-seconds), seconds)
            }
        };
        if request < earliest {
            return Err(AuthError::SignatureExpired {
                request,
                earliest,
                now,
                window: window_text(expired_window),
            });
        }
        let latest = now.add_seconds(self.max_skew_seconds);
        if request > latest {
            return Err(AuthError::SignatureNotYetCurrent {
                request,
                latest,
                now,
                window: window_text(self.max_skew_seconds),
            });
        }
        Ok(())
    }

    fn check_scope<'p>(
        &self,
        credential: &'p str,
        date: AmzDate,
        source: &impl CredentialSource,
    ) -> Result<(&'p str, &'p str), AuthError> {
        let mut parts = credential.split('/');
        let (
            Some(access_key_id),
            Some(scope_date),
            Some(region),
            Some(service),
            Some(terminator),
            None,
        ) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        )
        else {
            return Err(AuthError::MalformedCredential(credential.to_owned()));
        };
        let mut problems = Vec::new();
        if !source.serves_region(region) {
            problems.push(format!(
                "Credential should be scoped to a valid region, not '{region}'."
            ));
        }
        if service != self.service {
            problems.push(format!(
                "Credential should be scoped to correct service: '{}'.",
                self.service
            ));
        }
        if terminator != "aws4_request" {
            problems.push(format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
            ));
        }
        if !date.has_date_stamp(scope_date) {
            let expected_date = date.date_stamp();
            problems.push(format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope_date}' != '{expected_date}', from '{date}'."
            ));
        }
        if problems.is_empty() {
            Ok((access_key_id, region))
        } else {
            Err(AuthError::WrongScope(problems))
        }
    }
}

fn check_session(
    credential: &Credential<'_>,
    presented: Option<&str>,
    now: SystemTime,
) -> Result<(), AuthError> {
    match (credential.session_token, presented) {
        (None, None) => Ok(()),
        (Some(expected), Some(presented)) if expected.matches(presented) => {
            match credential.expires_at {
                Some(expires_at) if now >= expires_at => Err(AuthError::ExpiredSessionToken),
                _ => Ok(()),
            }
        }
        _ => Err(AuthError::InvalidSessionToken),
    }
}

/// AWS words the window in minutes when it is whole minutes (`5 min`), else in seconds.
fn window_text(seconds: i64) -> String {
    if seconds % 60 == 0 {
        format!("{} min", seconds / 60)
    } else {
        format!("{seconds} sec")
    }
}
