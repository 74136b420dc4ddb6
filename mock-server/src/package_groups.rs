//! Package groups: patterns over package paths (`/FORMAT/NAMESPACE/NAME`) that give the
//! packages they match origin controls, per domain.
//!
//! A pattern ends in a suffix that says how its last component matches, as the user guide's
//! "Package group definition syntax and matching behavior" defines: `$` the whole
//! coordinate, `~` a prefix, `*` every value of the next component. Every domain has the
//! root group `/*`, which cannot be deleted. A package belongs to the most specific group
//! whose pattern matches it; a group's parent is the most specific other group whose pattern
//! covers its own, so deleting a group hands its children to its parent without anything
//! being rewritten.
//!
//! A group's restriction of each kind (`PUBLISH`, `INTERNAL_UPSTREAM`, `EXTERNAL_UPSTREAM`) is
//! `ALLOW`, `BLOCK`, `ALLOW_SPECIFIC_REPOSITORIES` (its list of repositories) or `INHERIT`
//! (its parent's; the root's default is `ALLOW`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::SystemTime;

use crate::packages::{stored_name, PackageId};
use crate::tag::Tag;

/// The formats a pattern may name (the model's `PackageFormat`).
pub const FORMATS: &[&str] = &["npm", "pypi", "maven", "nuget", "generic", "ruby", "swift", "cargo"];

/// Formats whose packages have no namespace: a pattern naming one of their packages leaves
/// the namespace empty (`/pypi//requests$`).
const WITHOUT_NAMESPACE: &[&str] = &["pypi", "nuget", "ruby", "cargo"];

/// Formats whose packages always have one: a pattern naming a package names its namespace.
const NAMESPACE_REQUIRED: &[&str] = &["maven", "generic", "swift"];

/// What a pattern matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// `/*`: every package.
    Root,
    /// `/FORMAT/*`.
    Format(String),
    /// `/FORMAT/PREFIX~`: namespaces starting with the prefix.
    NamespacePrefix(String, String),
    /// `/FORMAT/NAMESPACE/*`.
    Namespace(String, String),
    /// `/FORMAT/NAMESPACE/PREFIX~`: names starting with the prefix.
    NamePrefix(String, String, String),
    /// `/FORMAT/NAMESPACE/NAME$`.
    Exact(String, String, String),
}

impl Pattern {
    /// The pattern `text` spells, or why it is not one.
    pub fn parse(text: &str) -> Result<Self, String> {
        let invalid = |why: &str| Err(format!("Invalid package group pattern '{text}': {why}"));
        let Some(path) = text.strip_prefix('/') else {
            return invalid("it must start with '/'");
        };
        if path == "*" {
            return Ok(Self::Root);
        }
        let parts: Vec<&str> = path.split('/').collect();
        let format = parts[0];
        if !FORMATS.contains(&format) {
            return invalid(&format!("'{format}' is not a package format"));
        }
        let has_namespace = !WITHOUT_NAMESPACE.contains(&format);
        let clean = |s: &str| !s.is_empty() && !s.contains(['*', '~', '$']);
        let pattern = match parts.as_slice() {
            [_, "*"] => Self::Format(format.to_owned()),
            [_, prefix] => match prefix.strip_suffix('~') {
                Some(p) if clean(p) && has_namespace => Self::NamespacePrefix(format.to_owned(), p.to_owned()),
                Some(_) if !has_namespace => return invalid(&format!("{format} packages have no namespace")),
                _ => return invalid("the last component must end in '$', '~' or be '*'"),
            },
            [_, namespace, last] => {
                if NAMESPACE_REQUIRED.contains(&format) && namespace.is_empty() && *last != "*" {
                    return invalid(&format!("a {format} package's name needs its namespace"));
                }
                if !has_namespace && !namespace.is_empty() {
                    return invalid(&format!("{format} packages have no namespace"));
                }
                if namespace.contains(['*', '~', '$']) {
                    return invalid("only the last component may end in a suffix");
                }
                let (f, n) = (format.to_owned(), normalize(format, namespace));
                if *last == "*" {
                    Self::Namespace(f, n)
                } else if let Some(p) = last.strip_suffix('~').filter(|p| clean(p)) {
                    Self::NamePrefix(f, n, normalize(format, p))
                } else if let Some(name) = last.strip_suffix('$').filter(|p| clean(p)) {
                    Self::Exact(f, n, normalize(format, name))
                } else {
                    return invalid("the last component must end in '$', '~' or be '*'");
                }
            }
            _ => return invalid("a pattern has at most a format, a namespace and a name"),
        };
        Ok(pattern)
    }

