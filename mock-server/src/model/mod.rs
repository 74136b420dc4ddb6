//! CodeArtifact's service model, the source of truth for routing, validation and errors.
//!
//! The model is botocore's `codeartifact/2018-09-22/service-2.json`, kept verbatim in
//! `mock-server/model/` (Apache-2.0; provenance in `model/PROVENANCE.md`). It was chosen over
//! the Smithy model because it is what the AWS CLIs and boto3 are generated from at run time,
//! and it carries everything the mock needs in one small file: each operation's method and
//! URI, where each input member travels (query, header, body, payload) and under which name,
//! each shape's type and constraints (required, length, range, pattern, enum), the modeled
//! errors and the output shapes.
//!
//! It is read once, on first use, into the tables below; every lookup after that is a hash
//! map or a slice. [`validate`] decodes and checks a request's input against it with Coral's
//! messages.

pub mod output;
mod shapes;
pub mod validate;

use std::collections::HashMap;
use std::sync::LazyLock;

use http::Method;

pub use shapes::{Location, Member, Shape, ShapeKind};

/// The model's text, as botocore ships it.
pub const MODEL_JSON: &str = include_str!("../../model/codeartifact-2018-09-22.json");

/// One operation of the model.
#[derive(Debug)]
pub struct OperationModel {
    /// Its name (`GetAuthorizationToken`).
    pub name: String,
    /// HTTP method.
    pub method: Method,
    /// The request URI's path (CodeArtifact's URIs have no labels).
    pub path: String,
    /// The input structure's shape name.
    pub input: Option<String>,
    /// The output structure's shape name.
    pub output: Option<String>,
    /// The modeled error shapes.
    pub errors: Vec<String>,
}

/// The whole model, indexed.
#[derive(Debug)]
pub struct ServiceModel {
    /// `apiVersion` of the model.
    pub api_version: String,
    operations: Vec<OperationModel>,
    by_name: HashMap<String, usize>,
    /// Path, then the operations at it by method.
    by_path: HashMap<String, Vec<(Method, usize)>>,
    shapes: HashMap<String, Shape>,
}

static MODEL: LazyLock<ServiceModel> = LazyLock::new(|| {
    ServiceModel::parse(MODEL_JSON)
        .unwrap_or_else(|e| unreachable!("the embedded model is tested to parse: {e}"))
});

/// The embedded model (parsed on first use).
pub fn model() -> &'static ServiceModel {
    &MODEL
}

impl ServiceModel {
    /// Reads a botocore service model.
    pub fn parse(json: &str) -> Result<Self, String> {
        let raw: shapes::RawModel =
            serde_json::from_str(json).map_err(|e| format!("not a service model: {e}"))?;
        let mut shapes = HashMap::with_capacity(raw.shapes.len());
        for (name, shape) in raw.shapes {
            let shape = Shape::from_raw(&name, shape)?;
            shapes.insert(name, shape);
        }
        let mut operations = Vec::with_capacity(raw.operations.len());
        for (name, op) in raw.operations {
            let method = Method::from_bytes(op.http.method.as_bytes())
                .map_err(|_| format!("{name}: bad method {}", op.http.method))?;
            let path = op
                .http
                .request_uri
                .split('?')
                .next()
                .unwrap_or("/")
                .to_owned();
            if path.contains('{') {
                return Err(format!("{name}: URI labels are not supported: {path}"));
            }
            operations.push(OperationModel {
                name,
                method,
                path,
                input: op.input.map(|r| r.shape),
                output: op.output.map(|r| r.shape),
                errors: op.errors.into_iter().map(|r| r.shape).collect(),
            });
        }
        operations.sort_by(|a, b| a.name.cmp(&b.name));
        let mut by_name = HashMap::with_capacity(operations.len());
        let mut by_path: HashMap<String, Vec<(Method, usize)>> = HashMap::new();
        for (index, op) in operations.iter().enumerate() {
            by_name.insert(op.name.clone(), index);
            by_path
                .entry(op.path.clone())
                .or_default()
                .push((op.method.clone(), index));
        }
        let model = Self {
            api_version: raw.metadata.api_version,
            operations,
            by_name,
            by_path,
            shapes,
        };
        model.check_references()?;
        Ok(model)
    }

