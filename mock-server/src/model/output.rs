//! Outputs: handlers return typed values, serialised to JSON with serde (members named as the
//! model names them, timestamps as epoch seconds, absent optional members left out); this
//! module checks such a body against the operation's output shape, so each handler's tests
//! prove its output is what clients generated from the model can read.

use serde::Serialize;
use serde_json::Value;

use super::{Location, OperationModel, ServiceModel, ShapeKind};

/// The JSON body of a typed output.
pub fn json_body(output: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(output).unwrap_or_default()
}

/// The JSON body of an output built as a JSON value: members that are `null` are left out,
/// as AWS leaves out members it has no value for.
pub fn value_body(mut output: Value) -> Vec<u8> {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(members) => {
                members.retain(|_, v| !v.is_null());
                members.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut output);
    serde_json::to_vec(&output).unwrap_or_default()
}

/// Why `body` is not an output of `op` as the model describes it: a member the output shape
/// does not have (or carries in a header or as the payload), or a value of the wrong JSON
/// type, at its path.
pub fn check(model: &ServiceModel, op: &OperationModel, body: &Value) -> Result<(), String> {
    let Some(shape) = op.output.as_deref() else {
        return match body {
            Value::Object(members) if members.is_empty() => Ok(()),
            other => Err(format!("{} has no output, got {other}", op.name)),
        };
    };
    check_value(model, shape, body, "", true)
}

fn check_value(
    model: &ServiceModel,
    shape_name: &str,
    value: &Value,
    path: &str,
    top: bool,
) -> Result<(), String> {
    let shape = model
        .shape(shape_name)
        .ok_or_else(|| format!("{path}: unknown shape {shape_name}"))?;
    let wrong = |expected: &str| Err(format!("{path}: expected {expected}, got {value}"));
    match (shape.kind, value) {
        (ShapeKind::String, Value::String(text)) => {
            if !shape.enum_values.is_empty() && !shape.enum_values.contains(text) {
                return Err(format!("{path}: {text:?} is not one of {:?}", shape.enum_values));
            }
            Ok(())
        }
        (ShapeKind::Integer | ShapeKind::Long, Value::Number(n)) if n.is_i64() => Ok(()),
        (ShapeKind::Timestamp, Value::Number(_)) => Ok(()),
        (ShapeKind::Boolean, Value::Bool(_)) => Ok(()),
        (ShapeKind::Blob, Value::String(_)) => Ok(()),
        (ShapeKind::List, Value::Array(items)) => {
            let member = shape.member.as_deref().unwrap_or_default();
            items.iter().enumerate().try_for_each(|(i, item)| {
                check_value(model, member, item, &format!("{path}[{i}]"), false)
            })
        }
        (ShapeKind::Map, Value::Object(entries)) => {
            let item = shape.value.as_deref().unwrap_or_default();
            entries.iter().try_for_each(|(key, entry)| {
                check_value(model, item, entry, &format!("{path}.{key}"), false)
            })
        }
        (ShapeKind::Structure, Value::Object(members)) => {
            for (name, member_value) in members {
                let member = shape
                    .member_named(name)
                    .ok_or_else(|| format!("{path}: {shape_name} has no member `{name}`"))?;
                if top && member.location != Location::Body {
                    return Err(format!(
                        "{path}.{name}: travels as {:?}, not in the JSON body",
                        member.location
                    ));
                }
                if member_value.is_null() {
                    return Err(format!(
                        "{path}.{name}: absent members are left out, not null"
                    ));
                }
                check_value(model, &member.shape, member_value, &format!("{path}.{name}"), false)?;
            }
            Ok(())
        }
        (ShapeKind::String, _) => wrong("a string"),
        (ShapeKind::Integer | ShapeKind::Long, _) => wrong("a whole number"),
        (ShapeKind::Timestamp, _) => wrong("epoch seconds"),
        (ShapeKind::Boolean, _) => wrong("true or false"),
        (ShapeKind::Blob, _) => wrong("base64 text"),
        (ShapeKind::List, _) => wrong("a list"),
        (ShapeKind::Map | ShapeKind::Structure, _) => wrong("an object"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::model;
    use serde_json::json;

    fn check_op(name: &str, body: Value) -> Result<(), String> {
        let model = model();
        check(model, model.operation(name).unwrap(), &body)
    }

    #[test]
    fn outputs_are_held_to_their_shape() {
        check_op(
            "DescribeDomain",
            json!({"domain": {"name": "acme", "owner": "111122223333", "status": "Active",
                "createdTime": 1.7e9, "repositoryCount": 2, "assetSizeBytes": 0}}),
        )
        .unwrap();
        assert_eq!(
            check_op("DescribeDomain", json!({"domain": {"nom": "acme"}})).unwrap_err(),
            ".domain: DomainDescription has no member `nom`"
        );
        assert_eq!(
            check_op("DescribeDomain", json!({"domain": {"status": "Sleeping"}})).unwrap_err(),
            r#".domain.status: "Sleeping" is not one of ["Active", "Deleted"]"#
        );
        assert!(check_op("DescribeDomain", json!({"domain": {"createdTime": "2026"}})).is_err());
        assert!(check_op("DescribeDomain", json!({"domain": {"arn": null}})).is_err());
    }

    #[test]
    fn header_members_are_not_body_members() {
        let error = check_op(
            "GetPackageVersionAsset",
            json!({"assetName": "a.tgz"}),
        )
        .unwrap_err();
        assert!(error.contains("not in the JSON body"), "{error}");
    }

    #[test]
    fn the_token_operations_body_is_its_output() {
        check_op(
            "GetAuthorizationToken",
            json!({"authorizationToken": "eyJ...", "expiration": 1_764_330_000}),
        )
        .unwrap();
    }
}
