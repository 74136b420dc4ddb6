//! What a `.nupkg` says of itself: the `.nuspec` at the root of the zip archive, and the
//! id, version, description, authors and dependencies in it.
//!
//! The archive is read through its central directory (entries stored or deflated, as NuGet
//! writes them); an entry is inflated with a size limit, so no upload can make the server
//! allocate more than that. The nuspec is read as NuGet's schema lays it out, without a
//! general XML parser: the elements it needs are never nested in themselves.


/// The largest nuspec read (real ones are a few kilobytes).
const NUSPEC_LIMIT: usize = 1024 * 1024;

/// A nuspec's fields.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Nuspec {
    /// The whole document, served as `ID.nuspec`.
    pub text: String,
    /// `<id>`.
    pub id: String,
    /// `<version>`, as written.
    pub version: String,
    /// `<description>`.
    pub description: Option<String>,
    /// `<authors>`.
    pub authors: Option<String>,
    /// `<projectUrl>`.
    pub project_url: Option<String>,
    /// `<license>` or `<licenseUrl>`.
    pub license: Option<String>,
    /// Dependencies: (target framework, id, version range).
    pub dependencies: Vec<(String, String, String)>,
}

impl Nuspec {
    /// The dependencies as a package version stores them, each in its framework's group.
    pub fn package_dependencies(&self) -> Vec<crate::packages::Dependency> {
        self.dependencies
            .iter()
            .map(|(framework, id, range)| crate::packages::Dependency::nuget(framework.clone(), id.clone(), range.clone()))
            .collect()
    }
}

use crate::files::read_at::ReadAt;

/// The content of the first root entry of the zip `archive` whose name ends in `suffix`.
fn root_entry(archive: &(impl ReadAt + ?Sized), suffix: &str, limit: usize) -> Option<Vec<u8>> {
    let wanted = |name: &str| !name.contains('/') && name.to_ascii_lowercase().ends_with(suffix);
    crate::archive::zip_entry(archive, wanted, limit).map(|(_, content)| content)
}

/// The text of the first `<name>` element (attributes allowed) of `xml`.
fn element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}");
    let mut from = 0;
    while let Some(found) = xml[from..].find(&open) {
        let start = from + found;
        let after = xml[start + open.len()..].chars().next()?;
        if after == '>' || after.is_whitespace() {
            let content = start + xml[start..].find('>')? + 1;
            let end = content + xml[content..].find(&format!("</{name}>"))?;
            return Some(unescape(xml[content..end].trim())).filter(|s| !s.is_empty());
        }
        from = start + open.len();
    }
    None
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

/// The value of `attribute` in a start tag's text.
fn attribute(tag: &str, attribute: &str) -> Option<String> {
    let at = tag.find(&format!("{attribute}=\""))? + attribute.len() + 2;
    let end = tag[at..].find('"')? + at;
    Some(unescape(&tag[at..end]))
}

/// The nuspec of a pushed `.nupkg`, in memory or spooled.
pub fn read_piece(nupkg: &crate::files::spool::Piece) -> Option<Nuspec> {
    read_from(&crate::files::read_at::PieceReader::open(nupkg)?)
}

/// The nuspec of a `.nupkg`, if it has one with an id and a version.
pub fn read(nupkg: &[u8]) -> Option<Nuspec> {
    read_from(nupkg)
}

fn read_from(nupkg: &(impl ReadAt + ?Sized)) -> Option<Nuspec> {
    let bytes = root_entry(nupkg, ".nuspec", NUSPEC_LIMIT)?;
    let text = String::from_utf8(bytes).ok()?;
    let text = text.trim_start_matches('\u{feff}').to_owned();
    let metadata = element(&text, "metadata").unwrap_or_default();
    let mut dependencies = Vec::new();
    if let Some(block) = metadata.split("<dependencies").nth(1) {
        let block = block.split("</dependencies>").next().unwrap_or_default();
        let mut framework = String::new();
        for tag in block.split('<').skip(1) {
            if tag.starts_with("group") {
                framework = attribute(tag, "targetFramework").unwrap_or_default();
            } else if tag.starts_with("dependency") {
                if let Some(id) = attribute(tag, "id") {
                    dependencies.push((framework.clone(), id, attribute(tag, "version").unwrap_or_default()));
                }
            }
        }
    }
    Some(Nuspec {
        id: element(&metadata, "id")?,
        version: element(&metadata, "version")?,
        description: element(&metadata, "description"),
        authors: element(&metadata, "authors"),
        project_url: element(&metadata, "projectUrl"),
        license: element(&metadata, "license").or_else(|| element(&metadata, "licenseUrl")),
        dependencies,
        text,
    })
}

