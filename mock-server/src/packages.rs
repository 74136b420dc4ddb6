//! The packages of each repository: what the registries (pip and twine, npm, cargo, Maven,
//! NuGet) and PublishPackageVersion store and read, and what the package operations of the
//! API report and change.
//!
//! A repository's packages are keyed by format, namespace and name, as CodeArtifact keys
//! them: a Python name is stored normalised (PEP 503: `Hello_World` is `hello-world`, its
//! spelling kept as the version's display name), an npm scope is the namespace (without `@`).
//! Each region's repository has its own packages, even where a fixture repository exists in
//! every region.
//!
//! Every change is recorded where it is made: [`PackageStore`] notes each package handed out
//! to be changed, and [`Versions`] each version changed through it, so the commit point
//! (`crate::state`) writes exactly what a request changed, whatever the handler, at a cost
//! independent of how much the repository holds.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Deref;
use std::time::SystemTime;

use bytes::Bytes;

use crate::files::blobs::Blobs;
use crate::files::content::{Content, Source};
use crate::files::spool::{Digests, Piece};

/// A package version's status, as the API spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum VersionStatus {
    /// Served and listed.
    Published,
    /// Being published (generic packages only).
    Unfinished,
    /// Served, but not listed in the index or packument.
    Unlisted,
    /// Neither listed nor served.
    Archived,
    /// Its assets are gone; listed by the API only.
    Disposed,
}

impl VersionStatus {
    /// The API's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Published => "Published",
            Self::Unfinished => "Unfinished",
            Self::Unlisted => "Unlisted",
            Self::Archived => "Archived",
            Self::Disposed => "Disposed",
        }
    }

    /// The status the API names `text`.
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Published,
            Self::Unfinished,
            Self::Unlisted,
            Self::Archived,
            Self::Disposed,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// Whether a package manager may download the version's files.
    pub fn is_served(self) -> bool {
        matches!(self, Self::Published | Self::Unlisted)
    }

    /// Whether the index or packument lists the version.
    pub fn is_listed(self) -> bool {
        self == Self::Published
    }
}

/// A package in a repository.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct PackageId {
    /// `pypi`, `npm`, ...
    pub format: String,
    /// The npm scope (without `@`), a Maven group id, ...
    pub namespace: Option<String>,
    /// The name, normalised as the format requires.
    pub name: String,
}

impl PackageId {
    /// A Python package, its name normalised (PEP 503).
    pub fn pypi(name: &str) -> Self {
        Self {
            format: "pypi".to_owned(),
            namespace: None,
            name: normalize_python_name(name),
        }
    }

    /// An npm package, `@scope/name` or `name`.
    pub fn npm(full_name: &str) -> Self {
        let (namespace, name) = match full_name.strip_prefix('@').and_then(|s| s.split_once('/')) {
            Some((scope, name)) => (Some(scope.to_owned()), name.to_owned()),
            None => (None, full_name.to_owned()),
        };
        Self {
            format: "npm".to_owned(),
            namespace,
            name,
        }
    }

    /// A Cargo crate, its name lowercased (crate names are unique whatever the case).
    pub fn cargo(name: &str) -> Self {
        Self::from_api("cargo", None, name)
    }

    /// A Ruby gem, its name as written (RubyGems names are case-sensitive).
    pub fn ruby(name: &str) -> Self {
        Self::from_api("ruby", None, name)
    }

    /// A Swift package: its scope is the namespace; both compared without case (SE-0292).
    pub fn swift(scope: &str, name: &str) -> Self {
        Self::from_api("swift", Some(scope), name)
    }

    /// A NuGet package, its id lowercased (NuGet compares ids without case).
    pub fn nuget(id: &str) -> Self {
        Self::from_api("nuget", None, id)
    }

