//! The domains and repositories being served: those the fixture declares, and those the
//! control-plane operations create, change and delete. It lives in the world of one fixture
//! (`/_mock/reset` and a new fixture start it over) behind a lock that readers share.
//!
//! A fixture domain without a region exists in every served region, as one domain per region
//! (each region is its own CodeArtifact); a domain created through the API exists in the
//! region of the request that created it.

use std::collections::{BTreeSet, HashMap};
use std::time::SystemTime;

use crate::domain::Domain;
use crate::fixture::Fixture;
use crate::fixture::PackageGroupSpec;
use crate::package_groups::{DomainGroups, DomainKey, Mode, PackageGroup, PackageGroupStore, Pattern, RestrictionType};
use crate::packages::{PackageChange, PackageId, PackageStore, RepositoryKey};
use crate::repository::Repository;
pub use crate::tag::Tag;

/// Most upstream repositories searched to resolve a package (CodeArtifact's quota).
pub const MAX_UPSTREAMS_SEARCHED: usize = 25;

/// A domain with what the API reports of it.
#[derive(Debug, Clone)]
pub struct DomainRecord {
    /// The domain (name, owner, region, policy).
    pub domain: Domain,
    /// When it was created (the fixture's load time for fixture domains).
    pub created_at: SystemTime,
    /// The KMS key its assets are encrypted with; `None`: the AWS managed key of its region.
    pub encryption_key: Option<String>,
    /// Tags, in the order given.
    pub tags: Vec<Tag>,
    /// How many times its permissions policy was set or deleted (the policy's revision).
    pub policy_revision: u64,
}

/// A repository with what the API reports of it.
#[derive(Debug, Clone)]
pub struct RepositoryRecord {
    /// The repository.
    pub repository: Repository,
    /// When it was created.
    pub created_at: SystemTime,
    /// Tags, in the order given.
    pub tags: Vec<Tag>,
    /// How many times its permissions policy was set or deleted (the policy's revision).
    pub policy_revision: u64,
}

/// The domains and repositories of one world, indexed by owner then name, so a lookup costs
/// the same with ten domains or ten thousand.
///
/// Every change is noted by the method that hands the record out or changes it (domains and
/// repositories here, package groups and packages in their stores), by region: what the
/// commit point takes with [`Registry::take_changes`].
#[derive(Debug, Default)]
pub struct Registry {
    domains: HashMap<String, HashMap<String, Vec<DomainRecord>>>,
    /// Owner, then domain name, then that domain's repositories.
    repositories: HashMap<String, HashMap<String, Vec<RepositoryRecord>>>,
    /// The repositories' packages.
    pub packages: PackageStore,
    /// The domains' package groups.
    pub package_groups: PackageGroupStore,
    /// Domains changed since the last commit, in the region they were changed in.
    touched_domains: BTreeSet<DomainKey>,
    /// Repositories changed since the last commit, likewise.
    touched_repositories: BTreeSet<RepositoryKey>,
}

/// What changed since the last commit, each as it is now (`None`: gone from that region).
#[derive(Debug, Default)]
pub struct Changes {
    /// Domains, by region.
    pub domains: Vec<(DomainKey, Option<DomainRecord>)>,
    /// Repositories, by region.
    pub repositories: Vec<(RepositoryKey, Option<RepositoryRecord>)>,
    /// Package groups, by domain.
    pub package_groups: Vec<(DomainKey, Option<DomainGroups>)>,
    /// Packages and their changed versions.
    pub packages: Vec<PackageChange>,
}

impl Changes {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.domains.is_empty()
            && self.repositories.is_empty()
            && self.package_groups.is_empty()
            && self.packages.is_empty()
    }
}

