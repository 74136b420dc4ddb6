//! `GetAuthorizationToken`: authorize the caller, find the domain, mint.
//!
//! Model: botocore `codeartifact/2018-09-22/service-2.json`; semantics: the CLI manual page
//! (`--domain`, `--domain-owner`, `--duration-seconds`) and the user guide's "tokens" page.
//! The query is read by hand ([`parse_input`], the hot path), held by a property test to what
//! the model's validation says plus the manual page's one rule the model cannot state (0, or
//! at least 900 seconds: [`extra_constraint`]).

use std::borrow::Cow;

use serde_json::Value;

use super::{access, Context, Request};
use crate::clock::unix_seconds;
use crate::error::{ServiceError, ValidationReason};
use crate::fixture::{domain_name_problem, is_account_id};
use crate::identity::Identity;
use crate::sigv4::Query;
use crate::token::{ExpirationFormat, TokenClaims, ZeroDurationPolicy};

/// The IAM action of the operation.
const ACTION: &str = "codeartifact:GetAuthorizationToken";

/// Token lifetime when `duration` is absent, and the longest allowed: 12 hours.
pub const DEFAULT_DURATION_SECONDS: i64 = 43_200;
/// Shortest non-zero lifetime: 15 minutes.
pub const MIN_DURATION_SECONDS: i64 = 900;

/// The validated request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Input {
    /// `domain`.
    pub domain: String,
    /// `domain-owner`, when sent.
    pub domain_owner: Option<String>,
    /// `duration`, when sent.
    pub duration_seconds: Option<i64>,
}

/// The manual page's rule for `durationSeconds` that the model's range (0 to 43200) cannot
/// state: 0, or at least 900.
pub fn extra_constraint(member: &str, value: &Value) -> Option<&'static str> {
    let seconds = value.as_i64().filter(|_| member == "durationSeconds")?;
    (seconds != 0 && seconds < MIN_DURATION_SECONDS)
        .then_some("Member must be 0 or have value greater than or equal to 900")
}


const DOMAIN_PATTERN: &str = r"[a-z][a-z0-9\-]{0,48}[a-z0-9]";
const OWNER_PATTERN: &str = "[0-9]{12}";

/// Reads and validates the query, reporting every violation at once as AWS does.
///
/// Written by hand for the hot path (the model's generic decoding costs about a microsecond
/// more per request, a tenth of the whole handler); a property test holds it to the model's
/// validation ([`crate::model::validate`] with [`extra_constraint`]) on generated queries.
pub fn parse_input(query: &Query) -> Result<Input, ServiceError> {
    let mut violations = Vec::new();
    let mut reason = ValidationReason::FieldValidationFailed;

    let domain = query.first("domain");
    match &domain {
        None => violations.push(
            "Value null at 'domain' failed to satisfy constraint: Member must not be null"
                .to_owned(),
        ),
        Some(d) => {
            length_violations(d, "domain", 2, 50, &mut violations);
            if domain_name_problem(d).is_some() {
                violations.push(pattern_violation(d, "domain", DOMAIN_PATTERN));
            }
        }
    }
    let domain_owner = query.first("domain-owner");
    if let Some(owner) = &domain_owner {
        length_violations(owner, "domainOwner", 12, 12, &mut violations);
        if !is_account_id(owner) {
            violations.push(pattern_violation(owner, "domainOwner", OWNER_PATTERN));
        }
    }
    let duration_seconds = match query.first("duration") {
        None => None,
        Some(text) => match parse_long(&text) {
            Some(Ok(seconds)) => {
                if let Some(problem) = duration_violation(seconds) {
                    violations.push(format!("Value '{text}' at 'durationSeconds' failed to satisfy constraint: {problem}"));
                }
                Some(seconds)
            }
            Some(Err(too_big)) => {
                let bound = if too_big {
                    "less than or equal to 43200"
                } else {
                    "greater than or equal to 0"
                };
                violations.push(format!("Value '{text}' at 'durationSeconds' failed to satisfy constraint: Member must have value {bound}"));
                None
            }
            None => {
                reason = ValidationReason::CannotParse;
                violations.push(format!("Value '{text}' at 'durationSeconds' failed to satisfy constraint: Member must be a number"));
                None
            }
        },
    };

    if violations.is_empty() {
        Ok(Input {
            domain: domain.map(Cow::into_owned).unwrap_or_default(),
            domain_owner: domain_owner.map(Cow::into_owned),
            duration_seconds,
        })
    } else {
        let count = violations.len();
        let plural = if count == 1 { "error" } else { "errors" };
        Err(ServiceError::validation(
            reason,
            format!(
                "{count} validation {plural} detected: {}",
                violations.join("; ")
            ),
        ))
    }
}

