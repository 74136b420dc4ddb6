//! What a Ruby `.gem` says of itself, and the forms RubyGems and Bundler read it in.
//!
//! A `.gem` is a plain tar whose `metadata.gz` holds the specification as YAML (Psych's
//! dump of a `Gem::Specification`, Ruby tags and all): [`read_gem`] reads that entry at
//! offsets, so a pushed gem is never read whole, and [`spec_yaml`] turns it into a
//! [`GemSpec`], the part of the specification the registry serves. The repository then
//! answers in three forms: the compact index's text lines ([`compact_index`]), and Ruby's
//! Marshal ([`marshal`]) for the Dependencies API and the `quick/Marshal.4.8` gemspecs that
//! `gem install` loads before it downloads.

pub mod compact_index;
pub mod marshal;
pub mod spec_yaml;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::files::read_at::ReadAt;

/// A version requirement: `(operator, version)` pairs, all of which must hold
/// (`[(">=", "1.0"), ("<", "2")]`).
pub type Requirement = Vec<(String, String)>;

/// A dependency a gem declares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GemDependency {
    /// The gem depended on.
    pub name: String,
    /// What its version must satisfy.
    pub requirement: Requirement,
    /// `runtime` or `development`.
    pub kind: String,
}

/// The part of a `Gem::Specification` the registry serves.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GemSpec {
    /// The gem's name.
    pub name: String,
    /// Its version, as written.
    pub version: String,
    /// `ruby`, or the platform it was built for (`x86_64-linux`).
    pub platform: String,
    /// One line.
    pub summary: Option<String>,
    /// Longer text.
    pub description: Option<String>,
    /// Authors.
    pub authors: Vec<String>,
    /// Contact addresses.
    pub email: Vec<String>,
    /// Home page.
    pub homepage: Option<String>,
    /// Licences.
    pub licenses: Vec<String>,
    /// `spec.metadata`: strings by string.
    pub metadata: BTreeMap<String, String>,
    /// Runtime and development dependencies.
    pub dependencies: Vec<GemDependency>,
    /// The Ruby it needs.
    pub required_ruby_version: Requirement,
    /// The RubyGems it needs.
    pub required_rubygems_version: Requirement,
    /// The day it was built (`2024-01-31`).
    pub date: Option<String>,
    /// The RubyGems that built it.
    pub rubygems_version: Option<String>,
    /// The specification format's version (4 today).
    pub specification_version: Option<i64>,
}

impl GemSpec {
    /// `NAME-VERSION`, with `-PLATFORM` unless the platform is `ruby`: the gem's file stem
    /// (`gems/STEM.gem`, `quick/Marshal.4.8/STEM.gemspec.rz`).
    pub fn full_name(&self) -> String {
        format!("{}-{}", self.name, self.version_and_platform())
    }

    /// `VERSION`, or `VERSION-PLATFORM`: how the compact index names this build.
    pub fn version_and_platform(&self) -> String {
        if self.platform == RUBY_PLATFORM {
            self.version.clone()
        } else {
            format!("{}-{}", self.version, self.platform)
        }
    }

    /// Why this specification cannot be published, if it cannot: RubyGems' own rules for
    /// names, versions and platforms.
    pub fn problem(&self) -> Option<String> {
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 255
            && self.name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            && self.name.bytes().any(|b| b.is_ascii_alphabetic());
        if !name_ok {
            return Some(format!("'{}' is not a valid gem name", self.name));
        }
        if !is_version(&self.version) {
            return Some(format!("'{}' is not a valid gem version", self.version));
        }
        let platform_ok = !self.platform.is_empty()
            && self.platform.len() <= 64
            && self.platform.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !platform_ok {
            return Some(format!("'{}' is not a valid gem platform", self.platform));
        }
        None
    }

    /// The runtime dependencies: what installing the gem needs.
    pub fn runtime_dependencies(&self) -> impl Iterator<Item = &GemDependency> {
        self.dependencies.iter().filter(|d| d.kind == "runtime")
    }

    /// Each runtime dependency's name and requirement, as the Dependencies API gives them
    /// (`["rack", "~> 2.0, >= 2.0.1"]`).
    pub fn runtime_requirements(&self) -> impl Iterator<Item = (&str, String)> {
        self.runtime_dependencies().map(|d| (d.name.as_str(), d.requirement_text()))
    }
}

impl GemDependency {
    /// The requirement as RubyGems prints it: `~> 2.0, >= 2.0.1`.
    pub fn requirement_text(&self) -> String {
        requirement_text(&self.requirement, ", ")
    }
}

/// A gem's dependencies as the package API reports them (typed `runtime` or `development`).
pub fn dependencies_of(spec: &GemSpec) -> Vec<crate::packages::Dependency> {
    spec.dependencies
        .iter()
        .map(|d| crate::packages::Dependency::new(None, d.name.clone(), &d.kind, d.requirement_text()))
        .collect()
}

/// The metadata of a version whose one build is `spec`.
pub fn builds_metadata(spec: &GemSpec) -> serde_json::Value {
    serde_json::json!({ "builds": { &spec.platform: spec } })
}

/// The platform of a gem built for any platform.
pub const RUBY_PLATFORM: &str = "ruby";

/// Whether `version` is a RubyGems version: segments of digits and letters separated by
/// dots, starting with a digit (`1.0.0`, `2.0.0.pre.1`, `1.0.0-rc1` as RubyGems allows).
pub fn is_version(version: &str) -> bool {
    version.len() <= 128
        && version.starts_with(|c: char| c.is_ascii_digit())
        && version.bytes().all(|b| b.is_ascii_alphanumeric() || b".-".contains(&b))
        && !version.contains("..")
        && !version.ends_with(['.', '-'])
}