    /// The package an API call names by format, namespace and name, stored as the registries
    /// store it: Python names normalised (PEP 503), crate names and NuGet ids lowercased, so
    /// `Acme.Tiny` is the package `nuget push` made as `acme.tiny`, with the same ARN.
    pub fn from_api(format: &str, namespace: Option<&str>, name: &str) -> Self {
        Self {
            format: format.to_owned(),
            namespace: namespace.filter(|n| !n.is_empty()).map(|n| if format == "swift" { n.to_ascii_lowercase() } else { n.to_owned() }),
            name: stored_name(format, name),
        }
    }

    /// A package of a format whose names are kept as written (Maven, generic).
    pub fn named(format: &str, namespace: &str, name: &str) -> Self {
        Self {
            format: format.to_owned(),
            namespace: Some(namespace.to_owned()).filter(|n| !n.is_empty()),
            name: name.to_owned(),
        }
    }

    /// The name a package manager uses: `@scope/name` for npm, the name otherwise.
    pub fn full_name(&self) -> String {
        match (&self.namespace, self.format.as_str()) {
            (Some(scope), "npm") => format!("@{scope}/{}", self.name),
            _ => self.name.clone(),
        }
    }
}

/// A package name as the registries of `format` store it (and package groups match it).
pub fn stored_name(format: &str, name: &str) -> String {
    match format {
        "pypi" => normalize_python_name(name),
        "cargo" | "nuget" | "swift" => name.to_ascii_lowercase(),
        _ => name.to_owned(),
    }
}

/// Where Cargo looks for a crate's index file: `1/a`, `2/ab`, `3/a/abc`, `ab/cd/abcd...`
/// (`None` for a name no crate has: empty or not ASCII).
pub fn cargo_index_path(name: &str) -> Option<String> {
    if name.is_empty() || !name.is_ascii() {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    Some(match lower.len() {
        1 => format!("1/{lower}"),
        2 => format!("2/{lower}"),
        3 => format!("3/{}/{lower}", &lower[..1]),
        _ => format!("{}/{}/{lower}", &lower[..2], &lower[2..4]),
    })
}

/// PEP 503's normalised form of a Python project name.
pub fn normalize_python_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            separator = true;
        } else {
            if separator && !out.is_empty() {
                out.push('-');
            }
            separator = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// Most assets a package version holds (CodeArtifact's quota, not adjustable).
pub const MAX_ASSETS_PER_VERSION: usize = 150;

/// A file of a package version, with the hashes CodeArtifact reports.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Asset {
    /// File name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// Hex digests by the API's algorithm names (`MD5`, `SHA-1`, `SHA-256`, `SHA-512`).
    pub hashes: BTreeMap<String, String>,
    /// Where the content is (the store, once committed; [`Asset::open`] reads it).
    #[serde(skip)]
    pub content: Content,
}

impl Asset {
    /// An uploaded asset of `content` (in memory), its hashes computed.
    pub fn new(name: &str, content: Bytes) -> Self {
        Self::uploaded(name, Piece::Bytes(content))
    }

    /// An uploaded asset: in memory (its hashes computed now) or spooled (computed already).
    pub fn uploaded(name: &str, piece: Piece) -> Self {
        let (size, hashes) = match &piece {
            Piece::Bytes(bytes) => (bytes.len() as u64, Digests::of(bytes)),
            Piece::File(spooled) => (spooled.size, spooled.hashes.clone()),
        };
        Self {
            name: name.to_owned(),
            size,
            hashes,
            content: Content::upload(piece),
        }
    }

    /// A fixture's seeded asset, kept in memory with the fixture.
    pub fn seeded(name: &str, content: Bytes) -> Self {
        Self {
            name: name.to_owned(),
            size: content.len() as u64,
            hashes: Digests::of(&content),
            content: Content::fixed(content),
        }
    }

    /// The hex digest of `algorithm` (`SHA-256`, ...).
    pub fn hash(&self, algorithm: &str) -> &str {
        self.hashes.get(algorithm).map_or("", String::as_str)
    }

