//! A request's input, decoded from where the model says each member travels (query, headers,
//! JSON body, payload) and checked against the model's constraints, with Coral's messages:
//!
//! ```text
//! 2 validation errors detected: Value 'MY_DOMAIN' at 'domain' failed to satisfy constraint:
//! Member must satisfy regular expression pattern: [a-z][a-z0-9\-]{0,48}[a-z0-9]; Value null at
//! 'repository' failed to satisfy constraint: Member must not be null
//! ```
//!
//! Violations are listed in the model's member order, nested ones at Coral's paths
//! (`upstreams.1.member.repositoryName`), all in one ValidationException whose `reason` is
//! `CANNOT_PARSE` when a query or header value is not of its member's type and
//! `FIELD_VALIDATION_FAILED` otherwise. A JSON body that is not an object, or a body value of
//! the wrong JSON type, is a SerializationException, as Coral cannot read it into the input.
//! What is valid comes out as a JSON object of member names, which handlers read into their
//! typed input with serde.

use bytes::Bytes;
use http::HeaderMap;
use serde_json::{Map, Value};

use super::{Location, OperationModel, ServiceModel, Shape, ShapeKind};
use crate::error::{ErrorCode, ServiceError, ValidationReason};
use crate::sigv4::Query;
use crate::files::spool::Piece;

/// A request's valid input.
#[derive(Debug, Clone, Default)]
pub struct Input {
    /// Members sent, by model name, typed (numbers as numbers, booleans as booleans).
    pub members: Map<String, Value>,
    /// The payload blob, for operations that take one (PublishPackageVersion): in memory, or
    /// spooled as it arrived.
    pub payload: Option<Piece>,
}

impl Input {
    /// The input as a typed value (serde names are the model's member names).
    pub fn typed<T: serde::de::DeserializeOwned>(&self) -> Result<T, ServiceError> {
        serde_json::from_value(Value::Object(self.members.clone()))
            .map_err(|e| ServiceError::new(ErrorCode::SerializationException, e.to_string()))
    }
}

/// A constraint an operation adds to its top-level members beyond the model's, checked only
/// where the model's own hold: the member's name and value in, the constraint's text out when
/// the value breaks it (`Member must be 0 or have value greater than or equal to 900`).
pub type ExtraConstraint = fn(member: &str, value: &Value) -> Option<&'static str>;

/// Decodes and validates `op`'s input from a request's parts; `extra` adds the operation's
/// own constraints, reported in the same message.
pub fn decode(
    model: &ServiceModel,
    op: &OperationModel,
    query: &Query,
    headers: &HeaderMap,
    payload: &Piece,
    extra: Option<ExtraConstraint>,
) -> Result<Input, ServiceError> {
    let mut input = Input::default();
    // A spooled body is an asset, never JSON.
    let body = match payload {
        Piece::Bytes(bytes) => bytes.clone(),
        Piece::File(_) => Bytes::new(),
    };
    let body = &body;
    let Some(shape) = op.input.as_deref().and_then(|name| model.shape(name)) else {
        return Ok(input);
    };
    let mut body_members = body_object(shape, body)?;
    let mut check = Checker::new(model);
    for member in &shape.members {
        let Some(member_shape) = model.shape(&member.shape) else {
            continue;
        };
        let value = match &member.location {
            Location::Query(name) => query
                .first(name)
                .and_then(|text| check.text(&member.name, member_shape, &text, extra)),
            Location::Header(name) => headers
                .get(name.as_str())
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .and_then(|text| check.text(&member.name, member_shape, &text, extra)),
            Location::Body => match body_members.remove(&member.name) {
                None | Some(Value::Null) => None,
                Some(value) => {
                    check.json(&member.name, member_shape, &value)?;
                    check.extra(extra, &member.name, &java_text(&value), &value);
                    Some(value)
                }
            },
            Location::Payload => {
                if !payload.is_empty() {
                    input.payload = Some(payload.clone());
                }
                // Not a JSON member: only whether it was sent matters here.
                input.payload.as_ref().map(|_| Value::Bool(true))
            }
        };
        match value {
            Some(_) if member.location == Location::Payload => {}
            Some(value) => {
                input.members.insert(member.name.clone(), value);
            }
            None if shape.required.contains(&member.name) && !check.mentions(&member.name) => {
                check.null(&member.name);
            }
            None => {}
        }
    }
    check.finish()?;
    Ok(input)
}

