//! Finding the signature parameters: in the `Authorization` header, or in a presigned query.

use std::borrow::Cow;

use http::{HeaderMap, HeaderName};

use super::key::Signature;
use super::query::Query;
use super::query::X_AMZ_SECURITY_TOKEN as X_AMZ_SECURITY_TOKEN_PARAMETER;
use super::AuthError;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Where the client put its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureLocation {
    /// `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
    Header,
    /// `?X-Amz-Algorithm=...&X-Amz-Credential=...&X-Amz-Signature=...` (a presigned request).
    Query,
}

/// The signature parameters of a request, not yet checked; borrowed from the request where
/// its text is valid UTF-8 (all of it, in practice), so reading them copies nothing.
#[derive(Debug)]
pub struct SignatureParams<'a> {
    /// Header or query.
    pub location: SignatureLocation,
    /// `AKID/20150830/us-east-1/service/aws4_request`.
    pub credential: Cow<'a, str>,
    /// Lower-case names, sorted.
    pub signed_headers: Vec<Cow<'a, str>>,
    /// The presented signature.
    pub signature: Signature<'a>,
    /// The raw date text (`X-Amz-Date`, or `Date` when that is absent).
    pub date: Cow<'a, str>,
    /// `X-Amz-Security-Token`, when sent.
    pub session_token: Option<Cow<'a, str>>,
    /// Presigned `X-Amz-Expires`, when sent.
    pub expires: Option<Cow<'a, str>>,
}

impl<'a> SignatureParams<'a> {
    /// Extracts the parameters, reporting the first problem in AWS's order (rules 1-2 of the
    /// module docs).
    pub fn extract(headers: &'a HeaderMap, query: &'a Query) -> Result<Self, AuthError> {
        let header = headers.get(http::header::AUTHORIZATION);
        let query_algorithm = query.first("X-Amz-Algorithm");
        match (header, query_algorithm) {
            (Some(_), Some(_)) => Err(AuthError::BothSignatureLocations),
            (None, None) => Err(AuthError::MissingAuthenticationToken),
            (Some(header), None) => match String::from_utf8_lossy(header.as_bytes()) {
                Cow::Borrowed(header) => Self::from_header(header, headers),
                Cow::Owned(header) => {
                    Self::from_header(&header, headers).map(SignatureParams::into_owned)
                }
            },
            (None, Some(algorithm)) => Self::from_query(&algorithm, query),
        }
    }

