//! The compact index (rubygems.org's `versions`, `info/NAME` and `names`), as Bundler and
//! RubyGems 3.x read it: text files of one line per gem or per build.
//!
//! `info/NAME` has a line per build, `VERSION[-PLATFORM] DEP:REQ&REQ,...|checksum:SHA256,
//! ruby:REQ,rubygems:REQ` (runtime dependencies only); `versions` a line per gem, `NAME
//! V1,V2 MD5`, the MD5 being that of the gem's info file, which Bundler compares with its
//! cached copy to decide whether to fetch it again.

use super::{requirement_text, GemSpec, Requirement};

/// The `info/NAME` file of a gem's builds, each with the SHA-256 of its `.gem`.
pub fn info_file(builds: &[(GemSpec, String)]) -> String {
    let mut file = String::from("---\n");
    for (spec, sha256) in builds {
        file.push_str(&info_line(spec, sha256));
        file.push('\n');
    }
    file
}

/// One build's line of its gem's info file.
pub fn info_line(spec: &GemSpec, sha256: &str) -> String {
    let dependencies: Vec<String> = spec
        .runtime_dependencies()
        .map(|d| format!("{}:{}", d.name, requirement_text(&d.requirement, "&")))
        .collect();
    let mut requirements = vec![format!("checksum:{sha256}")];
    let mut demand = |key: &str, requirement: &Requirement| {
        let default = requirement.is_empty() || requirement.iter().all(|(op, v)| op == ">=" && v == "0");
        if !default {
            requirements.push(format!("{key}:{}", requirement_text(requirement, "&")));
        }
    };
    demand("ruby", &spec.required_ruby_version);
    demand("rubygems", &spec.required_rubygems_version);
    format!("{} {}|{}", spec.version_and_platform(), dependencies.join(","), requirements.join(","))
}

/// The `versions` file: its header (`created_at`, RFC 3339), then for each gem its builds
/// (`VERSION[-PLATFORM]`) and its info file's MD5.
pub fn versions_file(created_at: &str, gems: &[(String, Vec<String>, String)]) -> String {
    let mut file = format!("created_at: {created_at}\n---\n");
    for (name, builds, info_md5) in gems {
        file.push_str(&format!("{name} {} {info_md5}\n", builds.join(",")));
    }
    file
}

/// The `names` file: every gem's name.
pub fn names_file<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let mut file = String::from("---\n");
    for name in names {
        file.push_str(name);
        file.push('\n');
    }
    file
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_lines_are_rubygems_orgs() {
        let spec = super::super::spec_yaml::parse(&super::super::sample_spec_yaml("hello", "1.10.0", "ruby")).unwrap();
        assert_eq!(
            info_line(&spec, "ab12"),
            "1.10.0 rack:~> 2.0&>= 2.0.1|checksum:ab12,ruby:>= 2.7.0"
        );
        let bare = GemSpec { name: "x".into(), version: "1.0".into(), platform: "java".into(), ..GemSpec::default() };
        assert_eq!(info_file(&[(bare, "00".to_owned())]), "---\n1.0-java |checksum:00\n");
        let gems = [("x".to_owned(), vec!["1.0".to_owned(), "1.1".to_owned()], "md5".to_owned())];
        assert_eq!(versions_file("2024-01-01T00:00:00Z", &gems), "created_at: 2024-01-01T00:00:00Z\n---\nx 1.0,1.1 md5\n");
    }
}
