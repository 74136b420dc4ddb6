//! A PyPI-style upstream: the Simple API (PEP 503 HTML, or PEP 691 JSON when it offers it)
//! of one project, its files' URLs resolved against the page and their `sha256` kept to be
//! checked when the file arrives. Yanked files (PEP 592) are left out.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde_json::{json, Value};

use super::http::{join, Client};
use super::{listed_version, remote_asset, FetchError, Listing, MAX_LISTING_BYTES};
use crate::packages::PackageId;

/// What the upstream is asked for: PEP 691's JSON first, HTML otherwise.
const ACCEPT: &str = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1";

/// One file a project page lists.
struct PageFile {
    filename: String,
    url: String,
    sha256: Option<String>,
    requires_python: Option<String>,
    uploaded: Option<SystemTime>,
    size: u64,
}

/// The project and version a wheel's or an sdist's file name says.
pub(crate) fn project_and_version(filename: &str) -> Option<(String, String)> {
    if let Some(stem) = filename.strip_suffix(".whl") {
        let mut parts = stem.split('-');
        let (project, version) = (parts.next()?, parts.next()?);
        return Some((project.to_owned(), version.to_owned()));
    }
    let stem = [".tar.gz", ".zip", ".tar.bz2"].iter().find_map(|s| filename.strip_suffix(s))?;
    let (project, version) = stem.rsplit_once('-')?;
    (!project.is_empty() && version.starts_with(|c: char| c.is_ascii_digit())).then(|| (project.to_owned(), version.to_owned()))
}

/// The project's listing from the Simple API at `root` (`.../simple` is added unless the
/// root ends with it).
pub(crate) async fn registry_listing(client: &Client, root: &str, authorization: Option<&str>, package: &PackageId) -> Result<Listing, FetchError> {
    let simple = if root.ends_with("/simple") { root.to_owned() } else { format!("{root}/simple") };
    let page = format!("{simple}/{}/", package.name);
    let (content_type, body) = client.get_document(&page, authorization, ACCEPT, MAX_LISTING_BYTES).await?;
    let text = String::from_utf8_lossy(&body);
    let files = if content_type.contains("json") { json_files(&page, &text)? } else { html_files(&page, &text) };
    let mut listing = Listing::default();
    for file in files {
        let Some((project, number)) = project_and_version(&file.filename) else { continue };
        let version = listing
            .versions
            .entry(number.clone())
            .or_insert_with(|| listed_version(&number, &project, file.uploaded));
        if let Some(requires) = &file.requires_python {
            version.metadata = json!({ "requires_python": requires });
        }
        let hashes = file.sha256.into_iter().map(|h| ("SHA-256".to_owned(), h.to_ascii_lowercase())).collect::<BTreeMap<_, _>>();
        let url = file.url.split('#').next().unwrap_or_default().to_owned();
        version.assets.push(remote_asset(&file.filename, url, hashes, file.size));
    }
    Ok(listing)
}


/// PEP 691's `files`.
fn json_files(page: &str, text: &str) -> Result<Vec<PageFile>, FetchError> {
    let document: Value = serde_json::from_str(text).map_err(|e| FetchError::Invalid(format!("the project page is not JSON: {e}")))?;
    Ok(document["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|file| file["yanked"].as_bool() != Some(true) && !file["yanked"].is_string())
        .filter_map(|file| {
            Some(PageFile {
                filename: file["filename"].as_str()?.to_owned(),
                url: join(page, file["url"].as_str()?),
                sha256: file["hashes"]["sha256"].as_str().map(str::to_owned),
                requires_python: file["requires-python"].as_str().map(str::to_owned),
                uploaded: file["upload-time"].as_str().and_then(super::upstream_time),
                size: file["size"].as_u64().unwrap_or(0),
            })
        })
        .collect())
}

/// PEP 503's anchors: `<a href="URL#sha256=..." data-requires-python="...">FILE</a>`.
fn html_files(page: &str, text: &str) -> Vec<PageFile> {
    let mut files = Vec::new();
    for anchor in text.split("<a ").skip(1) {
        let Some((attributes, rest)) = anchor.split_once('>') else { continue };
        let filename = unescape(rest.split("</a>").next().unwrap_or_default().trim());
        let (Some(href), false) = (attribute(attributes, "href"), attributes.contains("data-yanked")) else { continue };
        let url = join(page, &href);
        let sha256 = url.split_once("#sha256=").map(|(_, h)| h.to_owned());
        files.push(PageFile {
            filename,
            url,
            sha256,
            requires_python: attribute(attributes, "data-requires-python"),
            uploaded: None,
            size: 0,
        });
    }
    files
}

fn attribute(attributes: &str, name: &str) -> Option<String> {
    for quote in ['"', '\''] {
        let marker = format!("{name}={quote}");
        if let Some(start) = attributes.find(&marker) {
            let value = &attributes[start + marker.len()..];
            return Some(unescape(value.split(quote).next()?));
        }
    }
    None
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#x27;", "'").replace("&#39;", "'").replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_say_project_and_version() {
        assert_eq!(project_and_version("requests-2.31.0-py3-none-any.whl"), Some(("requests".into(), "2.31.0".into())));
        assert_eq!(project_and_version("zope.interface-6.0.tar.gz"), Some(("zope.interface".into(), "6.0".into())));
        assert_eq!(project_and_version("my-project-1.0rc1.zip"), Some(("my-project".into(), "1.0rc1".into())));
        assert_eq!(project_and_version("README.md"), None);
    }

    #[test]
    fn both_forms_of_the_simple_api_are_read() {
        let html = r#"<a href="../../packages/hello-1.0.tar.gz#sha256=ABC" data-requires-python="&gt;=3.8">hello-1.0.tar.gz</a>
            <a href="hello-0.9.tar.gz" data-yanked="">hello-0.9.tar.gz</a>"#;
        let files = html_files("https://up.example/simple/hello/", html);
        assert_eq!(files.len(), 1, "yanked files are left out");
        assert_eq!(files[0].url, "https://up.example/packages/hello-1.0.tar.gz#sha256=ABC");
        assert_eq!((files[0].sha256.as_deref(), files[0].requires_python.as_deref()), (Some("ABC"), Some(">=3.8")));
        let json = r#"{"files": [{"filename": "hello-1.0-py3-none-any.whl", "url": "/f/hello.whl", "hashes": {"sha256": "abc"}, "upload-time": "2024-01-02T03:04:05.123456Z", "size": 7}]}"#;
        let files = json_files("https://up.example/simple/hello/", json).unwrap();
        assert_eq!((files[0].url.as_str(), files[0].size), ("https://up.example/f/hello.whl", 7));
        assert!(files[0].uploaded.is_some());
    }
}