impl Registry {
    /// The fixture's domains and repositories, created at `loaded_at`.
    pub fn from_fixture(fixture: &Fixture, loaded_at: SystemTime) -> Self {
        let mut registry = Self {
            domains: HashMap::with_capacity(fixture.domains.len()),
            ..Self::default()
        };
        for spec in &fixture.domains {
            registry.add_domain(DomainRecord {
                domain: Domain::from_spec(spec),
                created_at: loaded_at,
                encryption_key: None,
                tags: Vec::new(),
                policy_revision: u64::from(spec.policy.is_some()),
            });
        }
        for spec in &fixture.repositories {
            registry.add_repository(RepositoryRecord {
                repository: Repository::from_spec(spec),
                created_at: loaded_at,
                tags: Vec::new(),
                policy_revision: u64::from(spec.policy.is_some()),
            });
        }
        for spec in &fixture.package_groups {
            for region in regions_of(fixture, &spec.owner, &spec.domain, spec.region.as_ref()) {
                let key = DomainKey::new(&spec.owner, &spec.domain, &region);
                let groups = registry.package_groups.of_mut(&key, loaded_at);
                let pattern = Pattern::parse(&spec.pattern).unwrap_or(Pattern::Root);
                let group = groups
                    .groups
                    .entry(spec.pattern.clone())
                    .or_insert_with(|| PackageGroup::new(&pattern, loaded_at));
                group.description.clone_from(&spec.description);
                group.contact_info.clone_from(&spec.contact_info);
                group.modes.extend(spec.modes.iter().map(|(k, m)| (*k, *m)));
                for (kind, names) in &spec.allowed {
                    group.allowed.entry(*kind).or_default().extend(names.iter().cloned());
                }
            }
        }
        for spec in &fixture.packages {
            let (id, version) = spec.seeded();
            for region in regions_of(fixture, &spec.owner, &spec.domain, spec.region.as_ref()) {
                let key = RepositoryKey::new(&spec.owner, &spec.domain, &region, &spec.repository);
                let package = registry.packages.package_entry(&key, &id);
                if id.format == "npm" {
                    package.dist_tags.insert("latest".to_owned(), version.version.clone());
                }
                package.versions.insert(version.version.clone(), version.clone());
            }
        }
        // The fixture is where this world starts from, not a change to it.
        registry.forget_changes();
        registry
    }

    /// What changed since the last call, as it is now; forgotten here.
    pub fn take_changes(&mut self) -> Changes {
        let domains = std::mem::take(&mut self.touched_domains)
            .into_iter()
            .map(|key| {
                let now = self.domain(&key.owner, &key.domain, &key.region).cloned();
                (key, now)
            })
            .collect();
        let repositories = std::mem::take(&mut self.touched_repositories)
            .into_iter()
            .map(|key| {
                let now = self
                    .repository(&key.owner, &key.domain, &key.repository, &key.region)
                    .cloned();
                (key, now)
            })
            .collect();
        Changes {
            domains,
            repositories,
            package_groups: self.package_groups.take_changes(),
            packages: self.packages.take_changes(),
        }
    }

    /// Forgets what changed: the world is what its fixture and data folder say.
    pub fn forget_changes(&mut self) {
        self.touched_domains.clear();
        self.touched_repositories.clear();
        self.package_groups.forget_changes();
        self.packages.forget_changes();
    }

    /// Sets the domain of `key` in its region to `record`, or removes it from that region
    /// (`None`), leaving a fixture domain of every region in the others and its package
    /// groups as they are: how a data folder's domains are laid over a fixture's.
    pub fn put_domain(&mut self, key: &DomainKey, record: Option<DomainRecord>, all_regions: &[String]) {
        self.touched_domains.insert(key.clone());
        if let Some(records) = self.domains.get_mut(&key.owner).and_then(|d| d.get_mut(&key.domain)) {
            if let Some(index) = records.iter().position(|d| d.domain.exists_in(&key.region)) {
                remove_from_region(records, index, &key.region, all_regions, |d| &mut d.domain.region);
            }
        }
        if let Some(mut record) = record {
            record.domain.region = Some(key.region.clone());
            self.add_domain(record);
        }
    }

    /// Sets the repository of `key` in its region to `record`, or removes it from that
    /// region (`None`), leaving its packages as they are: how a data folder's repositories
    /// are laid over a fixture's.
    pub fn put_repository(&mut self, key: &RepositoryKey, record: Option<RepositoryRecord>, all_regions: &[String]) {
        self.touched_repositories.insert(key.clone());
        if let Some(records) = self.repositories.get_mut(&key.owner).and_then(|d| d.get_mut(&key.domain)) {
            if let Some(index) = records
                .iter()
                .position(|r| r.repository.name == key.repository && r.repository.exists_in(&key.region))
            {
                remove_from_region(records, index, &key.region, all_regions, |r| &mut r.repository.region);
            }
        }
        if let Some(mut record) = record {
            record.repository.region = Some(key.region.clone());
            self.add_repository(record);
        }
    }