    /// The pattern's text, as the API reports it.
    pub fn text(&self) -> String {
        match self {
            Self::Root => "/*".to_owned(),
            Self::Format(f) => format!("/{f}/*"),
            Self::NamespacePrefix(f, p) => format!("/{f}/{p}~"),
            Self::Namespace(f, n) => format!("/{f}/{n}/*"),
            Self::NamePrefix(f, n, p) => format!("/{f}/{n}/{p}~"),
            Self::Exact(f, n, name) => format!("/{f}/{n}/{name}$"),
        }
    }

    /// How specific it is: a more specific matching pattern wins; among prefixes, the longer.
    fn specificity(&self) -> (u8, usize) {
        match self {
            Self::Root => (0, 0),
            Self::Format(_) => (1, 0),
            Self::NamespacePrefix(_, p) => (2, p.len()),
            Self::Namespace(..) => (3, 0),
            Self::NamePrefix(_, _, p) => (4, p.len()),
            Self::Exact(..) => (5, 0),
        }
    }

    /// Whether the package matches it.
    pub fn matches(&self, id: &PackageId) -> bool {
        let namespace = id.namespace.as_deref().unwrap_or("");
        match self {
            Self::Root => true,
            Self::Format(f) => *f == id.format,
            Self::NamespacePrefix(f, p) => *f == id.format && namespace.starts_with(p.as_str()),
            Self::Namespace(f, n) => *f == id.format && namespace == n,
            Self::NamePrefix(f, n, p) => *f == id.format && namespace == n && id.name.starts_with(p.as_str()),
            Self::Exact(f, n, name) => *f == id.format && namespace == n && id.name == *name,
        }
    }

    /// Whether every package `other` matches is matched by this one too (and it is not
    /// `other`): this pattern could be `other`'s parent.
    pub fn covers(&self, other: &Self) -> bool {
        if self == other || self.specificity() >= other.specificity() {
            return false;
        }
        let (format, namespace, name) = match other {
            Self::Root => return false,
            Self::Format(f) => (f, None, None),
            Self::NamespacePrefix(f, p) | Self::Namespace(f, p) => (f, Some(p.as_str()), None),
            Self::NamePrefix(f, n, p) | Self::Exact(f, n, p) => (f, Some(n.as_str()), Some(p.as_str())),
        };
        match self {
            Self::Root => true,
            Self::Format(f) => f == format,
            Self::NamespacePrefix(f, p) => f == format && namespace.is_some_and(|n| n.starts_with(p.as_str())),
            Self::Namespace(f, n) => f == format && namespace == Some(n.as_str()) && name.is_some(),
            Self::NamePrefix(f, n, p) => {
                f == format && namespace == Some(n.as_str()) && name.is_some_and(|m| m.starts_with(p.as_str()))
            }
            Self::Exact(..) => false,
        }
    }
}

/// Names are matched as they are stored: Python's, crates' and NuGet's normalised.
fn normalize(format: &str, text: &str) -> String {
    stored_name(format, text)
}