/// Parses a `long`: `Some(Ok(n))`, `Some(Err(too_big))` for a number out of range, or `None`
/// for text that is not a number at all.
fn parse_long(text: &str) -> Option<Result<i64, bool>> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(text.parse::<i64>().map_err(|_| !text.starts_with('-')))
}

fn duration_violation(seconds: i64) -> Option<&'static str> {
    if seconds < 0 {
        Some("Member must have value greater than or equal to 0")
    } else if seconds > DEFAULT_DURATION_SECONDS {
        Some("Member must have value less than or equal to 43200")
    } else if seconds != 0 && seconds < MIN_DURATION_SECONDS {
        Some("Member must be 0 or have value greater than or equal to 900")
    } else {
        None
    }
}

fn length_violations(
    value: &str,
    member: &str,
    min: usize,
    max: usize,
    out: &mut Vec<String>,
) {
    let length = value.chars().count();
    if length < min {
        out.push(format!("Value '{value}' at '{member}' failed to satisfy constraint: Member must have length greater than or equal to {min}"));
    }
    if length > max {
        out.push(format!("Value '{value}' at '{member}' failed to satisfy constraint: Member must have length less than or equal to {max}"));
    }
}

fn pattern_violation(value: &str, member: &str, pattern: &str) -> String {
    format!("Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern}")
}

/// The operation as the handler table runs it: the request in, the JSON body out.
pub fn handle_request(
    ctx: &Context<'_>,
    caller: &Identity,
    request: &Request<'_>,
) -> Result<Vec<u8>, ServiceError> {
    handle(ctx, caller, &parse_input(request.query)?)
}

/// Authorizes the caller, finds the domain and mints a token: the operation's body.
pub fn handle(
    ctx: &Context<'_>,
    caller: &Identity,
    input: &Input,
) -> Result<Vec<u8>, ServiceError> {
    let owner = input.domain_owner.as_deref().unwrap_or(&caller.account);
    // Named only in refusals: built when one is written.
    let resource = || access::domain_resource(ctx, owner, &input.domain);
    access::require(caller, ACTION, resource)?;
    access::require(caller, "sts:GetServiceBearerToken", || caller.arn.clone())?;
    let registry = ctx.world.read();
    let domain = &access::domain(&registry, ctx, caller, ACTION, owner, &input.domain, resource)?
        .domain;

    let issued_at = unix_seconds(ctx.now);
    let expires_at = expiration(ctx, caller, input.duration_seconds, issued_at)?;
    let token = ctx.sealer.seal(&TokenClaims {
        domain: domain.name.clone(),
        domain_owner: domain.owner.clone(),
        region: ctx.region.to_owned(),
        principal: caller.arn.clone(),
        access_key_id: Some(caller.access_key_id.clone()),
        issued_at,
        expires_at,
    });
    Ok(success_body(&token, expires_at, ctx.expiration_format))
}

