//! One file out of an archive: a tar, walked header by header at offsets (a `.gem`, whose
//! `metadata.gz` comes first, read without reading the gem); a gzipped tar (an npm
//! tarball's `package/package.json`, a `.crate`'s `Cargo.toml`, for the mirror folders),
//! inflated with a size limit; a zip, through its central directory at offsets (a
//! `.nupkg`'s nuspec, a Swift source archive's manifests).

use miniz_oxide::inflate::decompress_to_vec_with_limit;

use crate::files::read_at::ReadAt;

/// The most a tarball is inflated to while looking for its manifest.
const INFLATED_LIMIT: usize = 512 * 1024 * 1024;

/// The content of the first entry of the gzipped tar `archive` whose path `wanted` accepts.
pub fn tar_gz_entry(archive: &[u8], wanted: impl Fn(&str) -> bool) -> Option<Vec<u8>> {
    let tar = gunzip(archive, INFLATED_LIMIT)?;
    tar_entry(&tar[..], wanted, INFLATED_LIMIT)
}

/// The content of the first regular entry of the tar `tar` whose path `wanted` accepts, if
/// it is at most `limit` bytes.
pub fn tar_entry(tar: &(impl ReadAt + ?Sized), wanted: impl Fn(&str) -> bool, limit: usize) -> Option<Vec<u8>> {
    let mut at = 0;
    let mut long_name: Option<String> = None;
    while at + 512 <= tar.size() {
        let header = tar.read_at(at, 512)?;
        if header.iter().all(|&b| b == 0) {
            return None;
        }
        let size = octal(&header[124..136])?;
        let kind = header[156];
        let data = at + 512;
        let end = data.checked_add(size)?;
        if end > tar.size() {
            return None;
        }
        let name = long_name.take().unwrap_or_else(|| {
            let name = text(&header[0..100]);
            let prefix = if &header[257..262] == b"ustar" { text(&header[345..500]) } else { String::new() };
            if prefix.is_empty() { name } else { format!("{prefix}/{name}") }
        });
        // GNU long name, then PAX extended header: the next entry's path.
        let body = |limit: usize| (size <= limit).then(|| tar.read_at(data, size)).flatten();
        match kind {
            b'L' => long_name = Some(text(&body(64 * 1024)?)),
            b'x' => long_name = pax_path(&body(1024 * 1024)?),
            b'0' | 0 if wanted(&name) => return body(limit),
            _ => {}
        }
        at = data + size.div_ceil(512) * 512;
    }
    None
}

fn u16_at(bytes: &[u8], at: usize) -> Option<usize> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?) as usize)
}

fn u32_at(bytes: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?) as usize)
}

/// The longest central directory read (a package of tens of thousands of files fits).
const CENTRAL_DIRECTORY_LIMIT: usize = 16 * 1024 * 1024;

/// The name and content of every entry of the zip `archive` whose name `wanted` accepts, in
/// the central directory's order, from one reading of it; `None` when the directory cannot
/// be read or an entry does not inflate to at most `limit` bytes.
pub fn zip_entries(archive: &(impl ReadAt + ?Sized), wanted: impl Fn(&str) -> bool, limit: usize) -> Option<Vec<(String, Vec<u8>)>> {
    let mut found = Vec::new();
    walk_zip(archive, |name, entry| {
        if wanted(name) {
            found.push((name.to_owned(), entry));
        }
        false
    })?;
    found.into_iter().map(|(name, entry)| Some((name, entry.read(archive, limit)?))).collect()
}

/// The name and content of the first entry of the zip `archive` whose name `wanted` accepts,
/// if it inflates to at most `limit` bytes.
pub fn zip_entry(archive: &(impl ReadAt + ?Sized), wanted: impl Fn(&str) -> bool, limit: usize) -> Option<(String, Vec<u8>)> {
    let mut found = None;
    walk_zip(archive, |name, entry| {
        if !wanted(name) {
            return false;
        }
        found = Some((name.to_owned(), entry));
        true
    })?;
    let (name, entry) = found?;
    Some((name, entry.read(archive, limit)?))
}

/// Where an entry's data is, as its central directory record says.
#[derive(Debug, Clone, Copy)]
struct ZipEntry {
    method: usize,
    compressed: usize,
    local: usize,
}

impl ZipEntry {
    /// The entry's content, stored or deflated, if it is at most `limit` bytes.
    fn read(self, archive: &(impl ReadAt + ?Sized), limit: usize) -> Option<Vec<u8>> {
        let header = archive.read_at(self.local, 30)?;
        if header.get(..4)? != [0x50, 0x4b, 0x03, 0x04] {
            return None;
        }
        // A compressed entry larger than the limit would not inflate within it either.
        if self.compressed > limit {
            return None;
        }
        let data = self.local + 30 + u16_at(&header, 26)? + u16_at(&header, 28)?;
        let raw = archive.read_at(data, self.compressed)?;
        match self.method {
            0 => Some(raw),
            8 => decompress_to_vec_with_limit(&raw, limit).ok(),
            _ => None,
        }
    }
}