    /// The same parameters, owning their text.
    pub fn into_owned(self) -> SignatureParams<'static> {
        let own = |text: Cow<'_, str>| Cow::Owned(text.into_owned());
        SignatureParams {
            location: self.location,
            credential: own(self.credential),
            signed_headers: self.signed_headers.into_iter().map(own).collect(),
            signature: self.signature.into_owned(),
            date: own(self.date),
            session_token: self.session_token.map(own),
            expires: self.expires.map(own),
        }
    }

    fn from_header<'h>(
        header: &'h str,
        headers: &'h HeaderMap,
    ) -> Result<SignatureParams<'h>, AuthError> {
        let header = header.trim();
        let (algorithm, rest) = header.split_once(' ').unwrap_or((header, ""));
        if algorithm != ALGORITHM {
            return Err(AuthError::UnsupportedAlgorithm(algorithm.to_owned()));
        }
        let (mut credential, mut signed_headers, mut signature) = (None, None, None);
        for piece in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((key, value)) = piece.split_once('=') else {
                return Err(AuthError::NotKeyValuePair {
                    pair: piece.to_owned(),
                    header: redact_signature(header),
                });
            };
            // The last value of a repeated key wins, as AWS does.
            match key {
                "Credential" => credential = Some(value),
                "SignedHeaders" => signed_headers = Some(value),
                "Signature" => signature = Some(value),
                _ => {}
            }
        }
        let date = header_text(headers, &X_AMZ_DATE).or_else(|| header_text(headers, &DATE));
        let mut missing = Vec::new();
        if credential.is_none() {
            missing.push("Authorization header requires 'Credential' parameter.");
        }
        if signature.is_none() {
            missing.push("Authorization header requires 'Signature' parameter.");
        }
        if signed_headers.is_none() {
            missing.push("Authorization header requires 'SignedHeaders' parameter.");
        }
        if date.is_none() {
            missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
        }
        match (credential, signed_headers, signature, date) {
            (Some(credential), Some(signed_headers), Some(signature), Some(date)) => {
                Ok(SignatureParams {
                    location: SignatureLocation::Header,
                    credential: Cow::Borrowed(credential),
                    signed_headers: split_signed_headers(Cow::Borrowed(signed_headers)),
                    signature: Signature::new(signature),
                    date,
                    session_token: header_text(headers, &X_AMZ_SECURITY_TOKEN),
                    expires: None,
                })
            }
            _ => Err(AuthError::MissingHeaderParameters(missing)),
        }
    }

    fn from_query(algorithm: &str, query: &'a Query) -> Result<Self, AuthError> {
        if algorithm != ALGORITHM {
            return Err(AuthError::MissingAuthenticationToken);
        }
        let credential = query.first("X-Amz-Credential");
        let signature = query.first("X-Amz-Signature");
        let signed_headers = query.first("X-Amz-SignedHeaders");
        let date = query.first("X-Amz-Date");
        let mut missing = Vec::new();
        if credential.is_none() {
            missing.push("AWS query-string parameters must include 'X-Amz-Credential'.");
        }
        if signature.is_none() {
            missing.push("AWS query-string parameters must include 'X-Amz-Signature'.");
        }
        if signed_headers.is_none() {
            missing.push("AWS query-string parameters must include 'X-Amz-SignedHeaders'.");
        }
        if date.is_none() {
            missing.push("AWS query-string parameters must include 'X-Amz-Date'.");
        }
        match (credential, signed_headers, signature, date) {
            (Some(credential), Some(signed_headers), Some(signature), Some(date)) => Ok(Self {
                location: SignatureLocation::Query,
                credential,
                signed_headers: split_signed_headers(signed_headers),
                signature: Signature::new(signature),
                date,
                session_token: query.first(X_AMZ_SECURITY_TOKEN_PARAMETER),
                expires: query.first("X-Amz-Expires"),
            }),
            _ => Err(AuthError::MissingQueryParameters(missing)),
        }
    }
}

/// The header with its `Signature=` value hidden. AWS echoes the whole header in this error;
/// the mock keeps signatures out of every message, log and journal.
fn redact_signature(header: &str) -> String {
    match header.find("Signature=") {
        Some(at) => {
            let value_start = at + "Signature=".len();
            let value_end = header[value_start..]
                .find(',')
                .map_or(header.len(), |i| value_start + i);
            format!(
                "{}<redacted>{}",
                &header[..value_start],
                &header[value_end..]
            )
        }
        None => header.to_owned(),
    }
}

// Looked up by constant names: a `&str` name is parsed and validated on every lookup.
const X_AMZ_DATE: HeaderName = HeaderName::from_static("x-amz-date");
const DATE: HeaderName = http::header::DATE;
const X_AMZ_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-amz-security-token");

fn header_text<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<Cow<'a, str>> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()))
}