/// The kinds of origin a group restricts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum RestrictionType {
    /// Publishing to a repository directly.
    #[serde(rename = "PUBLISH")]
    Publish,
    /// Versions from a repository's upstream repositories.
    #[serde(rename = "INTERNAL_UPSTREAM")]
    InternalUpstream,
    /// Versions from external connections.
    #[serde(rename = "EXTERNAL_UPSTREAM")]
    ExternalUpstream,
}

impl RestrictionType {
    /// All three, in the order the API lists them.
    pub const ALL: [Self; 3] = [Self::ExternalUpstream, Self::InternalUpstream, Self::Publish];

    /// The API's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Publish => "PUBLISH",
            Self::InternalUpstream => "INTERNAL_UPSTREAM",
            Self::ExternalUpstream => "EXTERNAL_UPSTREAM",
        }
    }

    /// The type the API names `text`.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// A restriction's mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Mode {
    /// Allowed in every repository.
    #[serde(rename = "ALLOW")]
    Allow,
    /// Allowed in the group's listed repositories only.
    #[serde(rename = "ALLOW_SPECIFIC_REPOSITORIES")]
    AllowSpecificRepositories,
    /// Refused everywhere.
    #[serde(rename = "BLOCK")]
    Block,
    /// The parent group's.
    #[serde(rename = "INHERIT")]
    Inherit,
}

impl Mode {
    /// The API's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "ALLOW",
            Self::AllowSpecificRepositories => "ALLOW_SPECIFIC_REPOSITORIES",
            Self::Block => "BLOCK",
            Self::Inherit => "INHERIT",
        }
    }

    /// The mode the API names `text`.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Allow, Self::AllowSpecificRepositories, Self::Block, Self::Inherit]
            .into_iter()
            .find(|m| m.as_str() == text)
    }
}

/// A package group of a domain.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PackageGroup {
    /// Its pattern's text (normalised).
    pub pattern: String,
    /// When it was created.
    pub created_at: SystemTime,
    /// Who to ask about it.
    pub contact_info: Option<String>,
    /// What it is for.
    pub description: Option<String>,
    /// Its own mode of each restriction.
    pub modes: BTreeMap<RestrictionType, Mode>,
    /// The repositories `ALLOW_SPECIFIC_REPOSITORIES` allows, per restriction.
    pub allowed: BTreeMap<RestrictionType, BTreeSet<String>>,
    /// Tags, in the order given.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

impl PackageGroup {
    /// A new group: every restriction inherited, or, for the root, allowed.
    pub fn new(pattern: &Pattern, created_at: SystemTime) -> Self {
        let mode = if *pattern == Pattern::Root { Mode::Allow } else { Mode::Inherit };
        Self {
            pattern: pattern.text(),
            created_at,
            contact_info: None,
            description: None,
            modes: RestrictionType::ALL.into_iter().map(|t| (t, mode)).collect(),
            allowed: BTreeMap::new(),
            tags: Vec::new(),
        }
    }

    /// Its parsed pattern (stored patterns were parsed when stored).
    pub fn parsed(&self) -> Pattern {
        Pattern::parse(&self.pattern).unwrap_or(Pattern::Root)
    }

    /// Its own mode of `kind`.
    pub fn mode(&self, kind: RestrictionType) -> Mode {
        self.modes.get(&kind).copied().unwrap_or(Mode::Inherit)
    }

    /// The repositories it lists for `kind`.
    pub fn allowed(&self, kind: RestrictionType) -> impl Iterator<Item = &String> {
        self.allowed.get(&kind).into_iter().flatten()
    }
}

/// Where a domain is: the key of its package groups.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct DomainKey {
    /// Its owner.
    pub owner: String,
    /// Its name.
    pub domain: String,
    /// Its region.
    pub region: String,
}

impl DomainKey {
    /// The key of `domain` of `owner` in `region`.
    pub fn new(owner: &str, domain: &str, region: &str) -> Self {
        Self {
            owner: owner.to_owned(),
            domain: domain.to_owned(),
            region: region.to_owned(),
        }
    }
}