    /// The package groups as fixture entries (`GET /_mock/state`): each domain's groups but
    /// a root left as it was created, in the region they are in.
    pub fn package_group_specs(&self) -> Vec<PackageGroupSpec> {
        let mut specs = Vec::new();
        let mut domains: Vec<_> = self.package_groups.all().collect();
        domains.sort_by(|a, b| a.0.cmp(b.0));
        for (key, groups) in domains {
            for group in groups.groups.values() {
                let root_as_created = group.pattern == "/*"
                    && group.description.is_none()
                    && group.contact_info.is_none()
                    && group.allowed.values().all(|l| l.is_empty())
                    && group.modes.values().all(|m| *m == Mode::Allow);
                if root_as_created {
                    continue;
                }
                specs.push(PackageGroupSpec {
                    domain: key.domain.clone(),
                    owner: key.owner.clone(),
                    region: Some(key.region.clone()),
                    pattern: group.pattern.clone(),
                    description: group.description.clone(),
                    contact_info: group.contact_info.clone(),
                    modes: group.modes.iter().filter(|(_, m)| **m != Mode::Inherit).map(|(k, m)| (*k, *m)).collect(),
                    allowed: group
                        .allowed
                        .iter()
                        .filter(|(_, l)| !l.is_empty())
                        .map(|(k, l)| (*k, l.iter().cloned().collect()))
                        .collect(),
                });
            }
        }
        specs
    }

    /// The domain `name` of `owner` in `region`.
    pub fn domain(&self, owner: &str, name: &str, region: &str) -> Option<&DomainRecord> {
        self.domains
            .get(owner)?
            .get(name)?
            .iter()
            .find(|d| d.domain.exists_in(region))
    }

    /// The domain, to change it.
    pub fn domain_mut(&mut self, owner: &str, name: &str, region: &str) -> Option<&mut DomainRecord> {
        self.touched_domains.insert(DomainKey::new(owner, name, region));
        self.domains
            .get_mut(owner)?
            .get_mut(name)?
            .iter_mut()
            .find(|d| d.domain.exists_in(region))
    }

    /// The regions of `regions` where the domain `name` of `owner` exists.
    pub fn domain_regions(&self, owner: &str, name: &str, regions: &[String]) -> Vec<String> {
        regions
            .iter()
            .filter(|region| self.domain(owner, name, region).is_some())
            .cloned()
            .collect()
    }

    /// Every domain in `region`, by name then owner.
    pub fn domains_in(&self, region: &str) -> Vec<&DomainRecord> {
        let mut domains: Vec<&DomainRecord> = self
            .domains
            .values()
            .flat_map(HashMap::values)
            .flatten()
            .filter(|d| d.domain.exists_in(region))
            .collect();
        domains.sort_by(|a, b| {
            (&a.domain.name, &a.domain.owner).cmp(&(&b.domain.name, &b.domain.owner))
        });
        domains
    }

    /// Every domain and every repository, each in the order they were added: what a fixture
    /// of this registry would declare.
    pub fn all(&self) -> (Vec<&DomainRecord>, Vec<&RepositoryRecord>) {
        let mut domains: Vec<&DomainRecord> =
            self.domains.values().flat_map(HashMap::values).flatten().collect();
        domains.sort_by(|a, b| {
            (&a.domain.owner, &a.domain.name, &a.domain.region)
                .cmp(&(&b.domain.owner, &b.domain.name, &b.domain.region))
        });
        let mut repositories: Vec<&RepositoryRecord> = self
            .repositories
            .values()
            .flat_map(HashMap::values)
            .flatten()
            .collect();
        repositories.sort_by(|a, b| {
            let key = |r: &RepositoryRecord| {
                (
                    r.repository.owner.clone(),
                    r.repository.domain.clone(),
                    r.repository.region.clone(),
                    r.repository.name.clone(),
                )
            };
            key(a).cmp(&key(b))
        });
        (domains, repositories)
    }