/// The JSON body's members, when the input has any; an empty body has none.
fn body_object(shape: &Shape, body: &Bytes) -> Result<Map<String, Value>, ServiceError> {
    let has_body_members = shape.members.iter().any(|m| m.location == Location::Body);
    if !has_body_members || body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(members)) => Ok(members),
        Ok(_) => Err(serialization("the request body must be a JSON object")),
        Err(e) => Err(serialization(&format!(
            "the request body is not valid JSON: {e}"
        ))),
    }
}

fn serialization(message: &str) -> ServiceError {
    ServiceError::new(ErrorCode::SerializationException, message)
}

/// Collects violations in the order they are found.
struct Checker<'m> {
    model: &'m ServiceModel,
    violations: Vec<String>,
    /// Member paths a violation names, so a value that could not be read is not also
    /// reported as missing.
    named: Vec<String>,
    reason: ValidationReason,
}

impl<'m> Checker<'m> {
    fn new(model: &'m ServiceModel) -> Self {
        Self {
            model,
            violations: Vec::new(),
            named: Vec::new(),
            reason: ValidationReason::FieldValidationFailed,
        }
    }

    fn violation(&mut self, shown: Option<&str>, path: &str, constraint: &str) {
        let value = shown.map_or_else(|| "null".to_owned(), |v| format!("'{v}'"));
        self.violations.push(format!(
            "Value {value} at '{path}' failed to satisfy constraint: {constraint}"
        ));
        self.named.push(path.to_owned());
    }

    fn mentions(&self, path: &str) -> bool {
        self.named.iter().any(|p| p == path)
    }

    fn null(&mut self, path: &str) {
        self.violation(None, path, "Member must not be null");
    }

    /// The operation's own constraint on a top-level member, where the model's hold.
    fn extra(&mut self, extra: Option<ExtraConstraint>, path: &str, shown: &str, value: &Value) {
        if self.mentions(path) {
            return;
        }
        if let Some(constraint) = extra.and_then(|extra| extra(path, value)) {
            self.violation(Some(shown), path, constraint);
        }
    }

    /// A query or header value: parsed into the member's type, then checked (`extra` too).
    /// `None` when it cannot be read (the violation says why).
    fn text(
        &mut self,
        path: &str,
        shape: &Shape,
        text: &str,
        extra: Option<ExtraConstraint>,
    ) -> Option<Value> {
        let value = self.read_text(path, shape, text)?;
        self.extra(extra, path, text, &value);
        Some(value)
    }

    /// [`Checker::text`] without the operation's constraints.
    fn read_text(&mut self, path: &str, shape: &Shape, text: &str) -> Option<Value> {
        match shape.kind {
            ShapeKind::Integer | ShapeKind::Long => {
                let (least, most) = if shape.kind == ShapeKind::Integer {
                    (i64::from(i32::MIN), i64::from(i32::MAX))
                } else {
                    (i64::MIN, i64::MAX)
                };
                match parse_whole(text).map(|n| n.filter(|n| (least..=most).contains(n))) {
                    None => {
                        self.reason = ValidationReason::CannotParse;
                        self.violation(Some(text), path, "Member must be a number");
                        None
                    }
                    // Beyond the type's range: beyond the model's bound on that side.
                    Some(None) => {
                        let negative = text.starts_with('-');
                        self.range(
                            path,
                            text,
                            shape,
                            if negative { i64::MIN } else { i64::MAX },
                        );
                        None
                    }
                    Some(Some(number)) => {
                        self.range(path, text, shape, number);
                        Some(Value::from(number))
                    }
                }
            }
            ShapeKind::Boolean => match text {
                "true" => Some(Value::Bool(true)),
                "false" => Some(Value::Bool(false)),
                _ => {
                    self.reason = ValidationReason::CannotParse;
                    self.violation(Some(text), path, "Member must be a boolean");
                    None
                }
            },
            _ => {
                self.string(path, shape, text);
                Some(Value::String(text.to_owned()))
            }
        }
    }