/// The token's expiry: now plus the duration; for 0, the session's own expiry.
fn expiration(
    ctx: &Context<'_>,
    caller: &Identity,
    duration: Option<i64>,
    issued_at: i64,
) -> Result<i64, ServiceError> {
    let default = issued_at + DEFAULT_DURATION_SECONDS;
    match duration {
        None => Ok(default),
        Some(0) if caller.is_temporary() => Ok(caller
            .session_expires_at()
            .map_or(default, |at| unix_seconds(at).min(default))),
        Some(0) => match ctx.zero_duration {
            ZeroDurationPolicy::DefaultDuration => Ok(default),
            ZeroDurationPolicy::Reject => Err(ServiceError::validation(
                ValidationReason::FieldValidationFailed,
                "durationSeconds 0 requires temporary credentials: the token would expire with the caller's role session, and long-term access keys have none",
            )),
        },
        Some(seconds) => Ok(issued_at + seconds),
    }
}

/// `{"authorizationToken":"...","expiration":N}`, written directly: the token is base64url
/// and dots, which JSON needs no escaping for, and serde_json cannot spell `1.76433E9`.
fn success_body(token: &str, expires_at: i64, format: ExpirationFormat) -> Vec<u8> {
    let expiration = match format {
        ExpirationFormat::Integer => expires_at.to_string(),
        ExpirationFormat::JavaDouble => java_double(expires_at),
    };
    let mut body = Vec::with_capacity(token.len() + expiration.len() + 40);
    body.extend_from_slice(b"{\"authorizationToken\":\"");
    body.extend_from_slice(token.as_bytes());
    body.extend_from_slice(b"\",\"expiration\":");
    body.extend_from_slice(expiration.as_bytes());
    body.push(b'}');
    body
}

