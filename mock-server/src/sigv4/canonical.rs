//! Canonical request and string to sign, exactly as the client must have built them
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html>).
//!
//! The server rebuilds them from what arrived on the wire: the raw path, normalised and
//! double-encoded as every AWS service but S3 does; the query re-encoded and sorted; the
//! headers the client listed in `SignedHeaders`, trimmed and folded; the payload hash.

use std::borrow::Cow;

use http::HeaderMap;
use sha2::{Digest, Sha256};

use super::amz_date::AmzDate;
use super::query::{is_secret_parameter, percent_decode, uri_encode_into, Query, X_AMZ_SIGNATURE};

/// Signed headers whose values are secrets: a session token, or an `Authorization` header a
/// client chose to list (it carries the signature).
const SECRET_HEADERS: [&str; 2] = ["x-amz-security-token", "authorization"];

/// A canonical request: the bytes whose hash goes into the string to sign.
#[derive(Clone, PartialEq, Eq)]
pub struct CanonicalRequest {
    bytes: Vec<u8>,
    /// Where secret values sit (a session token in a header or in the query, a signed
    /// `Authorization` header), in order, so logs can hide them.
    secrets: Vec<std::ops::Range<usize>>,
}

/// The inputs of a canonical request.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// HTTP method, as sent.
    pub method: &'a str,
    /// Raw path, as sent (still percent-encoded).
    pub path: &'a str,
    /// Decoded query.
    pub query: &'a Query,
    /// All request headers.
    pub headers: &'a HeaderMap,
}

impl CanonicalRequest {
    /// Builds the canonical request over `signed_headers` (lower-case, sorted) and the hex
    /// payload hash. With `presigned`, `X-Amz-Signature` is left out of the query.
    pub fn new(
        parts: RequestParts<'_>,
        presigned: bool,
        signed_headers: &[impl AsRef<str>],
        payload_hash: &str,
    ) -> Self {
        // One buffer for the whole request: it is built for every request.
        let mut text = String::with_capacity(512);
        let mut secrets = Vec::new();
        text.push_str(parts.method);
        text.push('\n');
        push_canonical_uri(parts.path, &mut text);
        text.push('\n');
        push_canonical_query(parts.query, presigned, &mut text, &mut secrets);
        text.push('\n');
        let mut bytes = text.into_bytes();
        for name in signed_headers {
            let name = name.as_ref();
            let mut values = parts.headers.get_all(name).iter().peekable();
            if values.peek().is_none() {
                continue;
            }
            bytes.extend_from_slice(name.as_bytes());
            bytes.push(b':');
            let start = bytes.len();
            for (i, value) in values.enumerate() {
                if i > 0 {
                    bytes.push(b',');
                }
                push_trimmed_value(value.as_bytes(), &mut bytes);
            }
            if SECRET_HEADERS.contains(&name) {
                secrets.push(start..bytes.len());
            }
            bytes.push(b'\n');
        }
        bytes.push(b'\n');
        for (i, name) in signed_headers.iter().enumerate() {
            if i > 0 {
                bytes.push(b';');
            }
            bytes.extend_from_slice(name.as_ref().as_bytes());
        }
        bytes.push(b'\n');
        bytes.extend_from_slice(payload_hash.as_bytes());
        Self { bytes, secrets }
    }

    /// The exact bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Hex SHA-256 of the canonical request.
    pub fn hash(&self) -> String {
        String::from_utf8_lossy(&sha256_hex(&self.bytes)).into_owned()
    }

    /// The canonical request with every secret value (session token in a header or in the
    /// query, a signed `Authorization` header) replaced by `<redacted>`, for debug logs.
    pub fn redacted(&self) -> String {
        let mut out = String::with_capacity(self.bytes.len());
        let mut shown = 0;
        for range in &self.secrets {
            out.push_str(&String::from_utf8_lossy(&self.bytes[shown..range.start]));
            out.push_str("<redacted>");
            shown = range.end;
        }
        out.push_str(&String::from_utf8_lossy(&self.bytes[shown..]));
        out
    }
}

