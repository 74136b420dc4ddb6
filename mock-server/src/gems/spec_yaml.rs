//! A gem's `metadata.gz`: the YAML Psych writes for a `Gem::Specification`. Its Ruby tags
//! (`!ruby/object:Gem::Version`) are read past: a version is a mapping with `version`, a
//! requirement one with `requirements` (a list of `[operator, version]`), a dependency one
//! with `name`, `requirement` and `type` (`:runtime`, a symbol).

use yaml_rust2::{Yaml, YamlLoader};

use super::{GemDependency, GemSpec, Requirement, RUBY_PLATFORM};

/// How deeply a specification may nest. Psych writes a gem's specification four levels
/// deep; `yaml-rust2` loads and drops nodes recursively, so a pushed gem nesting a million
/// levels would overflow the stack and end the process: it is refused before it is parsed.
const MAX_NESTING: usize = 256;

/// The specification in `text`, if it names a gem and a version.
pub fn parse(text: &str) -> Result<GemSpec, String> {
    if nesting_bound(text) > MAX_NESTING {
        return Err(format!("the gem's specification nests more than {MAX_NESTING} levels deep"));
    }
    let documents = YamlLoader::load_from_str(text).map_err(|e| format!("the gem's specification is not YAML: {e}"))?;
    let spec = documents.first().ok_or("the gem's specification is empty")?;
    let name = scalar(&spec["name"]).ok_or("the gem's specification has no name")?;
    let version = version(&spec["version"]).ok_or("the gem's specification has no version")?;
    let dependencies = spec["dependencies"]
        .as_vec()
        .into_iter()
        .flatten()
        .filter_map(|dependency| {
            Some(GemDependency {
                name: scalar(&dependency["name"])?,
                requirement: requirement(&dependency["requirement"]),
                kind: scalar(&dependency["type"]).map_or_else(|| "runtime".to_owned(), |t| t.trim_start_matches(':').to_owned()),
            })
        })
        .collect();
    let metadata = spec["metadata"]
        .as_hash()
        .into_iter()
        .flatten()
        .filter_map(|(key, value)| Some((scalar(key)?, scalar(value)?)))
        .collect();
    Ok(GemSpec {
        name,
        version,
        platform: scalar(&spec["platform"]).unwrap_or_else(|| RUBY_PLATFORM.to_owned()),
        summary: scalar(&spec["summary"]),
        description: scalar(&spec["description"]),
        authors: strings(&spec["authors"]),
        email: strings(&spec["email"]),
        homepage: scalar(&spec["homepage"]),
        licenses: strings(&spec["licenses"]),
        metadata,
        dependencies,
        required_ruby_version: requirement(&spec["required_ruby_version"]),
        required_rubygems_version: requirement(&spec["required_rubygems_version"]),
        date: scalar(&spec["date"]).map(|d| d.chars().take(10).collect()),
        rubygems_version: scalar(&spec["rubygems_version"]),
        specification_version: spec["specification_version"].as_i64(),
    })
}

/// An upper bound of how deeply `text` nests: a block node is indented past its parent
/// (`- - x` nests twice, its content two columns in each time), a flow node opens a bracket;
/// the column of each line's content past its indentation and sequence dashes, plus the
/// brackets open at that point, bound the depth there.
fn nesting_bound(text: &str) -> usize {
    let mut flow: usize = 0;
    let mut deepest = 0;
    for line in text.lines() {
        let content = line.trim_start_matches([' ', '-', '?', ':']);
        let column = line.len() - content.len();
        for byte in content.bytes() {
            match byte {
                b'[' | b'{' => flow += 1,
                b']' | b'}' => flow = flow.saturating_sub(1),
                _ => {}
            }
            deepest = deepest.max(column + flow);
        }
        deepest = deepest.max(column + flow);
    }
    deepest
}

/// A scalar as text (YAML reads `1.10` as a number: its text is kept as written); `None`
/// for null, empty text and collections.
fn scalar(node: &Yaml) -> Option<String> {
    let text = match node {
        Yaml::String(text) | Yaml::Real(text) => text.clone(),
        Yaml::Integer(number) => number.to_string(),
        Yaml::Boolean(flag) => flag.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// A list of strings, or one string as a list of one (`email` is either).
fn strings(node: &Yaml) -> Vec<String> {
    match node.as_vec() {
        Some(items) => items.iter().filter_map(scalar).collect(),
        None => scalar(node).into_iter().collect(),
    }
}

/// A `Gem::Version` (a mapping with `version`), or a bare scalar.
fn version(node: &Yaml) -> Option<String> {
    scalar(&node["version"]).or_else(|| scalar(node))
}

/// A `Gem::Requirement`'s `[operator, version]` pairs.
fn requirement(node: &Yaml) -> Requirement {
    node["requirements"]
        .as_vec()
        .into_iter()
        .flatten()
        .filter_map(|pair| Some((scalar(&pair[0])?, version(&pair[1])?)))
        .collect()
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_psychs_dump_of_a_specification() {
        let spec = parse(&super::super::sample_spec_yaml("hello", "1.10.0", "ruby")).unwrap();
        assert_eq!((spec.name.as_str(), spec.version.as_str(), spec.platform.as_str()), ("hello", "1.10.0", "ruby"));
        assert_eq!(spec.dependencies.len(), 2);
        let rack = &spec.dependencies[0];
        assert_eq!((rack.name.as_str(), rack.kind.as_str()), ("rack", "runtime"));
        assert_eq!(rack.requirement, vec![("~>".to_owned(), "2.0".to_owned()), (">=".to_owned(), "2.0.1".to_owned())]);
        assert_eq!(spec.dependencies[1].kind, "development");
        assert_eq!(spec.required_ruby_version, vec![(">=".to_owned(), "2.7.0".to_owned())]);
        assert_eq!(spec.email, vec!["dev@example.com".to_owned()]);
        assert_eq!(spec.date.as_deref(), Some("2024-01-31"));
        assert_eq!(spec.metadata["source_code_uri"], "https://example.com/hello/src");
        assert_eq!((spec.specification_version, spec.summary.as_deref()), (Some(4), Some("Hello")));
    }

    #[test]
    fn a_specification_nested_past_the_limit_is_refused_before_it_is_parsed() {
        let flow = format!("name: x\nversion: 1\nmetadata: {}1{}\n", "[".repeat(100_000), "]".repeat(100_000));
        let block = format!("name: x\nversion: 1\nauthors:\n{}x\n", "- ".repeat(100_000));
        for text in [flow, block] {
            assert!(parse(&text).unwrap_err().contains("nests more than"));
        }
        assert!(nesting_bound(&super::super::sample_spec_yaml("hello", "1.0.0", "ruby")) < 16);
    }

    proptest::proptest! {
        /// Whatever a pushed gem's metadata says, reading it answers, never panics.
        #[test]
        fn any_text_is_read_without_a_panic(text in "[ a-z:\\-\\[\\]{}!'\"#&*|>\n0-9.,]{0,400}") {
            let _ = parse(&text);
        }
    }

    #[test]
    fn refuses_what_is_not_a_specification() {
        assert!(parse("name: [").is_err());
        assert!(parse("--- {}\n").is_err());
        assert!(parse("name: x\n").unwrap_err().contains("version"));
    }
}
