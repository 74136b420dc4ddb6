//! The AWS error codes this endpoint can answer with, and the one place they become HTTP.
//!
//! restJson1 puts the error's shape name in `x-amzn-ErrorType` and a JSON body with `message`
//! plus the shape's modeled members
//! (<https://smithy.io/2.0/aws/protocols/aws-restjson1-protocol.html#operation-error-serialization>).
//! Errors raised by AWS's shared front door (authentication, before the operation runs) carry the
//! legacy Coral suffix `:http://internal.amazon.com/coral/com.amazon.coral.service/` on that header;
//! every client strips it, and a client that does not is exactly what the conformance suite
//! should catch.

use std::fmt;

use serde_json::{Map, Value};

/// Suffix that AWS's front door appends to `x-amzn-ErrorType` for authentication errors.
pub const CORAL_SUFFIX: &str = ":http://internal.amazon.com/coral/com.amazon.coral.service/";

/// Every error code the mock can send. The Rust name is the wire name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(clippy::enum_variant_names)] // the AWS shape names all end in "Exception"
pub enum ErrorCode {
    // Modeled errors of CodeArtifact (botocore service-2.json); a test holds their statuses to
    // the model's.
    /// 403: the caller's policies, or the domain's policy, do not allow the call.
    AccessDeniedException,
    /// 409: the resource exists already, or is in use.
    ConflictException,
    /// 402: a quota of the account would be exceeded.
    ServiceQuotaExceededException,
    /// 400: a parameter breaks the model's constraints.
    ValidationException,
    /// 404: the domain does not exist for that owner in that region.
    ResourceNotFoundException,
    /// 429: rate exceeded; carries `Retry-After`.
    ThrottlingException,
    /// 500: a server-side fault.
    InternalServerException,
    // Front-door (authentication) errors, shared by every restJson1 service.
    /// 403: neither an `Authorization` header nor `X-Amz-Algorithm` query parameter.
    MissingAuthenticationTokenException,
    /// 403: the signature parameters are malformed or incomplete.
    IncompleteSignatureException,
    /// 403: the signature does not match, is outside the clock-skew window, or is wrongly scoped.
    InvalidSignatureException,
    /// 403: unknown access key id, or a session token that does not belong to it.
    UnrecognizedClientException,
    /// 403: the session credentials have expired.
    ExpiredTokenException,
    /// 404: no operation at this method and path (after authentication).
    UnknownOperationException,
    /// 400: the query string cannot be decoded.
    MalformedQueryStringException,
    /// 503: the service is temporarily unavailable (used by injected faults).
    ServiceUnavailableException,
    /// 408: the client sent its body too slowly.
    RequestTimeoutException,
    /// 400: the JSON body cannot be read into the operation's input.
    SerializationException,
    /// 501: a modeled operation this mock does not implement (yet); names the operation.
    NotImplementedException,
}

impl ErrorCode {
    /// The HTTP status AWS sends with this code.
    pub fn status(self) -> u16 {
        match self {
            Self::ValidationException
            | Self::MalformedQueryStringException
            | Self::SerializationException => 400,
            Self::ServiceQuotaExceededException => 402,
            Self::AccessDeniedException
            | Self::MissingAuthenticationTokenException
            | Self::IncompleteSignatureException
            | Self::InvalidSignatureException
            | Self::UnrecognizedClientException
            | Self::ExpiredTokenException => 403,
            Self::ResourceNotFoundException | Self::UnknownOperationException => 404,
            Self::ConflictException => 409,
            Self::ThrottlingException => 429,
            Self::InternalServerException => 500,
            Self::ServiceUnavailableException => 503,
            Self::RequestTimeoutException => 408,
            Self::NotImplementedException => 501,
        }
    }

    /// The shape name, as sent in `x-amzn-ErrorType` and recorded in the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccessDeniedException => "AccessDeniedException",
            Self::ConflictException => "ConflictException",
            Self::ServiceQuotaExceededException => "ServiceQuotaExceededException",
            Self::ValidationException => "ValidationException",
            Self::ResourceNotFoundException => "ResourceNotFoundException",
            Self::ThrottlingException => "ThrottlingException",
            Self::InternalServerException => "InternalServerException",
            Self::MissingAuthenticationTokenException => "MissingAuthenticationTokenException",
            Self::IncompleteSignatureException => "IncompleteSignatureException",
            Self::InvalidSignatureException => "InvalidSignatureException",
            Self::UnrecognizedClientException => "UnrecognizedClientException",
            Self::ExpiredTokenException => "ExpiredTokenException",
            Self::UnknownOperationException => "UnknownOperationException",
            Self::MalformedQueryStringException => "MalformedQueryStringException",
            Self::ServiceUnavailableException => "ServiceUnavailableException",
            Self::RequestTimeoutException => "RequestTimeoutException",
            Self::SerializationException => "SerializationException",
            Self::NotImplementedException => "NotImplementedException",
        }
    }

    /// All codes, for parsing names given by users (fault rules, scenarios).
    pub const ALL: [ErrorCode; 18] = [
        Self::AccessDeniedException,
        Self::ConflictException,
        Self::ServiceQuotaExceededException,
        Self::ValidationException,
        Self::ResourceNotFoundException,
        Self::ThrottlingException,
        Self::InternalServerException,
        Self::MissingAuthenticationTokenException,
        Self::IncompleteSignatureException,
        Self::InvalidSignatureException,
        Self::UnrecognizedClientException,
        Self::ExpiredTokenException,
        Self::UnknownOperationException,
        Self::MalformedQueryStringException,
        Self::ServiceUnavailableException,
        Self::RequestTimeoutException,
        Self::SerializationException,
        Self::NotImplementedException,
    ];

    /// Whether AWS's front door (not the CodeArtifact service) raises this code, which decides
    /// the Coral suffix on `x-amzn-ErrorType`.
    pub fn is_front_door(self) -> bool {
        matches!(
            self,
            Self::MissingAuthenticationTokenException
                | Self::IncompleteSignatureException
                | Self::InvalidSignatureException
                | Self::UnrecognizedClientException
                | Self::ExpiredTokenException
                | Self::UnknownOperationException
                | Self::MalformedQueryStringException
                | Self::RequestTimeoutException
                | Self::SerializationException
        )
    }

    /// The `x-amzn-ErrorType` header value.
    pub fn error_type_header(self) -> String {
        if self.is_front_door() {
            format!("{}{CORAL_SUFFIX}", self.as_str())
        } else {
            self.as_str().to_owned()
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ErrorCode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|code| code.as_str() == s)
            .ok_or_else(|| format!("unknown error code '{s}'"))
    }
}