    /// Range constraints of a number shown as `text`.
    fn range(&mut self, path: &str, text: &str, shape: &Shape, number: i64) {
        if let Some(min) = shape.min.filter(|&min| number < min) {
            self.violation(
                Some(text),
                path,
                &format!("Member must have value greater than or equal to {min}"),
            );
        }
        if let Some(max) = shape.max.filter(|&max| number > max) {
            self.violation(
                Some(text),
                path,
                &format!("Member must have value less than or equal to {max}"),
            );
        }
    }

    /// Length, pattern and enum constraints of a string.
    fn string(&mut self, path: &str, shape: &Shape, text: &str) {
        self.length(path, text, shape, text.chars().count());
        if let Some(pattern) = &shape.pattern {
            if !pattern.matches(text) {
                self.violation(
                    Some(text),
                    path,
                    &format!(
                        "Member must satisfy regular expression pattern: {}",
                        pattern.text
                    ),
                );
            }
        }
        if !shape.enum_values.is_empty() && !shape.enum_values.iter().any(|v| v == text) {
            self.violation(
                Some(text),
                path,
                &format!(
                    "Member must satisfy enum value set: [{}]",
                    shape.enum_values.join(", ")
                ),
            );
        }
    }

    fn length(&mut self, path: &str, shown: &str, shape: &Shape, length: usize) {
        let length = i64::try_from(length).unwrap_or(i64::MAX);
        if let Some(min) = shape.min.filter(|&min| length < min) {
            self.violation(
                Some(shown),
                path,
                &format!("Member must have length greater than or equal to {min}"),
            );
        }
        if let Some(max) = shape.max.filter(|&max| length > max) {
            self.violation(
                Some(shown),
                path,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    /// A JSON body value: its JSON type must be the shape's (else the body cannot be read at
    /// all), then its constraints are checked, nested members at their Coral paths.
    fn json(&mut self, path: &str, shape: &Shape, value: &Value) -> Result<(), ServiceError> {
        let wrong_type = |expected: &str| {
            Err(serialization(&format!(
                "'{path}' must be {expected}, not {}",
                json_type(value)
            )))
        };
        match (shape.kind, value) {
            (ShapeKind::String, Value::String(text)) => self.string(path, shape, text),
            (ShapeKind::String, _) => return wrong_type("a string"),
            (ShapeKind::Integer | ShapeKind::Long, Value::Number(n)) => match n.as_i64() {
                Some(number) => self.range(path, &n.to_string(), shape, number),
                None => return wrong_type("a whole number"),
            },
            (ShapeKind::Integer | ShapeKind::Long, _) => return wrong_type("a number"),
            (ShapeKind::Boolean, Value::Bool(_)) => {}
            (ShapeKind::Boolean, _) => return wrong_type("true or false"),
            (ShapeKind::Timestamp, Value::Number(_)) => {}
            (ShapeKind::Timestamp, _) => return wrong_type("epoch seconds"),
            (ShapeKind::Blob, Value::String(_)) => {}
            (ShapeKind::Blob, _) => return wrong_type("a base64 string"),
            (ShapeKind::List, Value::Array(items)) => {
                self.length(path, &java_text(value), shape, items.len());
                if let Some(member) = shape.member.as_deref().and_then(|m| self.model.shape(m)) {
                    for (i, item) in items.iter().enumerate() {
                        let item_path = format!("{path}.{}.member", i + 1);
                        if item.is_null() {
                            self.null(&item_path);
                        } else {
                            self.json(&item_path, member, item)?;
                        }
                    }
                }
            }
            (ShapeKind::List, _) => return wrong_type("a list"),
            (ShapeKind::Map, Value::Object(entries)) => {
                self.length(path, &java_text(value), shape, entries.len());
                let key = shape.key.as_deref().and_then(|k| self.model.shape(k));
                let item = shape.value.as_deref().and_then(|v| self.model.shape(v));
                for (name, entry) in entries {
                    if let Some(key) = key {
                        self.string(&format!("{path}.key"), key, name);
                    }
                    if let Some(item) = item.filter(|_| !entry.is_null()) {
                        self.json(&format!("{path}.{name}"), item, entry)?;
                    }
                }
            }
            (ShapeKind::Map, _) => return wrong_type("an object"),
            (ShapeKind::Structure, Value::Object(members)) => {
                for member in &shape.members {
                    let member_path = format!("{path}.{}", member.name);
                    match members.get(&member.name) {
                        None | Some(Value::Null) => {
                            if shape.required.contains(&member.name) {
                                self.null(&member_path);
                            }
                        }
                        Some(value) => {
                            if let Some(member_shape) = self.model.shape(&member.shape) {
                                self.json(&member_path, member_shape, value)?;
                            }
                        }
                    }
                }
            }
            (ShapeKind::Structure, _) => return wrong_type("an object"),
        }
        Ok(())
    }

    fn finish(self) -> Result<(), ServiceError> {
        if self.violations.is_empty() {
            return Ok(());
        }
        let count = self.violations.len();
        let plural = if count == 1 { "error" } else { "errors" };
        Err(ServiceError::validation(
            self.reason,
            format!(
                "{count} validation {plural} detected: {}",
                self.violations.join("; ")
            ),
        ))
    }
}

/// A whole number written in decimal: `None` when it is not one, `Some(None)` when it is one
/// too large for 64 bits.
fn parse_whole(text: &str) -> Option<Option<i64>> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(text.parse::<i64>().ok())
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A value as Java's `toString` shows collections in Coral's messages: `[a, b]`, `{k=v}`.
fn java_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(java_text).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(members) => {
            let members: Vec<String> = members
                .iter()
                .map(|(k, v)| format!("{k}={}", java_text(v)))
                .collect();
            format!("{{{}}}", members.join(", "))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::model;

    fn decode_op(name: &str, query: &str, body: &str) -> Result<Input, ServiceError> {
        let model = model();
        let op = model.operation(name).unwrap();
        decode(
            model,
            op,
            &Query::parse(query).unwrap(),
            &HeaderMap::new(),
            &Piece::Bytes(Bytes::from(body.to_owned())),
            None,
        )
    }

    fn message(name: &str, query: &str, body: &str) -> String {
        decode_op(name, query, body).unwrap_err().message
    }

    #[test]
    fn query_members_are_typed_and_checked() {
        let input = decode_op(
            "ListPackageVersions",
            "domain=acme&repository=repo&format=npm&package=left-pad&max-results=5",
            "",
        )
        .unwrap();
        assert_eq!(input.members["maxResults"], 5);
        assert_eq!(input.members["format"], "npm");
        assert_eq!(
            message("ListPackageVersions", "domain=acme&repository=repo&format=zip&package=p", ""),
            "1 validation error detected: Value 'zip' at 'format' failed to satisfy constraint: Member must satisfy enum value set: [npm, pypi, maven, nuget, generic, ruby, swift, cargo]"
        );
    }

    #[test]
    fn every_violation_is_listed_in_model_order() {
        assert_eq!(
            message("DescribeRepository", "domain=MY_DOMAIN", ""),
            "2 validation errors detected: Value 'MY_DOMAIN' at 'domain' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-z][a-z0-9\\-]{0,48}[a-z0-9]; Value null at 'repository' failed to satisfy constraint: Member must not be null"
        );
    }

    #[test]
    fn numbers_that_cannot_be_read_are_cannot_parse() {
        let error = decode_op("ListRepositories", "max-results=ten", "").unwrap_err();
        assert_eq!(error.members["reason"], "CANNOT_PARSE");
        assert_eq!(
            error.message,
            "1 validation error detected: Value 'ten' at 'maxResults' failed to satisfy constraint: Member must be a number"
        );
        assert_eq!(
            message("ListRepositories", "max-results=99999999999999999999999", ""),
            "1 validation error detected: Value '99999999999999999999999' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000"
        );
    }

    #[test]
    fn body_members_are_checked_at_their_coral_paths() {
        let body = r#"{"upstreams": [{"repositoryName": "ok"}, {}, {"repositoryName": "a b"}], "description": "d"}"#;
        assert_eq!(
            message("CreateRepository", "domain=acme&repository=repo", body),
            "2 validation errors detected: Value null at 'upstreams.2.member.repositoryName' failed to satisfy constraint: Member must not be null; Value 'a b' at 'upstreams.3.member.repositoryName' failed to satisfy constraint: Member must satisfy regular expression pattern: [A-Za-z0-9][A-Za-z0-9._\\-]{1,99}"
        );
        let input = decode_op(
            "CreateRepository",
            "domain=acme&repository=repo",
            r#"{"description": "d", "unknown": 1}"#,
        )
        .unwrap();
        assert_eq!(input.members["description"], "d");
        assert!(
            !input.members.contains_key("unknown"),
            "unknown members are ignored"
        );
    }

    #[test]
    fn a_body_of_the_wrong_shape_is_a_serialization_exception() {
        for body in ["[1]", "{", r#"{"maxResults": "ten"}"#] {
            let error = decode_op("ListDomains", "", body).unwrap_err();
            assert_eq!(error.code, ErrorCode::SerializationException, "{body}");
        }
        assert_eq!(
            message("ListDomains", "", r#"{"maxResults": 0}"#),
            "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"
        );
    }

    #[test]
    fn the_payload_is_kept_as_bytes_and_required_like_any_member() {
        let query = "domain=acme&repository=repo&format=generic&namespace=ns&package=p&version=1.0&asset=a.txt";
        let sha256 = "ed7002b439e9ac845f22357d822bac1444730fbdb6016d3ec9432297b9ec9f73";
        let mut headers = HeaderMap::new();
        headers.insert("x-amz-content-sha256", sha256.parse().unwrap());
        let model = model();
        let op = model.operation("PublishPackageVersion").unwrap();
        let query = Query::parse(query).unwrap();
        let input = decode(
            model,
            op,
            &query,
            &headers,
            &Piece::Bytes(Bytes::from_static(b"content")),
            None,
        )
        .unwrap();
        let payload = input.payload.and_then(|p| p.bytes_up_to(100));
        assert_eq!(payload.as_deref(), Some(&b"content"[..]));
        assert_eq!(input.members["assetSHA256"], sha256);
        assert!(!input.members.contains_key("assetContent"));
        let error = decode(model, op, &query, &headers, &Piece::Bytes(Bytes::new()), None).unwrap_err();
        assert!(
            error.message.contains("Value null at 'assetContent'"),
            "{}",
            error.message
        );
    }

    #[test]
    fn typed_inputs_read_the_members_by_model_name() {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Describe {
            domain: String,
            domain_owner: Option<String>,
        }
        let input = decode_op(
            "DescribeDomain",
            "domain=acme&domain-owner=111122223333",
            "",
        )
        .unwrap();
        let typed: Describe = input.typed().unwrap();
        assert_eq!(typed.domain, "acme");
        assert_eq!(typed.domain_owner.as_deref(), Some("111122223333"));
    }
}
