//! One file out of an archive: a tar, walked header by header at offsets (a `.gem`, whose
//! `metadata.gz` comes first, read without reading the gem), and a gzipped tar (an npm
//! tarball's `package/package.json`, a `.crate`'s `Cargo.toml`, for the mirror folders),
//! inflated with a size limit.

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
