//! The query string, decoded once: SigV4 canonicalises it, the presigned form reads its
//! `X-Amz-*` parameters from it, and the operation reads its input from it.

use std::borrow::Cow;
use std::fmt;

/// Name of the query parameter that carries a presigned request's signature; it is the one
/// parameter left out of the canonical query.
pub(super) const X_AMZ_SIGNATURE: &str = "X-Amz-Signature";

/// Name of the query parameter that carries a presigned request's session token.
pub(super) const X_AMZ_SECURITY_TOKEN: &str = "X-Amz-Security-Token";

/// Whether a query parameter's value is a secret (compared without case: a client that
/// misspells the case still sent its token).
pub(super) fn is_secret_parameter(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(X_AMZ_SECURITY_TOKEN.as_bytes())
        || name.eq_ignore_ascii_case(X_AMZ_SIGNATURE.as_bytes())
}

/// One `key=value` pair, percent-decoded to raw bytes (`+` is a literal plus, as in RFC 3986).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryParam {
    /// Decoded name.
    pub key: Vec<u8>,
    /// Decoded value; empty for `key` and `key=`.
    pub value: Vec<u8>,
}

/// A query string that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// `%` followed by fewer than two characters.
    #[error("Incomplete trailing escape % sequence")]
    IncompleteEscape,
    /// `%` followed by something that is not a hex digit.
    #[error("Illegal hex character in escape % pattern: %{0}")]
    IllegalHex(String),
}

/// The decoded parameters of a request, in the order they were sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    params: Vec<QueryParam>,
}

impl Query {
    /// Decodes a raw query string (the part after `?`, without it).
    pub fn parse(raw: &str) -> Result<Self, QueryError> {
        let params = raw
            .split('&')
            .filter(|piece| !piece.is_empty())
            .map(|piece| {
                let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
                Ok(QueryParam {
                    key: percent_decode(key)?,
                    value: percent_decode(value)?,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { params })
    }

    /// All parameters in arrival order.
    pub fn params(&self) -> &[QueryParam] {
        &self.params
    }

    /// The first value sent for `key`, as text (invalid UTF-8 replaced); borrowed unless a
    /// replacement was needed.
    pub fn first(&self, key: &str) -> Option<Cow<'_, str>> {
        self.params
            .iter()
            .find(|p| p.key == key.as_bytes())
            .map(|p| String::from_utf8_lossy(&p.value))
    }

    /// The query without the parameters that carry secrets (`X-Amz-Signature`,
    /// `X-Amz-Security-Token`), as the journal keeps it. Moves rather than copies.
    pub fn without_secrets(mut self) -> Self {
        self.params.retain(|p| !is_secret_parameter(&p.key));
        self
    }

    /// Whether `key` was sent at all.
    pub fn contains(&self, key: &str) -> bool {
        self.params.iter().any(|p| p.key == key.as_bytes())
    }
}

impl fmt::Display for Query {
    /// Re-encodes as the SigV4 canonical query would, in arrival order (for logs and journals).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.params.iter().enumerate() {
            if i > 0 {
                f.write_str("&")?;
            }
            write!(f, "{}={}", uri_encode(&p.key), uri_encode(&p.value))?;
        }
        Ok(())
    }
}

/// Decodes `%XX` escapes to bytes; everything else is taken literally.
pub(crate) fn percent_decode(text: &str) -> Result<Vec<u8>, QueryError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let escape = bytes
                .get(i + 1..i + 3)
                .ok_or(QueryError::IncompleteEscape)?;
            let hex = std::str::from_utf8(escape).ok();
            let value = hex
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| QueryError::IllegalHex(String::from_utf8_lossy(escape).into()))?;
            out.push(value);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(out)
}

/// SigV4 `UriEncode`: everything but the unreserved characters as `%XX`, upper-case hex.
pub fn uri_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    uri_encode_into(bytes, false, &mut out);
    out
}

/// [`uri_encode`] appending to `out`; with `keep_slash`, `/` stays as is (paths).
pub(crate) fn uri_encode_into(bytes: &[u8], keep_slash: bool, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_percent_escapes_and_keeps_plus_literal() {
        let q = Query::parse("domain=my%2Ddomain&x=a+b&flag&=v").unwrap();
        assert_eq!(q.first("domain").as_deref(), Some("my-domain"));
        assert_eq!(q.first("x").as_deref(), Some("a+b"));
        assert_eq!(q.first("flag").as_deref(), Some(""));
        assert_eq!(q.params().len(), 4);
    }

    #[test]
    fn rejects_broken_escapes_with_aws_messages() {
        assert_eq!(
            Query::parse("a=%4").unwrap_err().to_string(),
            "Incomplete trailing escape % sequence"
        );
        assert_eq!(
            Query::parse("a=%zz").unwrap_err().to_string(),
            "Illegal hex character in escape % pattern: %zz"
        );
    }

    #[test]
    fn first_value_wins_for_repeated_keys() {
        let q = Query::parse("domain=a&domain=b").unwrap();
        assert_eq!(q.first("domain").as_deref(), Some("a"));
    }

    #[test]
    fn uri_encode_leaves_only_unreserved_characters() {
        assert_eq!(uri_encode(b"a b/c~d+e%"), "a%20b%2Fc~d%2Be%25");
        assert_eq!(uri_encode("ሴ".as_bytes()), "%E1%88%B4");
    }
}