    /// Why publishing `id` to the repository directly is refused, if it is: the package's
    /// own origin configuration, then its package group's `PUBLISH` restriction.
    pub fn publish_refusal(&self, key: &RepositoryKey, id: &PackageId) -> Option<String> {
        if self.packages.package(key, id).is_some_and(|p| !p.origin.publish) {
            return Some(format!(
                "Package {} is configured to block publishing in repository {}",
                id.full_name(),
                key.repository
            ));
        }
        let group = self.group_refusing(key, id, RestrictionType::Publish)?;
        Some(format!(
            "Package {} cannot be published to repository {}: its package group {} does not allow publishing there",
            id.full_name(),
            key.repository,
            group.pattern
        ))
    }

    /// Whether the repository may take versions of `id` from its upstreams: the package's
    /// own origin configuration, then its package group's `INTERNAL_UPSTREAM` restriction.
    pub fn upstream_blocked(&self, key: &RepositoryKey, id: &PackageId) -> bool {
        self.packages.package(key, id).is_some_and(|p| !p.origin.upstream)
            || self.group_refusing(key, id, RestrictionType::InternalUpstream).is_some()
    }

    /// Whether the repository may take versions of `id` through its external connection: the
    /// package's own origin configuration (its `upstream` restriction covers external
    /// connections too), then its package group's `EXTERNAL_UPSTREAM` restriction.
    pub fn external_blocked(&self, key: &RepositoryKey, id: &PackageId) -> bool {
        self.packages.package(key, id).is_some_and(|p| !p.origin.upstream)
            || self.group_refusing(key, id, RestrictionType::ExternalUpstream).is_some()
    }

    /// The package's group, if its restriction of `kind` refuses the package in the
    /// repository; without building a key while no domain has groups (most worlds).
    fn group_refusing(&self, key: &RepositoryKey, id: &PackageId, kind: RestrictionType) -> Option<&PackageGroup> {
        if self.package_groups.is_empty() {
            return None;
        }
        let domain = DomainKey::new(&key.owner, &key.domain, &key.region);
        self.package_groups.refusing(&domain, id, kind, &key.repository)
    }

    /// The repository, then its upstreams in the order CodeArtifact searches them (depth
    /// first, in the order each lists them, each repository once, at most 25 of them, as
    /// CodeArtifact's quota says), for `package`: a
    /// repository that may not take `package` from its upstreams
    /// ([`Registry::upstream_blocked`]) is not searched past, and a generic package is never
    /// read through upstreams (the user guide's constraint). `None` searches for every
    /// package (the simple index).
    pub fn search_order(&self, key: &RepositoryKey, package: Option<&PackageId>) -> Vec<RepositoryKey> {
        fn visit(registry: &Registry, key: &RepositoryKey, package: Option<&PackageId>, chain: &mut Vec<RepositoryKey>) {
            let blocked = package.is_some_and(|id| registry.upstream_blocked(key, id));
            let record = registry.repository(&key.owner, &key.domain, &key.repository, &key.region);
            let (Some(record), false) = (record, blocked) else {
                return;
            };
            for upstream in &record.repository.upstreams {
                let next = RepositoryKey::new(&key.owner, &key.domain, &key.region, upstream);
                if chain.len() > MAX_UPSTREAMS_SEARCHED {
                    return;
                }
                if !chain.contains(&next) {
                    chain.push(next.clone());
                    visit(registry, &next, package, chain);
                }
            }
        }
        let mut chain = vec![key.clone()];
        // Generic packages are only ever read from the repository they were published to.
        if package.is_none_or(|id| id.format != "generic") {
            visit(self, key, package, &mut chain);
        }
        chain
    }

    /// Adds a domain (the caller has checked it does not exist).
    pub fn add_domain(&mut self, record: DomainRecord) {
        if let Some(region) = &record.domain.region {
            self.touched_domains
                .insert(DomainKey::new(&record.domain.owner, &record.domain.name, region));
        }
        self.domains
            .entry(record.domain.owner.clone())
            .or_default()
            .entry(record.domain.name.clone())
            .or_default()
            .push(record);
    }

    /// Removes the domain `name` of `owner` from `region`; a fixture domain of every region
    /// stays in the others.
    pub fn remove_domain(&mut self, owner: &str, name: &str, region: &str, all_regions: &[String]) {
        let key = DomainKey::new(owner, name, region);
        self.package_groups.remove_domain(&key);
        self.put_domain(&key, None, all_regions);
    }