/// `requirement` as RubyGems prints it: `>= 1.0, < 2` (`>= 0` when empty).
pub fn requirement_text(requirement: &Requirement, separator: &str) -> String {
    if requirement.is_empty() {
        return ">= 0".to_owned();
    }
    requirement
        .iter()
        .map(|(op, version)| format!("{op} {version}"))
        .collect::<Vec<_>>()
        .join(separator)
}

/// The most a gem's `metadata.gz` may be, compressed and inflated: a specification is a few
/// kilobytes, and a large file list a few hundred.
const METADATA_LIMIT: usize = 16 * 1024 * 1024;

/// The specification of the `.gem` `gem`, read from its `metadata.gz` at offsets.
pub fn read_gem(gem: &(impl ReadAt + ?Sized)) -> Result<GemSpec, String> {
    let metadata = crate::archive::tar_entry(gem, |path| path == "metadata.gz", METADATA_LIMIT)
        .ok_or("the file is not a gem: it has no metadata.gz")?;
    let yaml = crate::archive::gunzip(&metadata, METADATA_LIMIT).ok_or("the gem's metadata.gz is not gzip")?;
    let text = String::from_utf8(yaml).map_err(|_| "the gem's specification is not UTF-8")?;
    spec_yaml::parse(&text)
}

/// A specification as `gem build` writes it into `metadata.gz`, for a gem needing `rack`
/// (`~> 2.0, >= 2.0.1`) and, for development, `rspec`: the tests' gems.
#[cfg(any(test, feature = "internals"))]
pub fn sample_spec_yaml(name: &str, version: &str, platform: &str) -> String {
    format!(
        r#"--- !ruby/object:Gem::Specification
name: {name}
version: !ruby/object:Gem::Version
  version: {version}
platform: {platform}
authors:
- Acme
autorequire:
bindir: bin
cert_chain: []
date: 2024-01-31 00:00:00.000000000 Z
dependencies:
- !ruby/object:Gem::Dependency
  name: rack
  requirement: !ruby/object:Gem::Requirement
    requirements:
    - - "~>"
      - !ruby/object:Gem::Version
        version: '2.0'
    - - ">="
      - !ruby/object:Gem::Version
        version: 2.0.1
  type: :runtime
  prerelease: false
  version_requirements: !ruby/object:Gem::Requirement
    requirements:
    - - "~>"
      - !ruby/object:Gem::Version
        version: '2.0'
- !ruby/object:Gem::Dependency
  name: rspec
  requirement: !ruby/object:Gem::Requirement
    requirements:
    - - ">="
      - !ruby/object:Gem::Version
        version: '0'
  type: :development
  prerelease: false
description: Says hello.
email: dev@example.com
executables: []
extensions: []
extra_rdoc_files: []
files:
- lib/hello.rb
homepage: https://example.com/hello
licenses:
- MIT
metadata:
  source_code_uri: https://example.com/hello/src
post_install_message:
rdoc_options: []
require_paths:
- lib
required_ruby_version: !ruby/object:Gem::Requirement
  requirements:
  - - ">="
    - !ruby/object:Gem::Version
      version: 2.7.0
required_rubygems_version: !ruby/object:Gem::Requirement
  requirements:
  - - ">="
    - !ruby/object:Gem::Version
      version: '0'
requirements: []
rubygems_version: 3.3.15
signing_key:
specification_version: 4
summary: Hello
test_files: []
"#
    )
}

/// A `.gem` of `spec` (its metadata as RubyGems writes it) and one file: the tests' gems.
#[cfg(any(test, feature = "internals"))]
pub fn build_gem(yaml: &str) -> Vec<u8> {
    let data = crate::archive::tar_gz(&[("lib/hello.rb", b"module Hello; end\n")]);
    let metadata = crate::archive::gzip(yaml.as_bytes());
    crate::archive::tar(&[("metadata.gz", &metadata), ("data.tar.gz", &data)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_versions_and_platforms_follow_rubygems() {
        let spec = |name: &str, version: &str, platform: &str| GemSpec {
            name: name.into(),
            version: version.into(),
            platform: platform.into(),
            ..GemSpec::default()
        };
        assert_eq!(spec("hello", "1.0.0", "ruby").problem(), None);
        assert_eq!(spec("hello", "1.0.0", "x86_64-linux").full_name(), "hello-1.0.0-x86_64-linux");
        assert_eq!(spec("hello", "2.0.0.pre.1", "ruby").full_name(), "hello-2.0.0.pre.1");
        assert!(spec("../x", "1", "ruby").problem().is_some());
        assert!(spec("123", "1", "ruby").problem().is_some());
        assert!(spec("hello", "v1", "ruby").problem().is_some());
        assert!(spec("hello", "1..0", "ruby").problem().is_some());
        assert!(spec("hello", "1", "x/y").problem().is_some());
    }

    #[test]
    fn requirements_print_as_rubygems_prints_them() {
        let requirement = vec![(">=".to_owned(), "1.0".to_owned()), ("<".to_owned(), "2".to_owned())];
        assert_eq!(requirement_text(&requirement, ", "), ">= 1.0, < 2");
        assert_eq!(requirement_text(&requirement, "&"), ">= 1.0&< 2");
        assert_eq!(requirement_text(&Vec::new(), ", "), ">= 0");
    }
}
