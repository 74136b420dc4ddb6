//! Shapes of the service model: botocore's JSON read into types, member order kept (Coral
//! reports violations in it), patterns compiled once.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use regex::Regex;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

#[derive(Deserialize)]
pub(super) struct RawModel {
    pub(super) metadata: RawMetadata,
    pub(super) operations: BTreeMap<String, RawOperation>,
    pub(super) shapes: HashMap<String, RawShape>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawMetadata {
    pub(super) api_version: String,
}

#[derive(Deserialize)]
pub(super) struct RawOperation {
    pub(super) http: RawHttp,
    pub(super) input: Option<RawRef>,
    pub(super) output: Option<RawRef>,
    #[serde(default)]
    pub(super) errors: Vec<RawRef>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawHttp {
    pub(super) method: String,
    pub(super) request_uri: String,
}

#[derive(Deserialize)]
pub(super) struct RawRef {
    pub(super) shape: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawShape {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default, deserialize_with = "ordered")]
    members: Vec<(String, RawMember)>,
    #[serde(default)]
    required: Vec<String>,
    payload: Option<String>,
    member: Option<RawRef>,
    key: Option<RawRef>,
    value: Option<RawRef>,
    min: Option<f64>,
    max: Option<f64>,
    pattern: Option<String>,
    #[serde(rename = "enum", default)]
    enum_values: Vec<String>,
    error: Option<RawError>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMember {
    shape: String,
    location: Option<String>,
    location_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawError {
    http_status_code: u16,
}

/// A JSON object read as pairs in document order (serde_json's own map sorts its keys).
fn ordered<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<(String, RawMember)>, D::Error> {
    struct Pairs;
    impl<'de> Visitor<'de> for Pairs {
        type Value = Vec<(String, RawMember)>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object of members")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut pairs = Vec::new();
            while let Some(pair) = map.next_entry()? {
                pairs.push(pair);
            }
            Ok(pairs)
        }
    }
    deserializer.deserialize_map(Pairs)
}

/// What kind of value a shape holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShapeKind {
    /// Members by name.
    Structure,
    /// Text.
    String,
    /// 32-bit integer.
    Integer,
    /// 64-bit integer.
    Long,
    /// `true` or `false`.
    Boolean,
    /// Epoch seconds on the wire (restJson1's default).
    Timestamp,
    /// Bytes (a payload).
    Blob,
    /// A list of one member shape.
    List,
    /// String keys to one value shape.
    Map,
}

/// Where an input member travels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A JSON body member, under its own name.
    Body,
    /// The query parameter named.
    Query(String),
    /// The header named.
    Header(String),
    /// The whole body (a structure's `payload`).
    Payload,
}

/// A structure's member.
#[derive(Debug, Clone)]
pub struct Member {
    /// Its name in the model (and in JSON bodies).
    pub name: String,
    /// Its shape.
    pub shape: String,
    /// Where it travels.
    pub location: Location,
}

/// A compiled `pattern` constraint: the model's text (quoted in messages) and a regex that
/// must match the whole value, as Java's `matches()` does.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// The pattern as the model writes it.
    pub text: String,
    regex: Regex,
}

impl Pattern {
    fn compile(text: &str) -> Result<Self, String> {
        // Java spells Unicode white space `\p{IsWhitespace}`; the regex crate `\s`.
        let translated = text.replace(r"\p{IsWhitespace}", r"\s");
        let regex = Regex::new(&format!("^(?:{translated})$"))
            .map_err(|e| format!("pattern {text}: {e}"))?;
        Ok(Self {
            text: text.to_owned(),
            regex,
        })
    }

    /// Whether the whole value matches.
    pub fn matches(&self, value: &str) -> bool {
        self.regex.is_match(value)
    }
}

/// One shape, with its constraints.
#[derive(Debug, Clone)]
pub struct Shape {
    /// What it holds.
    pub kind: ShapeKind,
    /// Structure members, in model order.
    pub members: Vec<Member>,
    /// Required member names.
    pub required: Vec<String>,
    /// List member shape.
    pub member: Option<String>,
    /// Map key shape.
    pub key: Option<String>,
    /// Map value shape.
    pub value: Option<String>,
    /// Least length (strings, lists, maps) or value (numbers).
    pub min: Option<i64>,
    /// Greatest length or value.
    pub max: Option<i64>,
    /// Pattern every string value must match.
    pub pattern: Option<Pattern>,
    /// The allowed values of an enum string.
    pub enum_values: Vec<String>,
    /// For error shapes: the HTTP status.
    pub error_status: Option<u16>,
}

impl Shape {
    pub(super) fn from_raw(name: &str, raw: RawShape) -> Result<Self, String> {
        let kind = match raw.kind.as_str() {
            "structure" => ShapeKind::Structure,
            "string" => ShapeKind::String,
            "integer" => ShapeKind::Integer,
            "long" => ShapeKind::Long,
            "boolean" => ShapeKind::Boolean,
            "timestamp" => ShapeKind::Timestamp,
            "blob" => ShapeKind::Blob,
            "list" => ShapeKind::List,
            "map" => ShapeKind::Map,
            other => return Err(format!("{name}: unsupported shape type {other}")),
        };
        let members = raw
            .members
            .into_iter()
            .map(|(member_name, m)| {
                let wire_name = || {
                    m.location_name
                        .clone()
                        .unwrap_or_else(|| member_name.clone())
                };
                let location = match m.location.as_deref() {
                    _ if raw.payload.as_deref() == Some(member_name.as_str()) => Location::Payload,
                    None => Location::Body,
                    Some("querystring") => Location::Query(wire_name()),
                    Some("header") => Location::Header(wire_name()),
                    Some(other) => {
                        return Err(format!(
                            "{name}.{member_name}: unsupported location {other}"
                        ))
                    }
                };
                Ok(Member {
                    name: member_name,
                    shape: m.shape,
                    location,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        // Bounds are whole numbers in this model; a fraction would be a new kind of model.
        let bound = |value: Option<f64>| value.map(|v| v as i64);
        Ok(Self {
            kind,
            members,
            required: raw.required,
            member: raw.member.map(|r| r.shape),
            key: raw.key.map(|r| r.shape),
            value: raw.value.map(|r| r.shape),
            min: bound(raw.min),
            max: bound(raw.max),
            pattern: raw.pattern.as_deref().map(Pattern::compile).transpose()?,
            enum_values: raw.enum_values,
            error_status: raw.error.map(|e| e.http_status_code),
        })
    }

    /// The member called `name`.
    pub fn member_named(&self, name: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_whole_values_the_java_way() {
        let domain = Pattern::compile(r"[a-z][a-z0-9\-]{0,48}[a-z0-9]").unwrap();
        assert!(domain.matches("my-domain"));
        assert!(!domain.matches("my-domain-"));
        assert!(!domain.matches("x my-domain"));
        let no_control = Pattern::compile(r"[^\p{C}\p{IsWhitespace}]+").unwrap();
        assert!(no_control.matches("left-pad"));
        assert!(!no_control.matches("left pad"));
        assert!(!no_control.matches("a\u{7}b"));
        let printable = Pattern::compile(r"\P{C}*").unwrap();
        assert!(printable.matches(""));
        assert!(printable.matches("é ü"));
        assert!(!printable.matches("\n"));
    }

    #[test]
    fn every_pattern_of_the_model_compiles() {
        let model = super::super::model();
        let patterns = model
            .shapes
            .values()
            .filter_map(|s| s.pattern.as_ref())
            .count();
        assert!(patterns >= 20, "{patterns}");
    }
}