    /// Every shape an operation or a shape names exists.
    fn check_references(&self) -> Result<(), String> {
        let missing = |name: &str| (!self.shapes.contains_key(name)).then(|| name.to_owned());
        for op in &self.operations {
            let names = op.input.iter().chain(&op.output).chain(&op.errors);
            if let Some(name) = names.filter_map(|n| missing(n)).next() {
                return Err(format!("{}: unknown shape {name}", op.name));
            }
        }
        for (name, shape) in &self.shapes {
            let referenced = shape
                .members
                .iter()
                .map(|m| m.shape.as_str())
                .chain(shape.member.as_deref())
                .chain(shape.key.as_deref())
                .chain(shape.value.as_deref());
            if let Some(unknown) = referenced.filter_map(missing).next() {
                return Err(format!("{name}: unknown shape {unknown}"));
            }
        }
        Ok(())
    }

    /// Every operation, by name.
    pub fn operations(&self) -> &[OperationModel] {
        &self.operations
    }

    /// The operation called `name`.
    pub fn operation(&self, name: &str) -> Option<&OperationModel> {
        self.by_name.get(name).map(|&i| &self.operations[i])
    }

    /// The operation at a method and normalised path.
    pub fn route(&self, method: &Method, path: &str) -> Option<&OperationModel> {
        self.by_path
            .get(path)?
            .iter()
            .find(|(m, _)| m == method)
            .map(|&(_, i)| &self.operations[i])
    }

    /// The shape called `name`.
    pub fn shape(&self, name: &str) -> Option<&Shape> {
        self.shapes.get(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_model_has_every_operation_of_codeartifact() {
        let model = model();
        assert_eq!(model.api_version, "2018-09-22");
        assert_eq!(model.operations().len(), 48);
        let op = model.operation("GetAuthorizationToken").unwrap();
        assert_eq!(
            (&op.method, op.path.as_str()),
            (&Method::POST, "/v1/authorization-token")
        );
        assert_eq!(
            op.errors,
            [
                "AccessDeniedException",
                "InternalServerException",
                "ResourceNotFoundException",
                "ThrottlingException",
                "ValidationException"
            ]
        );
    }

    #[test]
    fn routes_by_method_and_path() {
        let model = model();
        let name = |m: Method, p: &str| model.route(&m, p).map(|op| op.name.as_str());
        assert_eq!(
            name(Method::POST, "/v1/authorization-token"),
            Some("GetAuthorizationToken")
        );
        assert_eq!(name(Method::GET, "/v1/authorization-token"), None);
        // One path, three operations.
        assert_eq!(
            name(Method::GET, "/v1/repository"),
            Some("DescribeRepository")
        );
        assert_eq!(
            name(Method::POST, "/v1/repository"),
            Some("CreateRepository")
        );
        assert_eq!(
            name(Method::PUT, "/v1/repository"),
            Some("UpdateRepository")
        );
        assert_eq!(
            name(Method::DELETE, "/v1/repository"),
            Some("DeleteRepository")
        );
        assert_eq!(name(Method::POST, "/v1/repositories/"), None);
        // Every operation is reachable at its own method and path.
        for op in model.operations() {
            assert_eq!(name(op.method.clone(), &op.path), Some(op.name.as_str()));
        }
    }

    #[test]
    fn a_model_naming_a_missing_shape_is_refused() {
        let json = r#"{"metadata": {"apiVersion": "x"}, "operations": {"Op": {"name": "Op",
            "http": {"method": "GET", "requestUri": "/x"}, "input": {"shape": "Nope"}}},
            "shapes": {}}"#;
        assert_eq!(
            ServiceModel::parse(json).unwrap_err(),
            "Op: unknown shape Nope"
        );
    }
}