    /// Opens the content, wherever it is.
    pub fn open(&self, blobs: &Blobs) -> std::io::Result<Source> {
        self.content.open(blobs, self.hash("SHA-256"), self.size)
    }
}

/// A dependency a version declares.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Dependency {
    /// The depended-on package's namespace.
    pub namespace: Option<String>,
    /// The depended-on package's name.
    pub package: String,
    /// The type as the service model documents it: npm's `regular`, `dev`, `peer` or
    /// `optional`; Python's `Requires-Dist`; Maven's scope; Cargo's kind; empty for NuGet,
    /// which has none (the API leaves `dependencyType` out). Data folders written before
    /// this spelling hold the manifest's key (`dependencies`, `requires_dist`, a NuGet
    /// framework): [`Dependency::api_type`] reads both.
    pub dependency_type: String,
    /// The range, as declared.
    pub version_requirement: String,
    /// NuGet's target framework of the dependency group that declares it (`net8.0`; empty:
    /// any framework).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_framework: Option<String>,
}

/// npm's manifest keys and the `dependencyType` the service model gives each.
pub const NPM_DEPENDENCY_KINDS: [(&str, &str); 4] = [
    ("dependencies", "regular"),
    ("devDependencies", "dev"),
    ("peerDependencies", "peer"),
    ("optionalDependencies", "optional"),
];

impl Dependency {
    /// A dependency of `package` (a NuGet one gets its framework through
    /// [`Dependency::nuget`]).
    pub fn new(namespace: Option<String>, package: String, dependency_type: &str, version_requirement: String) -> Self {
        Self { namespace, package, dependency_type: dependency_type.to_owned(), version_requirement, target_framework: None }
    }

    /// A NuGet dependency, in `framework`'s dependency group.
    pub fn nuget(framework: String, package: String, range: String) -> Self {
        Self { namespace: None, package, dependency_type: String::new(), version_requirement: range, target_framework: Some(framework) }
    }

    /// The `dependencyType` ListPackageVersionDependencies answers for a `format` package:
    /// `None` for NuGet; a type stored by an earlier version of the mock in the manifest's
    /// spelling is answered in the model's.
    pub fn api_type(&self, format: &str) -> Option<&str> {
        match (format, self.dependency_type.as_str()) {
            ("nuget", _) | (_, "") => None,
            ("npm", key) => Some(NPM_DEPENDENCY_KINDS.iter().find(|(k, _)| *k == key).map_or(key, |(_, kind)| kind)),
            ("pypi", "requires_dist") => Some("Requires-Dist"),
            (_, kind) => Some(kind),
        }
    }

    /// A NuGet dependency's framework group (earlier data folders kept it in
    /// `dependency_type`).
    pub fn framework(&self) -> &str {
        self.target_framework.as_deref().unwrap_or(&self.dependency_type)
    }
}

/// A version of a package.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PackageVersion {
    /// The version string.
    pub version: String,
    /// The name as published (`Hello_World`), for `displayName`.
    pub display_name: String,
    /// Its status.
    pub status: VersionStatus,
    /// When it was published (the server's clock).
    pub published_at: SystemTime,
    /// A revision id, new each time its assets change.
    pub revision: String,
    /// One-line summary.
    pub summary: Option<String>,
    /// Home page.
    pub home_page: Option<String>,
    /// Licences.
    pub licenses: Vec<String>,
    /// The readme (Python's long description, npm's readme).
    pub readme: Option<String>,
    /// Declared dependencies.
    pub dependencies: Vec<Dependency>,
    /// Its files.
    pub assets: Vec<Asset>,
    /// Format-specific metadata: `requires_python` for Python; the version's manifest (the
    /// `versions[v]` object of the publish) for npm.
    pub metadata: serde_json::Value,
    /// The repository it entered the domain through, when it was retained here from an
    /// upstream, or the external connection it was fetched through (`public:...`, which no
    /// repository name can be); the API's `origin.domainEntryPoint`. `None`: published here.
    #[serde(default)]
    pub entry_point: Option<String>,
}