/// The groups of one domain, by pattern text (the root is always there).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DomainGroups {
    /// By pattern text.
    pub groups: BTreeMap<String, PackageGroup>,
}

/// How a restriction resolves for a group: the mode in force and the group that set it.
#[derive(Debug, Clone, Copy)]
pub struct Effective<'a> {
    /// `ALLOW`, `BLOCK` or `ALLOW_SPECIFIC_REPOSITORIES`.
    pub mode: Mode,
    /// The group whose own mode it is.
    pub from: &'a PackageGroup,
}

impl DomainGroups {
    /// A domain's groups: the root alone, created with the domain.
    pub fn new(created_at: SystemTime) -> Self {
        let root = PackageGroup::new(&Pattern::Root, created_at);
        Self {
            groups: BTreeMap::from([(root.pattern.clone(), root)]),
        }
    }

    /// The root group.
    pub fn root(&self) -> &PackageGroup {
        &self.groups["/*"]
    }

    /// The most specific group whose pattern matches the package (at least the root).
    pub fn associated(&self, id: &PackageId) -> &PackageGroup {
        self.groups
            .values()
            .map(|g| (g.parsed(), g))
            .filter(|(p, _)| p.matches(id))
            .max_by_key(|(p, _)| p.specificity())
            .map_or_else(|| self.root(), |(_, g)| g)
    }

    /// The group `pattern` would have as its parent (the most specific other group covering
    /// it), if it is not the root.
    pub fn parent_of(&self, pattern: &Pattern) -> Option<&PackageGroup> {
        self.groups
            .values()
            .map(|g| (g.parsed(), g))
            .filter(|(p, _)| p.covers(pattern))
            .max_by_key(|(p, _)| p.specificity())
            .map(|(_, g)| g)
    }

    /// The groups whose parent is `pattern`.
    pub fn children_of(&self, pattern: &Pattern) -> Vec<&PackageGroup> {
        self.groups
            .values()
            .filter(|g| {
                let own = g.parsed();
                self.parent_of(&own).is_some_and(|p| p.pattern == pattern.text())
            })
            .collect()
    }

    /// The mode of `kind` in force for `group`, following `INHERIT` up to the root.
    pub fn effective<'a>(&'a self, group: &'a PackageGroup, kind: RestrictionType) -> Effective<'a> {
        let mut current = group;
        // Each step goes to a strictly less specific group, so this ends at the root.
        loop {
            let mode = current.mode(kind);
            if mode != Mode::Inherit {
                return Effective { mode, from: current };
            }
            match self.parent_of(&current.parsed()) {
                Some(parent) => current = parent,
                None => return Effective { mode: Mode::Allow, from: current },
            }
        }
    }

    /// The package's group, if its restriction of `kind` refuses it in `repository`.
    pub fn refusing(&self, id: &PackageId, kind: RestrictionType, repository: &str) -> Option<&PackageGroup> {
        let group = self.associated(id);
        let effective = self.effective(group, kind);
        let allowed = match effective.mode {
            Mode::Allow | Mode::Inherit => true,
            Mode::Block => false,
            Mode::AllowSpecificRepositories => effective.from.allowed(kind).any(|r| r == repository),
        };
        (!allowed).then_some(group)
    }

    /// Whether the groups let `kind` happen for the package in `repository`.
    pub fn allows(&self, id: &PackageId, kind: RestrictionType, repository: &str) -> bool {
        self.refusing(id, kind, repository).is_none()
    }
}

/// Every domain's package groups. A domain that never had one changed reads as the root
/// alone, so most domains store nothing.
#[derive(Debug, Default, Clone)]
pub struct PackageGroupStore {
    domains: HashMap<DomainKey, DomainGroups>,
    /// Domains whose groups were handed out to be changed, or removed, since the last commit.
    touched: BTreeSet<DomainKey>,
}