    fn repositories_in(&self, owner: &str, domain: &str) -> &[RepositoryRecord] {
        self.repositories
            .get(owner)
            .and_then(|d| d.get(domain))
            .map_or(&[], Vec::as_slice)
    }

    /// Every repository in `region`, by domain, owner and name.
    pub fn all_repositories_in(&self, region: &str) -> Vec<&RepositoryRecord> {
        let mut repositories: Vec<&RepositoryRecord> = self
            .repositories
            .values()
            .flat_map(HashMap::values)
            .flatten()
            .filter(|r| r.repository.exists_in(region))
            .collect();
        repositories.sort_by(|a, b| {
            let key = |r: &RepositoryRecord| {
                (r.repository.domain.clone(), r.repository.owner.clone(), r.repository.name.clone())
            };
            key(a).cmp(&key(b))
        });
        repositories
    }

    /// The repository `name` of domain `domain` of `owner` in `region`.
    pub fn repository(
        &self,
        owner: &str,
        domain: &str,
        name: &str,
        region: &str,
    ) -> Option<&RepositoryRecord> {
        self.repositories_in(owner, domain)
            .iter()
            .find(|r| r.repository.name == name && r.repository.exists_in(region))
    }

    /// The repositories of a domain in `region`, by name.
    pub fn repositories_of(&self, owner: &str, domain: &str, region: &str) -> Vec<&RepositoryRecord> {
        let mut repositories: Vec<&RepositoryRecord> = self
            .repositories_in(owner, domain)
            .iter()
            .filter(|r| r.repository.exists_in(region))
            .collect();
        repositories.sort_by(|a, b| a.repository.name.cmp(&b.repository.name));
        repositories
    }

    /// Adds a repository (the caller has checked it does not exist).
    pub fn add_repository(&mut self, record: RepositoryRecord) {
        if let Some(region) = &record.repository.region {
            let r = &record.repository;
            self.touched_repositories
                .insert(RepositoryKey::new(&r.owner, &r.domain, region, &r.name));
        }
        self.repositories
            .entry(record.repository.owner.clone())
            .or_default()
            .entry(record.repository.domain.clone())
            .or_default()
            .push(record);
    }

    /// The repository, to change it.
    pub fn repository_mut(
        &mut self,
        owner: &str,
        domain: &str,
        name: &str,
        region: &str,
    ) -> Option<&mut RepositoryRecord> {
        self.touched_repositories
            .insert(RepositoryKey::new(owner, domain, region, name));
        self.repositories
            .get_mut(owner)?
            .get_mut(domain)?
            .iter_mut()
            .find(|r| r.repository.name == name && r.repository.exists_in(region))
    }

    /// Removes a repository from `region`; a fixture repository of every region stays in the
    /// others.
    pub fn remove_repository(
        &mut self,
        owner: &str,
        domain: &str,
        name: &str,
        region: &str,
        all_regions: &[String],
    ) {
        let key = RepositoryKey::new(owner, domain, region, name);
        self.packages.remove_repository(&key);
        self.put_repository(&key, None, all_regions);
    }
}

/// The regions a fixture entry of `domain` (of `owner`) is in: its own `region`, or every
/// region its domain is in (a domain without a region is in every served region).
fn regions_of(fixture: &Fixture, owner: &str, domain: &str, region: Option<&String>) -> Vec<String> {
    match region {
        Some(region) => vec![region.clone()],
        None => fixture
            .domains
            .iter()
            .filter(|d| d.name == domain && d.owner == owner)
            .flat_map(|d| d.region.clone().map_or_else(|| fixture.regions.clone(), |r| vec![r]))
            .collect(),
    }
}

/// Removes `records[index]` from `region`. A record of every region (`region_of` is `None`)
/// stays in the others, as one record per region: each region is its own CodeArtifact.
fn remove_from_region<T: Clone>(
    records: &mut Vec<T>,
    index: usize,
    region: &str,
    all_regions: &[String],
    region_of: impl Fn(&mut T) -> &mut Option<String>,
) {
    let mut removed = records.remove(index);
    if region_of(&mut removed).is_none() {
        for other in all_regions.iter().filter(|r| *r != region) {
            let mut copy = removed.clone();
            *region_of(&mut copy) = Some(other.clone());
            records.push(copy);
        }
    }
}