/// NuGet's normalised version: lowercase, without build metadata, at least three numbers
/// (`1.0` is `1.0.0`), a fourth number kept only when it is not zero.
pub fn normalize_version(version: &str) -> String {
    let version = version.split('+').next().unwrap_or(version).to_ascii_lowercase();
    let (numbers, label) = match version.split_once('-') {
        Some((numbers, label)) => (numbers.to_owned(), Some(label.to_owned())),
        None => (version.clone(), None),
    };
    let mut parts: Vec<String> = numbers
        .split('.')
        .map(|n| n.trim_start_matches('0').to_owned())
        .map(|n| if n.is_empty() { "0".to_owned() } else { n })
        .collect();
    while parts.len() < 3 {
        parts.push("0".to_owned());
    }
    if parts.len() == 4 && parts[3] == "0" {
        parts.pop();
    }
    let mut out = parts.join(".");
    if let Some(label) = label {
        out.push('-');
        out.push_str(&label);
    }
    out
}

/// Orders two normalised versions as NuGet does: the numbers numerically, a release after
/// its pre-releases, labels by their dot-separated parts (numeric ones numerically).
pub fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    fn parts(version: &str) -> (Vec<&str>, Option<Vec<&str>>) {
        let (numbers, label) = version.split_once('-').map_or((version, None), |(n, l)| (n, Some(l)));
        (numbers.split('.').collect(), label.map(|l| l.split('.').collect()))
    }
    fn part(a: &str, b: &str) -> Ordering {
        match (a.parse::<u64>(), b.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            (Err(_), Err(_)) => a.cmp(b),
        }
    }
    fn list(a: &[&str], b: &[&str]) -> Ordering {
        a.iter().zip(b).map(|(x, y)| part(x, y)).find(|o| o.is_ne()).unwrap_or_else(|| a.len().cmp(&b.len()))
    }
    let ((numbers_a, label_a), (numbers_b, label_b)) = (parts(a), parts(b));
    list(&numbers_a, &numbers_b).then_with(|| match (label_a, label_b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => list(&x, &y),
    })
}