/// The `;`-separated names, sorted; borrowed from `list` when it is.
fn split_signed_headers(list: Cow<'_, str>) -> Vec<Cow<'_, str>> {
    let mut names: Vec<Cow<'_, str>> = match list {
        Cow::Borrowed(list) => list.split(';').map(Cow::Borrowed).collect(),
        Cow::Owned(list) => list.split(';').map(|n| Cow::Owned(n.to_owned())).collect(),
    };
    names.sort_unstable();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn message(result: Result<SignatureParams<'_>, AuthError>) -> String {
        result.unwrap_err().to_string()
    }

    #[test]
    fn no_signature_anywhere_is_a_missing_token() {
        let err = SignatureParams::extract(&HeaderMap::new(), &Query::default()).unwrap_err();
        assert!(matches!(err, AuthError::MissingAuthenticationToken));
    }

    #[test]
    fn lists_every_missing_header_parameter_in_one_message() {
        let h = headers(&[(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/svc/aws4_request",
        )]);
        assert_eq!(
            message(SignatureParams::extract(&h, &Query::default())),
            "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256"
        );
    }

    #[test]
    fn names_an_unsupported_algorithm() {
        let h = headers(&[("authorization", "AWS4-HMAC-SHA512 Credential=x")]);
        assert_eq!(
            message(SignatureParams::extract(&h, &Query::default())),
            "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'."
        );
    }

    #[test]
    fn rejects_a_piece_without_an_equal_sign() {
        let h = headers(&[(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=a, SignedHeaders",
        )]);
        assert_eq!(
            message(SignatureParams::extract(&h, &Query::default())),
            "'SignedHeaders' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential=a, SignedHeaders'"
        );
    }

    #[test]
    fn an_echoed_header_never_shows_the_signature() {
        let h = headers(&[(
            "authorization",
            "AWS4-HMAC-SHA256 Signature=deadbeef, Credential=a, SignedHeaders",
        )]);
        let text = message(SignatureParams::extract(&h, &Query::default()));
        assert!(!text.contains("deadbeef"), "{text}");
        assert!(text.ends_with("in Authorization header: 'AWS4-HMAC-SHA256 Signature=<redacted>, Credential=a, SignedHeaders'"), "{text}");
    }

    #[test]
    fn both_locations_at_once_are_refused() {
        let h = headers(&[("authorization", "AWS4-HMAC-SHA256 Credential=a")]);
        let q = Query::parse("X-Amz-Algorithm=AWS4-HMAC-SHA256").unwrap();
        assert!(matches!(
            SignatureParams::extract(&h, &q).unwrap_err(),
            AuthError::BothSignatureLocations
        ));
    }

    #[test]
    fn presigned_query_with_another_algorithm_counts_as_unsigned() {
        let q = Query::parse("X-Amz-Algorithm=HMAC").unwrap();
        assert!(matches!(
            SignatureParams::extract(&HeaderMap::new(), &q).unwrap_err(),
            AuthError::MissingAuthenticationToken
        ));
    }

    #[test]
    fn presigned_query_lists_what_is_missing() {
        let q =
            Query::parse("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20150830T123600Z").unwrap();
        assert_eq!(
            message(SignatureParams::extract(&HeaderMap::new(), &q)),
            "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. Re-examine the query-string parameters."
        );
    }

    #[test]
    fn header_parameters_may_come_in_any_order_with_odd_spacing() {
        let h = headers(&[
            ("authorization", "AWS4-HMAC-SHA256  Signature=abc ,SignedHeaders=x-amz-date;host,Credential=AKID/d/r/s/aws4_request"),
            ("x-amz-date", "20150830T123600Z"),
        ]);
        let query = Query::default();
        let params = SignatureParams::extract(&h, &query).unwrap();
        assert_eq!(params.signed_headers, ["host", "x-amz-date"]);
        assert_eq!(params.credential, "AKID/d/r/s/aws4_request");
        assert!(params.signature.matches("abc"));
        // Read in place: nothing is copied out of the request.
        assert!(matches!(params.credential, Cow::Borrowed(_)));
        assert!(matches!(params.date, Cow::Borrowed(_)));
    }

    #[test]
    fn a_header_that_is_not_utf8_is_read_with_replacements() {
        let mut h = headers(&[("x-amz-date", "20150830T123600Z")]);
        h.insert(
            http::header::AUTHORIZATION,
            http::HeaderValue::from_bytes(
                b"AWS4-HMAC-SHA256 Credential=AKID/d/r/s/aws4_request, SignedHeaders=host, Signature=abc, Note=\xff",
            )
            .unwrap(),
        );
        let query = Query::default();
        let params = SignatureParams::extract(&h, &query).unwrap();
        assert_eq!(params.credential, "AKID/d/r/s/aws4_request");
        assert_eq!(params.signed_headers, ["host"]);
        assert!(params.signature.matches("abc"));
        assert!(matches!(params.credential, Cow::Owned(_)));
    }
}