impl PackageVersion {
    /// A version being published, with no asset yet: what PublishPackageVersion with
    /// `unfinished` and a Maven deploy's first file start from.
    pub fn unfinished(version: &str, display_name: &str, now: SystemTime) -> Self {
        Self {
            version: version.to_owned(),
            display_name: display_name.to_owned(),
            status: VersionStatus::Unfinished,
            published_at: now,
            revision: new_revision(),
            summary: None,
            home_page: None,
            licenses: Vec::new(),
            readme: None,
            dependencies: Vec::new(),
            assets: Vec::new(),
            metadata: serde_json::json!({}),
            entry_point: None,
        }
    }
}

/// Whether publishing and upstream reads are allowed for a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OriginRestrictions {
    /// Direct publishing allowed.
    pub publish: bool,
    /// Versions from upstreams and external connections allowed.
    pub upstream: bool,
}

impl Default for OriginRestrictions {
    fn default() -> Self {
        Self {
            publish: true,
            upstream: true,
        }
    }
}

/// A package's versions by version string. Reading goes through the map ([`Deref`]);
/// changing goes through the methods here, which note the versions changed for the commit
/// point, so no handler can change a version without it being written.
#[derive(Debug, Clone, Default)]
pub struct Versions {
    map: BTreeMap<String, PackageVersion>,
    touched: BTreeSet<String>,
}

impl Deref for Versions {
    type Target = BTreeMap<String, PackageVersion>;

    fn deref(&self) -> &Self::Target {
        &self.map
    }
}

impl PartialEq for Versions {
    fn eq(&self, other: &Self) -> bool {
        self.map == other.map
    }
}

impl Versions {
    /// Versions as stored (loading a data folder): nothing is noted as changed.
    pub fn stored(map: BTreeMap<String, PackageVersion>) -> Self {
        Self {
            map,
            touched: BTreeSet::new(),
        }
    }

    /// Adds or replaces a version; what was there.
    pub fn insert(&mut self, number: String, version: PackageVersion) -> Option<PackageVersion> {
        self.touched.insert(number.clone());
        self.map.insert(number, version)
    }

    /// A version, to change it.
    pub fn get_mut(&mut self, number: &str) -> Option<&mut PackageVersion> {
        let version = self.map.get_mut(number)?;
        self.touched.insert(number.to_owned());
        Some(version)
    }

    /// A version, added by `make` if missing, to change it.
    pub fn get_or_insert_with(&mut self, number: &str, make: impl FnOnce() -> PackageVersion) -> &mut PackageVersion {
        self.touched.insert(number.to_owned());
        self.map.entry(number.to_owned()).or_insert_with(make)
    }

    /// Removes a version; what it was.
    pub fn remove(&mut self, number: &str) -> Option<PackageVersion> {
        let removed = self.map.remove(number)?;
        self.touched.insert(number.to_owned());
        Some(removed)
    }

    /// The versions changed since the last call, forgotten.
    pub fn take_touched(&mut self) -> BTreeSet<String> {
        std::mem::take(&mut self.touched)
    }
}

/// A package: its versions, npm's dist-tags, its origin restrictions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Package {
    /// Versions by version string.
    pub versions: Versions,
    /// npm dist-tags (`latest` → version).
    pub dist_tags: BTreeMap<String, String>,
    /// What may add versions.
    pub origin: OriginRestrictions,
}

impl Package {
    /// The version that stands for the package: npm's `latest` tag, or the version published
    /// last.
    pub fn latest(&self) -> Option<&PackageVersion> {
        self.dist_tags
            .get("latest")
            .and_then(|v| self.versions.get(v))
            .or_else(|| self.versions.values().max_by_key(|v| v.published_at))
    }
}

/// Where a repository is: the key of its packages.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct RepositoryKey {
    /// The domain's owner.
    pub owner: String,
    /// The domain.
    pub domain: String,
    /// The region.
    pub region: String,
    /// The repository.
    pub repository: String,
}