impl PackageGroupStore {
    /// Whether no domain has groups of its own (most worlds): reads skip building keys.
    pub fn is_empty(&self) -> bool {
        self.domains.is_empty()
    }

    /// A domain's groups, if any were created or changed.
    pub fn of(&self, domain: &DomainKey) -> Option<&DomainGroups> {
        self.domains.get(domain)
    }

    /// A domain's groups, to change them (the root created with the domain's time).
    pub fn of_mut(&mut self, domain: &DomainKey, created_at: SystemTime) -> &mut DomainGroups {
        self.touched.insert(domain.clone());
        self.domains
            .entry(domain.clone())
            .or_insert_with(|| DomainGroups::new(created_at))
    }

    /// The package's group in the domain, if its restriction of `kind` refuses it in
    /// `repository` (a domain without groups of its own refuses nothing).
    pub fn refusing(&self, domain: &DomainKey, id: &PackageId, kind: RestrictionType, repository: &str) -> Option<&PackageGroup> {
        self.domains.get(domain)?.refusing(id, kind, repository)
    }

    /// Forgets a domain's groups (the domain was deleted).
    pub fn remove_domain(&mut self, domain: &DomainKey) {
        self.touched.insert(domain.clone());
        self.domains.remove(domain);
    }

    /// Every domain with groups.
    pub fn all(&self) -> impl Iterator<Item = (&DomainKey, &DomainGroups)> {
        self.domains.iter()
    }

    /// Sets a domain's groups, or removes them (`None`).
    pub fn put(&mut self, domain: DomainKey, groups: Option<DomainGroups>) {
        self.touched.insert(domain.clone());
        match groups {
            Some(groups) => self.domains.insert(domain, groups),
            None => self.domains.remove(&domain),
        };
    }

    /// The domains whose groups changed since the last call, with their groups now
    /// (`None`: gone); forgotten here.
    pub fn take_changes(&mut self) -> Vec<(DomainKey, Option<DomainGroups>)> {
        std::mem::take(&mut self.touched)
            .into_iter()
            .map(|key| {
                let now = self.domains.get(&key).cloned();
                (key, now)
            })
            .collect()
    }