/// A zip archive of `entries` (stored, or deflated when `deflate`): a `.nupkg` for tests, as
/// NuGet lays one out.
#[cfg(any(test, feature = "internals"))]
/// A zip of `entries` (stored, or deflated when `deflate`), as a test `.nupkg`.
pub fn zip(entries: &[(&str, &[u8])], deflate: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, content) in entries {
        let data = if deflate { miniz_oxide::deflate::compress_to_vec(content, 6) } else { content.to_vec() };
        let offset = out.len() as u32;
        let method: u16 = if deflate { 8 } else { 0 };
        let mut header = Vec::new();
        header.extend_from_slice(&[0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0]);
        header.extend_from_slice(&method.to_le_bytes());
        header.extend_from_slice(&[0; 8]);
        header.extend_from_slice(&(data.len() as u32).to_le_bytes());
        header.extend_from_slice(&(content.len() as u32).to_le_bytes());
        header.extend_from_slice(&(name.len() as u16).to_le_bytes());
        header.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&header);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&data);
        central.extend_from_slice(&[0x50, 0x4b, 0x01, 0x02, 20, 0, 20, 0, 0, 0]);
        central.extend_from_slice(&method.to_le_bytes());
        central.extend_from_slice(&[0; 8]);
        central.extend_from_slice(&(data.len() as u32).to_le_bytes());
        central.extend_from_slice(&(content.len() as u32).to_le_bytes());
        central.extend_from_slice(&(name.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let start = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&[0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&start.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const NUSPEC: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>Acme.Tiny</id>
    <version>1.0</version>
    <authors>Acme</authors>
    <description>A tiny &amp; test package</description>
    <dependencies>
      <group targetFramework="net8.0">
        <dependency id="Newtonsoft.Json" version="13.0.1" exclude="Build,Analyzers" />
      </group>
    </dependencies>
  </metadata>
</package>"#;

    #[test]
    fn the_nuspec_is_read_from_a_stored_or_deflated_archive() {
        for deflate in [false, true] {
            let archive = zip(&[("_rels/.rels", b"x"), ("Acme.Tiny.nuspec", NUSPEC.as_bytes()), ("lib/net8.0/a.dll", b"MZ")], deflate);
            let nuspec = read(&archive).expect("a nuspec");
            assert_eq!((nuspec.id.as_str(), nuspec.version.as_str()), ("Acme.Tiny", "1.0"));
            assert_eq!(nuspec.description.as_deref(), Some("A tiny & test package"));
            assert_eq!(nuspec.dependencies, [("net8.0".to_owned(), "Newtonsoft.Json".to_owned(), "13.0.1".to_owned())]);
        }
    }

    #[test]
    fn what_is_not_a_nupkg_has_no_nuspec() {
        assert_eq!(read(b"not a zip"), None);
        assert_eq!(read(&zip(&[("lib/a.nuspec", NUSPEC.as_bytes())], false)), None);
        let mut cut = zip(&[("a.nuspec", NUSPEC.as_bytes())], true);
        cut.drain(40..60);
        assert_eq!(read(&cut), None);
    }

    #[test]
    fn versions_are_ordered_as_nuget_orders_them() {
        let mut versions = vec!["10.0.0", "2.0.0", "2.0.0-beta.2", "2.0.0-beta.10", "2.0.0-alpha", "1.0.0.1", "1.0.0"];
        versions.sort_by(|a, b| compare_versions(a, b));
        assert_eq!(versions, ["1.0.0", "1.0.0.1", "2.0.0-alpha", "2.0.0-beta.2", "2.0.0-beta.10", "2.0.0", "10.0.0"]);
    }

    #[test]
    fn versions_are_normalised_as_nuget_does() {
        for (given, normal) in [("1.0", "1.0.0"), ("1.0.0.0", "1.0.0"), ("1.0.0.1", "1.0.0.1"), ("01.2.3-Beta+build", "1.2.3-beta")] {
            assert_eq!(normalize_version(given), normal, "{given}");
        }
    }

    /// A real archive of a few entries (one of them a nuspec), then damaged: bytes changed,
    /// cut, or inserted at random places. Random bytes alone almost never form an
    /// end-of-central-directory record, so they would leave the directory walk, the local
    /// headers and the inflater untried.
    fn damaged_archive() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let entry = (
            "[a-z/._]{1,12}",
            proptest::collection::vec(any::<u8>(), 0..200),
        );
        let edit = (any::<proptest::sample::Index>(), any::<u8>(), 0..3u8);
        (proptest::collection::vec(entry, 0..4), any::<bool>(), any::<bool>(), proptest::collection::vec(edit, 0..6)).prop_map(
            |(entries, deflate, with_nuspec, edits)| {
                let mut all: Vec<(String, Vec<u8>)> = entries;
                if with_nuspec {
                    all.push(("Acme.Tiny.nuspec".into(), NUSPEC.as_bytes().to_vec()));
                }
                let named: Vec<(&str, &[u8])> = all.iter().map(|(n, c)| (n.as_str(), c.as_slice())).collect();
                let mut archive = zip(&named, deflate);
                for (at, byte, kind) in edits {
                    if archive.is_empty() {
                        break;
                    }
                    let i = at.index(archive.len());
                    match kind {
                        0 => archive[i] = byte,
                        1 => archive.truncate(i),
                        _ => archive.insert(i, byte),
                    }
                }
                archive
            },
        )
    }

    proptest::proptest! {
        /// No byte string makes the reader panic or read past the archive.
        #[test]
        fn any_bytes_are_read_without_a_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            let _ = read(&bytes);
        }

        /// Nor does any damage to a real archive; an undamaged one is read whole.
        #[test]
        fn a_damaged_archive_is_read_without_a_panic(archive in damaged_archive()) {
            let _ = read(&archive);
        }
    }

    #[test]
    fn the_damaged_archives_reach_the_central_directory() {
        use proptest::strategy::{Strategy, ValueTree};
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let read_whole = (0..200)
            .filter(|_| read(&damaged_archive().new_tree(&mut runner).unwrap().current()).is_some())
            .count();
        // Some archives come through undamaged enough to yield their nuspec: the walk is
        // exercised, not just the search for the directory.
        assert!(read_whole > 10, "{read_whole} of 200");
    }
}