/// `Double.toString` of a whole number of at least 10^7: `1.76433E9`.
fn java_double(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    if digits.len() < 8 {
        return format!("{value}.0");
    }
    let sign = if value < 0 { "-" } else { "" };
    let fraction = digits[1..].trim_end_matches('0');
    let fraction = if fraction.is_empty() { "0" } else { fraction };
    format!("{sign}{}.{fraction}E{}", &digits[..1], digits.len() - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    /// The model's validation of the query, with the operation's extra constraint: the
    /// oracle of the hand-written reading.
    fn parse_input_with_the_model(query: &Query) -> Result<Input, ServiceError> {
        let model = crate::model::model();
        let op = model.operation("GetAuthorizationToken").unwrap();
        crate::model::validate::decode(
            model,
            op,
            query,
            &http::HeaderMap::new(),
            &crate::files::spool::Piece::Bytes(bytes::Bytes::new()),
            Some(extra_constraint),
        )?
        .typed()
    }

    /// A query parameter's value: valid, nearly valid, or anything.
    fn value(shapes: &[&str]) -> impl proptest::strategy::Strategy<Value = Option<String>> {
        use proptest::prelude::*;
        let shapes: Vec<BoxedStrategy<String>> = shapes
            .iter()
            .map(|re| proptest::string::string_regex(re).unwrap().boxed())
            .collect();
        proptest::option::of(proptest::strategy::Union::new(shapes))
    }

    proptest::proptest! {
        #[test]
        fn the_hand_written_reading_validates_the_query_as_the_model_does(
            domain in value(&["[a-z][a-z0-9-]{0,6}[a-z0-9]", "[A-Za-z0-9_-]{0,60}", ""]),
            owner in value(&["[0-9]{12}", "[0-9a-z]{0,14}"]),
            duration in value(&["0|900|43200|[1-9][0-9]{0,4}", "-[0-9]{1,5}", "[0-9]{18,22}", "-[0-9]{18,22}", "[0-9a-z.+-]{0,4}"]),
        ) {
            let encode = |v: &String| crate::sigv4::uri_encode(v.as_bytes());
            let pairs: Vec<String> = [("domain", &domain), ("domain-owner", &owner), ("duration", &duration)]
                .into_iter()
                .filter_map(|(name, value)| value.as_ref().map(|v| format!("{name}={}", encode(v))))
                .collect();
            let query = Query::parse(&pairs.join("&")).unwrap();
            match (parse_input_with_the_model(&query), parse_input(&query)) {
                (Ok(expected), Ok(actual)) => proptest::prop_assert_eq!(expected, actual),
                (Err(expected), Err(actual)) => {
                    proptest::prop_assert_eq!(&expected.message, &actual.message);
                    proptest::prop_assert_eq!(&expected.members, &actual.members);
                }
                (expected, actual) => proptest::prop_assert!(false, "{:?} vs {:?}", expected, actual),
            }
        }
    }

    fn input(query: &str) -> Result<Input, ServiceError> {
        parse_input(&Query::parse(query).unwrap())
    }

    fn message(query: &str) -> String {
        input(query).unwrap_err().message
    }

    #[test]
    fn accepts_the_three_parameters_in_any_order() {
        assert_eq!(
            input("duration=900&domain-owner=111122223333&domain=acme").unwrap(),
            Input {
                domain: "acme".into(),
                domain_owner: Some("111122223333".into()),
                duration_seconds: Some(900)
            }
        );
    }

    #[test]
    fn a_missing_domain_is_a_null_member() {
        assert_eq!(
            message("duration=900"),
            "1 validation error detected: Value null at 'domain' failed to satisfy constraint: Member must not be null"
        );
    }

    #[test]
    fn a_bad_domain_name_names_the_model_pattern() {
        assert_eq!(
            message("domain=MY_DOMAIN"),
            r"1 validation error detected: Value 'MY_DOMAIN' at 'domain' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-z][a-z0-9\-]{0,48}[a-z0-9]"
        );
    }

    #[test]
    fn every_violation_is_reported_together() {
        let e = input("domain=a&domain-owner=123&duration=50000").unwrap_err();
        assert!(
            e.message.starts_with("5 validation errors detected: "),
            "{}",
            e.message
        );
        assert_eq!(e.members["reason"], "FIELD_VALIDATION_FAILED");
    }

    #[test]
    fn durations_follow_the_manual_page() {
        for ok in ["0", "900", "43200", "3600"] {
            assert!(input(&format!("domain=acme&duration={ok}")).is_ok(), "{ok}");
        }
        assert!(message("domain=acme&duration=899")
            .contains("Member must be 0 or have value greater than or equal to 900"));
        assert!(message("domain=acme&duration=1")
            .contains("Member must be 0 or have value greater than or equal to 900"));
        assert!(message("domain=acme&duration=43201").contains("less than or equal to 43200"));
        assert!(message("domain=acme&duration=-1").contains("greater than or equal to 0"));
        assert!(message("domain=acme&duration=99999999999999999999")
            .contains("less than or equal to 43200"));
    }

    #[test]
    fn a_non_numeric_duration_cannot_be_parsed() {
        let e = input("domain=acme&duration=12h").unwrap_err();
        assert_eq!(e.code, ErrorCode::ValidationException);
        assert_eq!(e.members["reason"], "CANNOT_PARSE");
        assert!(e.message.contains("Value '12h' at 'durationSeconds'"));
    }

    #[test]
    fn the_success_body_is_the_json_clients_parse() {
        let body: serde_json::Value = serde_json::from_slice(&success_body(
            "eyJ.a-b_c",
            1_764_330_000,
            ExpirationFormat::Integer,
        ))
        .unwrap();
        assert_eq!(
            body,
            serde_json::json!({"authorizationToken": "eyJ.a-b_c", "expiration": 1_764_330_000})
        );
    }

    #[test]
    fn the_success_body_is_the_models_output_in_either_spelling() {
        let model = crate::model::model();
        let op = model.operation("GetAuthorizationToken").unwrap();
        for format in [ExpirationFormat::Integer, ExpirationFormat::JavaDouble] {
            let body = success_body("eyJ.a-b_c", 1_764_330_000, format);
            let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
            crate::model::output::check(model, op, &body).unwrap();
        }
    }

    #[test]
    fn java_double_matches_double_to_string() {
        assert_eq!(java_double(1_764_330_000), "1.76433E9");
        assert_eq!(java_double(1_764_330_017), "1.764330017E9");
        assert_eq!(java_double(2_000_000_000), "2.0E9");
    }
}