/// Calls `visit` with each entry's name and place until it answers `true`; `None` for an
/// archive whose central directory cannot be read.
fn walk_zip(archive: &(impl ReadAt + ?Sized), mut visit: impl FnMut(&str, ZipEntry) -> bool) -> Option<()> {
    // The end-of-central-directory record: within the last 64 KiB + 22 bytes.
    let size = archive.size();
    let floor = size.saturating_sub(65_557);
    let tail = archive.read_at(floor, size - floor)?;
    let end = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| tail.get(i..i + 4) == Some(&[0x50, 0x4b, 0x05, 0x06]))?;
    let entries = u16_at(&tail, end + 10)?;
    let directory_size = u32_at(&tail, end + 12)?;
    let directory_start = u32_at(&tail, end + 16)?;
    if directory_size > CENTRAL_DIRECTORY_LIMIT {
        return None;
    }
    let directory = archive.read_at(directory_start, directory_size)?;
    let mut at = 0;
    for _ in 0..entries {
        if directory.get(at..at + 4)? != [0x50, 0x4b, 0x01, 0x02] {
            return None;
        }
        let method = u16_at(&directory, at + 10)?;
        let compressed = u32_at(&directory, at + 20)?;
        let name_length = u16_at(&directory, at + 28)?;
        let skip = name_length + u16_at(&directory, at + 30)? + u16_at(&directory, at + 32)?;
        let local = u32_at(&directory, at + 42)?;
        let name = std::str::from_utf8(directory.get(at + 46..at + 46 + name_length)?).ok()?;
        at += 46 + skip;
        if visit(name, ZipEntry { method, compressed, local }) {
            return Some(());
        }
    }
    Some(())
}

/// The deflate stream of a gzip member, inflated to at most `limit` bytes.
pub fn gunzip(archive: &[u8], limit: usize) -> Option<Vec<u8>> {
    if archive.get(..3)? != [0x1f, 0x8b, 8] {
        return None;
    }
    let flags = archive[3];
    let mut at = 10;
    if flags & 4 != 0 {
        let extra = u16::from_le_bytes([*archive.get(at)?, *archive.get(at + 1)?]) as usize;
        at += 2 + extra;
    }
    for flag in [8, 16] {
        if flags & flag != 0 {
            at += archive.get(at..)?.iter().position(|&b| b == 0)? + 1;
        }
    }
    if flags & 2 != 0 {
        at += 2;
    }
    decompress_to_vec_with_limit(archive.get(at..)?, limit).ok()
}

fn text(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

fn octal(bytes: &[u8]) -> Option<usize> {
    let digits = text(bytes);
    let digits = digits.trim_matches(|c: char| c == ' ' || c == '\0');
    if digits.is_empty() {
        return Some(0);
    }
    usize::from_str_radix(digits, 8).ok()
}

/// The `path` record of a PAX extended header (`LENGTH path=VALUE\n`).
fn pax_path(body: &[u8]) -> Option<String> {
    String::from_utf8_lossy(body).lines().find_map(|line| {
        let (_, record) = line.split_once(' ')?;
        record.strip_prefix("path=").map(str::to_owned)
    })
}

/// A gzipped tar of `entries`, as `npm pack` and `cargo package` make them: the tests'
/// mirror files.
#[cfg(any(test, feature = "internals"))]
pub fn tar_gz(entries: &[(&str, &[u8])]) -> Vec<u8> {
    gzip(&tar(entries))
}

/// A tar of `entries` (a `.gem` is one).
#[cfg(any(test, feature = "internals"))]
pub fn tar(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut tar = Vec::new();
        for (name, content) in entries {
            let mut header = [0u8; 512];
            header[..name.len()].copy_from_slice(name.as_bytes());
            header[100..107].copy_from_slice(b"0000644");
            header[124..135].copy_from_slice(format!("{:011o}", content.len()).as_bytes());
            header[156] = b'0';
            header[257..263].copy_from_slice(b"ustar\0");
            header[148..156].copy_from_slice(b"        ");
            let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
            header[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
            tar.extend_from_slice(&header);
            tar.extend_from_slice(content);
            tar.resize(tar.len().div_ceil(512) * 512, 0);
        }
        tar.resize(tar.len() + 1024, 0);
        tar
}

/// `bytes` gzipped.
#[cfg(any(test, feature = "internals"))]
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    gz.extend_from_slice(&miniz_oxide::deflate::compress_to_vec(bytes, 6));
    gz.extend_from_slice(&crc32(bytes).to_le_bytes());
    gz.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    gz
}

/// CRC-32 (IEEE), gzip's trailer.
#[cfg(any(test, feature = "internals"))]
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_an_entry_by_its_path() {
        let archive = tar_gz(&[("package/README.md", b"hi"), ("package/package.json", br#"{"name":"a"}"#)]);
        assert_eq!(tar_gz_entry(&archive, |p| p == "package/package.json").unwrap(), br#"{"name":"a"}"#);
        assert_eq!(tar_gz_entry(&archive, |p| p.ends_with("missing")), None);
        assert_eq!(tar_gz_entry(b"not gzip", |_| true), None);
    }
}