impl std::fmt::Debug for CanonicalRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// The string to sign for a canonical request.
pub fn string_to_sign(date: AmzDate, scope: &str, canonical: &CanonicalRequest) -> String {
    let mut out = String::with_capacity(ALGORITHM_LINE.len() + 18 + scope.len() + 1 + 64);
    out.push_str(ALGORITHM_LINE);
    date.push_to(&mut out);
    out.push('\n');
    out.push_str(scope);
    out.push('\n');
    out.extend(sha256_hex(&canonical.bytes).iter().map(|&b| char::from(b)));
    out
}

const ALGORITHM_LINE: &str = "AWS4-HMAC-SHA256\n";

/// Lower-case hex SHA-256 of `bytes`, the form SigV4 uses for every digest it writes down.
pub(crate) fn sha256_hex(bytes: &[u8]) -> [u8; 64] {
    lower_hex(&Sha256::digest(bytes).into())
}

/// Lower-case hex of a 32-byte digest, on the stack (the `hex` crate's `encode` goes through
/// a `char` iterator into a `String`: a tenth of verification's cost; its `encode_to_slice`
/// does not).
pub(crate) fn lower_hex(digest: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    // The lengths match by construction, the only way it can fail.
    let _ = hex::encode_to_slice(digest, &mut out);
    out
}

/// Canonical URI: dot segments removed and empty segments merged (the `normalize` of the AWS
/// suite), then every byte but unreserved ones and `/` percent-encoded, which re-encodes the
/// client's own escapes (`%3D` becomes `%253D`): the double encoding of non-S3 services.
pub fn canonical_uri(raw_path: &str) -> String {
    let mut out = String::with_capacity(raw_path.len() + 8);
    push_canonical_uri(raw_path, &mut out);
    out
}

/// [`canonical_uri`], appended to `out`.
fn push_canonical_uri(raw_path: &str, out: &mut String) {
    let mut segments: Vec<&str> = Vec::new();
    for segment in raw_path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let ends_in_directory =
        raw_path.ends_with('/') || raw_path.ends_with("/.") || raw_path.ends_with("/..");
    out.push('/');
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            out.push('/');
        }
        uri_encode_into(segment.as_bytes(), false, out);
    }
    if ends_in_directory && !segments.is_empty() {
        out.push('/');
    }
}

/// The path as an operation sees it: normalised like [`canonical_uri`], escapes decoded
/// (so `/v1/authorization%2Dtoken` routes like `/v1/authorization-token`).
pub fn normalized_path(raw_path: &str) -> Cow<'_, str> {
    // Almost every path is already normal: no escapes, no empty or dot segments.
    let plain = raw_path.len() > 1
        && raw_path.starts_with('/')
        && !raw_path.contains('%')
        && raw_path[1..]
            .split('/')
            .all(|segment| !matches!(segment, "" | "." | ".."));
    if plain {
        return Cow::Borrowed(raw_path);
    }
    let mut segments: Vec<String> = Vec::new();
    for segment in raw_path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => {
                let decoded = percent_decode(other).unwrap_or_else(|_| other.as_bytes().to_vec());
                segments.push(String::from_utf8_lossy(&decoded).into_owned());
            }
        }
    }
    Cow::Owned(format!("/{}", segments.join("/")))
}

/// Canonical query: each name and value re-encoded, sorted by name then value.
pub fn canonical_query(query: &Query, presigned: bool) -> String {
    let mut out = String::new();
    push_canonical_query(query, presigned, &mut out, &mut Vec::new());
    out
}