impl RepositoryKey {
    /// The key of `repository` in `domain` of `owner` in `region`.
    pub fn new(owner: &str, domain: &str, region: &str, repository: &str) -> Self {
        Self {
            owner: owner.to_owned(),
            domain: domain.to_owned(),
            region: region.to_owned(),
            repository: repository.to_owned(),
        }
    }
}

/// What changed of one package since the last commit: what it is now (`None`: gone) and
/// each changed version as it is now (`None`: gone).
#[derive(Debug, Clone)]
pub struct PackageChange {
    /// Its repository.
    pub repository: RepositoryKey,
    /// The package.
    pub id: PackageId,
    /// Its dist-tags and origin restrictions now; `None` when the package is gone.
    pub head: Option<(BTreeMap<String, String>, OriginRestrictions)>,
    /// The changed versions, as they are now.
    pub versions: Vec<(String, Option<PackageVersion>)>,
}

/// Every repository's packages.
#[derive(Debug, Default, Clone)]
pub struct PackageStore {
    repositories: HashMap<RepositoryKey, BTreeMap<PackageId, Package>>,
    /// Packages handed out to be changed, or removed, since the last commit, with the
    /// versions a removal took along (a removed package's versions note nothing themselves).
    touched: BTreeMap<(RepositoryKey, PackageId), BTreeSet<String>>,
}

impl PackageStore {
    /// The packages of a repository (none if nothing was published there).
    pub fn of(&self, repository: &RepositoryKey) -> Option<&BTreeMap<PackageId, Package>> {
        self.repositories.get(repository)
    }

    /// A package of a repository.
    pub fn package(&self, repository: &RepositoryKey, id: &PackageId) -> Option<&Package> {
        self.repositories.get(repository)?.get(id)
    }

    /// A package of a repository, to change it.
    pub fn package_mut(&mut self, repository: &RepositoryKey, id: &PackageId) -> Option<&mut Package> {
        let package = self.repositories.get_mut(repository)?.get_mut(id)?;
        self.touched.entry((repository.clone(), id.clone())).or_default();
        Some(package)
    }

    /// A package of a repository that a direct publish adds to, created if it has none:
    /// as CodeArtifact does for a package whose first version is published to the
    /// repository, a new one takes no versions from upstreams or external connections
    /// (origin controls `PUBLISH: ALLOW, UPSTREAM: BLOCK`), so a name published here cannot
    /// be shadowed by a public package of the same name.
    pub fn published_entry(&mut self, repository: &RepositoryKey, id: &PackageId) -> &mut Package {
        let new = self.package(repository, id).is_none();
        let package = self.package_entry(repository, id);
        if new {
            package.origin = OriginRestrictions { publish: true, upstream: false };
        }
        package
    }

    /// A package of a repository, created empty if it has none.
    pub fn package_entry(&mut self, repository: &RepositoryKey, id: &PackageId) -> &mut Package {
        self.touched.entry((repository.clone(), id.clone())).or_default();
        self.repositories
            .entry(repository.clone())
            .or_default()
            .entry(id.clone())
            .or_default()
    }

    /// Removes a package; what it was.
    pub fn remove_package(&mut self, repository: &RepositoryKey, id: &PackageId) -> Option<Package> {
        let removed = self.repositories.get_mut(repository)?.remove(id)?;
        self.note_removed(repository, id, &removed);
        Some(removed)
    }

    /// Forgets a repository's packages (the repository was deleted).
    pub fn remove_repository(&mut self, repository: &RepositoryKey) {
        for (id, package) in self.repositories.remove(repository).unwrap_or_default() {
            self.note_removed(repository, &id, &package);
        }
    }

    fn note_removed(&mut self, repository: &RepositoryKey, id: &PackageId, removed: &Package) {
        let noted = self.touched.entry((repository.clone(), id.clone())).or_default();
        noted.extend(removed.versions.keys().cloned());
        noted.extend(removed.versions.touched.iter().cloned());
    }