    /// Forgets what changed.
    pub fn forget_changes(&mut self) {
        self.touched.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn npm(ns: Option<&str>, name: &str) -> PackageId {
        PackageId {
            format: "npm".into(),
            namespace: ns.map(Into::into),
            name: name.into(),
        }
    }

    #[test]
    fn the_user_guides_examples_parse_and_print_back() {
        for text in [
            "/*",
            "/npm/*",
            "/maven/com.anycompany~",
            "/npm/space/*",
            "/npm/space/anycompany-ui~",
            "/maven/org.apache.logging.log4j/log4j-core$",
            "/pypi//requests$",
            "/npm//react$",
        ] {
            assert_eq!(Pattern::parse(text).map(|p| p.text()).as_deref(), Ok(text));
        }
    }

    #[test]
    fn malformed_patterns_are_refused_with_a_reason() {
        for text in [
            "npm/*",
            "/",
            "/npm",
            "/npm/space",
            "/left-pad/*",
            "/pypi/ns/requests$",
            "/pypi/ns~",
            "/maven//log4j$",
            "/npm/sp*ce/*",
            "/npm/a/b/c$",
            "/npm/space/~",
        ] {
            assert!(Pattern::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn python_names_in_patterns_are_normalised() {
        assert_eq!(Pattern::parse("/pypi//Hello_World$").unwrap().text(), "/pypi//hello-world$");
    }

    #[test]
    fn the_most_specific_group_wins() {
        let mut groups = DomainGroups::new(SystemTime::UNIX_EPOCH);
        for text in ["/npm/*", "/npm/space/*", "/npm/space/ui~", "/npm/space/ui-core$"] {
            let p = Pattern::parse(text).unwrap();
            groups.groups.insert(p.text(), PackageGroup::new(&p, SystemTime::UNIX_EPOCH));
        }
        let of = |id: PackageId| groups.associated(&id).pattern.clone();
        assert_eq!(of(npm(None, "react")), "/npm/*");
        assert_eq!(of(npm(Some("space"), "amplify")), "/npm/space/*");
        assert_eq!(of(npm(Some("space"), "ui-kit")), "/npm/space/ui~");
        assert_eq!(of(npm(Some("space"), "ui-core")), "/npm/space/ui-core$");
        assert_eq!(of(PackageId::pypi("requests")), "/*");
    }

    #[test]
    fn restrictions_inherit_up_to_the_root_and_deleting_a_group_reparents_its_children() {
        let mut groups = DomainGroups::new(SystemTime::UNIX_EPOCH);
        let add = |groups: &mut DomainGroups, text: &str| {
            let p = Pattern::parse(text).unwrap();
            groups.groups.insert(p.text(), PackageGroup::new(&p, SystemTime::UNIX_EPOCH));
        };
        add(&mut groups, "/npm/*");
        add(&mut groups, "/npm/space/*");
        let id = npm(Some("space"), "x");
        assert!(groups.allows(&id, RestrictionType::Publish, "repo"));
        groups.groups.get_mut("/npm/*").unwrap().modes.insert(RestrictionType::Publish, Mode::Block);
        assert!(!groups.allows(&id, RestrictionType::Publish, "repo"));
        assert!(groups.allows(&id, RestrictionType::InternalUpstream, "repo"));
        let space = Pattern::parse("/npm/space/*").unwrap();
        assert_eq!(groups.parent_of(&space).unwrap().pattern, "/npm/*");
        let npm_all = groups.groups.get_mut("/npm/*").unwrap();
        npm_all.modes.insert(RestrictionType::Publish, Mode::AllowSpecificRepositories);
        npm_all.allowed.entry(RestrictionType::Publish).or_default().insert("repo".into());
        assert!(groups.allows(&id, RestrictionType::Publish, "repo"));
        assert!(!groups.allows(&id, RestrictionType::Publish, "other"));
        groups.groups.remove("/npm/*");
        assert_eq!(groups.parent_of(&space).unwrap().pattern, "/*");
        assert!(groups.allows(&id, RestrictionType::Publish, "other"));
    }

    fn component() -> impl Strategy<Value = String> {
        "[a-c]{1,3}"
    }

    fn pattern() -> impl Strategy<Value = Pattern> {
        let format = prop_oneof![Just("npm".to_owned()), Just("maven".to_owned())];
        prop_oneof![
            Just(Pattern::Root),
            format.clone().prop_map(Pattern::Format),
            (format.clone(), component()).prop_map(|(f, p)| Pattern::NamespacePrefix(f, p)),
            (format.clone(), component()).prop_map(|(f, n)| Pattern::Namespace(f, n)),
            (format.clone(), component(), component()).prop_map(|(f, n, p)| Pattern::NamePrefix(f, n, p)),
            (format, component(), component()).prop_map(|(f, n, m)| Pattern::Exact(f, n, m)),
        ]
    }

    proptest! {
        /// `covers` agrees with `matches`: a pattern that covers another matches every
        /// package the other matches.
        #[test]
        fn a_covering_pattern_matches_what_the_covered_one_matches(
            a in pattern(), b in pattern(),
            format in prop_oneof![Just("npm"), Just("maven")],
            ns in component(), name in component(),
        ) {
            let id = PackageId { format: format.to_owned(), namespace: Some(ns), name };
            if a.covers(&b) && b.matches(&id) {
                prop_assert!(a.matches(&id), "{} covers {} but does not match {:?}", a.text(), b.text(), id);
            }
            prop_assert_eq!(Pattern::parse(&a.text()), Ok(a.clone()));
        }
    }
}