/// [`canonical_query`], appended to `out`; where each secret parameter's value lands in
/// `out` is pushed to `secrets`. Every pair is encoded once into one scratch string and
/// sorted as ranges of it: no string per name or value.
fn push_canonical_query(
    query: &Query,
    presigned: bool,
    out: &mut String,
    secrets: &mut Vec<std::ops::Range<usize>>,
) {
    let params = query.params();
    let mut encoded = String::with_capacity(
        params
            .iter()
            .map(|p| p.key.len() + p.value.len())
            .sum::<usize>()
            + 16,
    );
    // (name start, name end = value start, value end, secret) in `encoded`.
    let mut pairs: Vec<(usize, usize, usize, bool)> = Vec::with_capacity(params.len());
    for p in params {
        if presigned && p.key == X_AMZ_SIGNATURE.as_bytes() {
            continue;
        }
        let start = encoded.len();
        uri_encode_into(&p.key, false, &mut encoded);
        let middle = encoded.len();
        uri_encode_into(&p.value, false, &mut encoded);
        pairs.push((start, middle, encoded.len(), is_secret_parameter(&p.key)));
    }
    let name = |&(start, middle, _, _): &(usize, usize, usize, bool)| &encoded[start..middle];
    let value = |&(_, middle, end, _): &(usize, usize, usize, bool)| &encoded[middle..end];
    pairs.sort_unstable_by(|a, b| name(a).cmp(name(b)).then_with(|| value(a).cmp(value(b))));
    for (i, pair) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name(pair));
        out.push('=');
        let value_start = out.len();
        out.push_str(value(pair));
        if pair.3 {
            secrets.push(value_start..out.len());
        }
    }
}