    /// Sets a package's dist-tags and origin restrictions, creating it if missing, or
    /// removes it (`None`): how a data folder's packages are laid over a fixture's.
    pub fn put_head(&mut self, repository: &RepositoryKey, id: &PackageId, head: Option<(BTreeMap<String, String>, OriginRestrictions)>) {
        match head {
            Some((dist_tags, origin)) => {
                let package = self.package_entry(repository, id);
                package.dist_tags = dist_tags;
                package.origin = origin;
            }
            None => {
                self.remove_package(repository, id);
            }
        }
    }

    /// Sets a version of a package (created if missing), or removes it (`None`).
    pub fn put_version(&mut self, repository: &RepositoryKey, id: &PackageId, number: &str, version: Option<PackageVersion>) {
        match version {
            Some(version) => {
                self.package_entry(repository, id).versions.insert(number.to_owned(), version);
            }
            None => {
                if let Some(package) = self.package_mut(repository, id) {
                    package.versions.remove(number);
                }
            }
        }
    }

    /// Every repository with packages.
    pub fn all(&self) -> impl Iterator<Item = (&RepositoryKey, &BTreeMap<PackageId, Package>)> {
        self.repositories.iter()
    }

    /// What changed since the last call, as it is now; forgotten here.
    pub fn take_changes(&mut self) -> Vec<PackageChange> {
        let touched = std::mem::take(&mut self.touched);
        let mut changes = Vec::with_capacity(touched.len());
        for ((repository, id), mut numbers) in touched {
            let mut package = self.repositories.get_mut(&repository).and_then(|p| p.get_mut(&id));
            if let Some(package) = package.as_mut() {
                numbers.extend(package.versions.take_touched());
            }
            let package = package.as_deref();
            let head = package.map(|p| (p.dist_tags.clone(), p.origin));
            let versions = numbers
                .into_iter()
                .map(|number| {
                    let now = package.and_then(|p| p.versions.get(&number)).cloned();
                    (number, now)
                })
                .collect();
            changes.push(PackageChange {
                repository,
                id,
                head,
                versions,
            });
        }
        changes
    }

    /// Forgets what changed (a world just built from a fixture and its data folder, where
    /// nothing is new).
    pub fn forget_changes(&mut self) {
        self.touched.clear();
        for package in self.repositories.values_mut().flat_map(BTreeMap::values_mut) {
            package.versions.touched.clear();
        }
    }
}

/// A new revision id: random, URL-safe, as CodeArtifact's look.
pub fn new_revision() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64_simd::STANDARD.encode_to_string(bytes)
}

/// The server's now as CodeArtifact's timestamps are written in package metadata (RFC 3339,
/// milliseconds, `Z`).
pub fn rfc3339(time: SystemTime) -> String {
    humantime::format_rfc3339_millis(time).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_names_are_normalised_as_pep_503_says() {
        for (name, normal) in [
            ("Hello_World", "hello-world"),
            ("hello.world", "hello-world"),
            ("Hello--__World", "hello-world"),
            ("requests", "requests"),
            ("zope.interface", "zope-interface"),
        ] {
            assert_eq!(normalize_python_name(name), normal, "{name}");
        }
    }

    #[test]
    fn npm_scopes_are_namespaces() {
        let id = PackageId::npm("@acme/left-pad");
        assert_eq!((id.namespace.as_deref(), id.name.as_str()), (Some("acme"), "left-pad"));
        assert_eq!(id.full_name(), "@acme/left-pad");
        assert_eq!(PackageId::npm("left-pad").namespace, None);
    }

    #[test]
    fn assets_carry_the_four_hashes() {
        let asset = Asset::new("a.txt", Bytes::from_static(b"abc"));
        assert_eq!(asset.hash("MD5"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(asset.hash("SHA-1"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(
            asset.hash("SHA-256"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(asset.size, 3);
    }
}