/// `reason` member of ValidationException (service-2.json `ValidationExceptionReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidationReason {
    /// A value could not be parsed into the member's type.
    CannotParse,
    /// A value breaks a length, pattern or range constraint.
    FieldValidationFailed,
}

impl ValidationReason {
    fn as_str(self) -> &'static str {
        match self {
            Self::CannotParse => "CANNOT_PARSE",
            Self::FieldValidationFailed => "FIELD_VALIDATION_FAILED",
        }
    }
}

/// `{"message": ...}`: the body of an answer that has no AWS error shape (a proxy's bare 5xx,
/// a refusal before the request reaches the service), and the start of every error body.
pub fn message_body(message: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "message": message })).unwrap_or_default()
}

/// An error answer: the code, its message and the modeled members that go with it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceError {
    /// Which error.
    pub code: ErrorCode,
    /// The `message` member. Never contains a secret.
    pub message: String,
    /// Modeled members beyond `message` (`reason`, `resourceId`, `resourceType`, ...).
    pub members: Map<String, Value>,
    /// `Retry-After` seconds, for ThrottlingException.
    pub retry_after_seconds: Option<u64>,
    /// A status other than the code's own (injected faults only).
    pub status_override: Option<u16>,
}

impl ServiceError {
    /// An error with only a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            members: Map::new(),
            retry_after_seconds: None,
            status_override: None,
        }
    }

    /// A ValidationException with its `reason` member.
    pub fn validation(reason: ValidationReason, message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ValidationException, message).with_member("reason", reason.as_str())
    }

    /// A ResourceNotFoundException for a domain.
    pub fn domain_not_found(domain: &str, owner: &str) -> Self {
        Self::new(
            ErrorCode::ResourceNotFoundException,
            format!(
                "Domain not found. Domain '{domain}' owned by account '{owner}' does not exist"
            ),
        )
        .with_member("resourceId", domain)
        .with_member("resourceType", "domain")
    }

    /// Adds a modeled member to the body.
    pub fn with_member(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.members.insert(name.to_owned(), value.into());
        self
    }

    /// Sets `Retry-After`, and the matching modeled member of ThrottlingException.
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after_seconds = Some(seconds);
        self
    }

    /// The HTTP status to send.
    pub fn status(&self) -> u16 {
        self.status_override.unwrap_or_else(|| self.code.status())
    }

    /// The JSON body: `{"message": ..., <members>}`.
    pub fn body(&self) -> Vec<u8> {
        let mut body = Map::with_capacity(1 + self.members.len());
        body.insert("message".to_owned(), Value::String(self.message.clone()));
        body.extend(self.members.clone());
        serde_json::to_vec(&Value::Object(body)).unwrap_or_default()
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ServiceError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_modeled_error_has_a_code_with_the_model_status() {
        let model = crate::model::model();
        let mut modeled: Vec<&str> = model
            .operations()
            .iter()
            .flat_map(|op| op.errors.iter().map(String::as_str))
            .collect();
        modeled.sort_unstable();
        modeled.dedup();
        assert_eq!(modeled.len(), 7, "{modeled:?}");
        for name in modeled {
            let code: ErrorCode = name.parse().unwrap();
            let status = model.shape(name).and_then(|s| s.error_status);
            assert_eq!(Some(code.status()), status, "{name}");
            assert!(!code.is_front_door(), "{name} is the service's own");
        }
    }

    #[test]
    fn front_door_codes_carry_the_coral_suffix_and_service_codes_do_not() {
        assert_eq!(
            ErrorCode::UnrecognizedClientException.error_type_header(),
            "UnrecognizedClientException:http://internal.amazon.com/coral/com.amazon.coral.service/"
        );
        assert_eq!(
            ErrorCode::AccessDeniedException.error_type_header(),
            "AccessDeniedException"
        );
    }

    #[test]
    fn every_code_round_trips_through_its_wire_name() {
        for code in ErrorCode::ALL {
            assert_eq!(code.as_str().parse::<ErrorCode>(), Ok(code));
        }
        assert!("NoSuchThing".parse::<ErrorCode>().is_err());
    }

    #[test]
    fn not_found_body_names_the_domain_and_its_type() {
        let body: Value =
            serde_json::from_slice(&ServiceError::domain_not_found("acme", "111122223333").body())
                .unwrap();
        assert_eq!(body["resourceId"], "acme");
        assert_eq!(body["resourceType"], "domain");
        assert_eq!(
            body["message"],
            "Domain not found. Domain 'acme' owned by account '111122223333' does not exist"
        );
    }
}