/// Appends a header value with leading and trailing white space removed and every run of
/// spaces inside folded to one, as the SigV4 spec asks.
fn push_trimmed_value(value: &[u8], out: &mut Vec<u8>) {
    let start = value.iter().position(|b| !b.is_ascii_whitespace());
    let end = value.iter().rposition(|b| !b.is_ascii_whitespace());
    let (Some(start), Some(end)) = (start, end) else {
        return;
    };
    let mut previous_space = false;
    for &b in &value[start..=end] {
        let is_space = b == b' ' || b == b'\t';
        if !(is_space && previous_space) {
            out.push(if is_space { b' ' } else { b });
        }
        previous_space = is_space;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_uri_normalises_like_the_aws_suite() {
        assert_eq!(canonical_uri("/example/.."), "/");
        assert_eq!(canonical_uri("/example1/example2/../.."), "/");
        assert_eq!(canonical_uri("/./"), "/");
        assert_eq!(canonical_uri("//"), "/");
        assert_eq!(canonical_uri("/./example"), "/example");
        assert_eq!(canonical_uri("//example//"), "/example/");
        assert_eq!(
            canonical_uri("/v1/authorization-token"),
            "/v1/authorization-token"
        );
    }

    #[test]
    fn canonical_uri_double_encodes_escapes() {
        assert_eq!(
            canonical_uri("/test/@connections/JBDvjfGEIAMCERw%3D"),
            "/test/%40connections/JBDvjfGEIAMCERw%253D"
        );
    }

    #[test]
    fn normalized_path_undoes_both_encodings() {
        assert_eq!(
            normalized_path("/v1/./authorization%2Dtoken"),
            "/v1/authorization-token"
        );
        assert_eq!(
            normalized_path("/v1/x/../authorization-token"),
            "/v1/authorization-token"
        );
        assert_eq!(
            normalized_path("/v1//authorization-token"),
            "/v1/authorization-token"
        );
        for (raw, normal) in [
            ("/", "/"),
            ("", "/"),
            ("/v1/authorization-token/", "/v1/authorization-token"),
            ("/v1/authorization-token/.", "/v1/authorization-token"),
            ("/v1/authorization-token/..", "/v1"),
            ("v1/authorization-token", "/v1/authorization-token"),
            ("/v1/authorization-token", "/v1/authorization-token"),
            ("/v1/a.b/..c", "/v1/a.b/..c"),
        ] {
            assert_eq!(normalized_path(raw), normal, "{raw}");
        }
    }

    #[test]
    fn canonical_query_sorts_and_reencodes() {
        let q = Query::parse("domain=acme&duration=900&domain-owner=111122223333&a=%7e").unwrap();
        assert_eq!(
            canonical_query(&q, false),
            "a=~&domain=acme&domain-owner=111122223333&duration=900"
        );
        let presigned = Query::parse("X-Amz-Signature=abc&b=1").unwrap();
        assert_eq!(canonical_query(&presigned, true), "b=1");
        assert_eq!(
            canonical_query(&presigned, false),
            "X-Amz-Signature=abc&b=1"
        );
    }

    #[test]
    fn lower_hex_matches_the_hex_crate() {
        for seed in 0u8..=255 {
            let digest: [u8; 32] = std::array::from_fn(|i| {
                seed.wrapping_mul(31)
                    .wrapping_add((i as u8).wrapping_mul(17))
            });
            assert_eq!(
                lower_hex(&digest).as_slice(),
                hex::encode(digest).as_bytes()
            );
        }
        assert_eq!(
            sha256_hex(b"").as_slice(),
            b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn header_values_are_trimmed_and_folded() {
        let mut out = Vec::new();
        push_trimmed_value(b"  \"a   b   c\"  ", &mut out);
        assert_eq!(out, b"\"a b c\"");
    }

    #[test]
    fn redaction_hides_the_session_token_only() {
        let mut headers = HeaderMap::new();
        headers.insert("host", "h".parse().unwrap());
        headers.insert("x-amz-security-token", "SECRET-TOKEN".parse().unwrap());
        let query = Query::default();
        let parts = RequestParts {
            method: "POST",
            path: "/",
            query: &query,
            headers: &headers,
        };
        let signed = ["host".to_owned(), "x-amz-security-token".to_owned()];
        let creq = CanonicalRequest::new(parts, false, &signed, "e3b0");
        assert!(String::from_utf8_lossy(creq.as_bytes()).contains("SECRET-TOKEN"));
        assert!(!creq.redacted().contains("SECRET-TOKEN"));
        assert!(creq
            .redacted()
            .contains("x-amz-security-token:<redacted>\n"));
    }

    #[test]
    fn redaction_hides_a_presigned_session_token_and_a_signed_authorization_header() {
        let mut headers = HeaderMap::new();
        headers.insert("host", "h".parse().unwrap());
        headers.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Signature=SIGNATURE-VALUE"
                .parse()
                .unwrap(),
        );
        let query = Query::parse(
            "b=1&X-Amz-Security-Token=QUERY%2FTOKEN&x-amz-security-token=LOWER-TOKEN&X-Amz-Signature=QUERY-SIGNATURE&a=2",
        )
        .unwrap();
        let parts = RequestParts {
            method: "GET",
            path: "/",
            query: &query,
            headers: &headers,
        };
        let signed = ["authorization", "host"];
        // Presigned: the signature is left out of the canonical query anyway.
        let presigned = CanonicalRequest::new(parts, true, &signed, "e3b0");
        let text = presigned.redacted();
        for secret in ["QUERY", "TOKEN", "LOWER-TOKEN", "SIGNATURE-VALUE"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert_eq!(
            text,
            "GET\n/\nX-Amz-Security-Token=<redacted>&a=2&b=1&x-amz-security-token=<redacted>\nauthorization:<redacted>\nhost:h\n\nauthorization;host\ne3b0"
        );
        // In a header-signed request a stray X-Amz-Signature parameter is signed, and hidden.
        let text = CanonicalRequest::new(parts, false, &signed, "e3b0").redacted();
        assert!(text.contains("X-Amz-Signature=<redacted>&"), "{text}");
        assert!(!text.contains("QUERY-SIGNATURE"), "{text}");
    }
}
