//! `multipart/form-data` (RFC 7578), as twine sends an upload: each part's name, file name
//! and content, the content a slice of the request body (the upload is never copied).

use bytes::Bytes;

/// One part of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The form field's name.
    pub name: String,
    /// The file name, for a file field.
    pub filename: Option<String>,
    /// The content.
    pub content: Bytes,
}

impl Part {
    /// The content as text (form fields are UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.content).into_owned()
    }
}

/// The boundary of a `Content-Type: multipart/form-data; boundary=...` value.
pub fn boundary(content_type: &str) -> Option<String> {
    let (kind, parameters) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    parameters.split(';').find_map(|p| {
        let (key, value) = p.trim().split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_owned())
            .filter(|b| !b.is_empty() && b.len() <= 200)
    })
}

/// The parts of `body`; `None` when it is not a well-formed form with this boundary.
pub fn parse(body: &Bytes, boundary: &str) -> Option<Vec<Part>> {
    let delimiter = format!("--{boundary}");
    let next_delimiter = format!("\r\n--{boundary}");
    let mut position = find(body, delimiter.as_bytes(), 0)? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        // After a delimiter: `--` ends the form, CRLF starts a part.
        if body.get(position..position + 2)? == b"--" {
            return Some(parts);
        }
        if body.get(position..position + 2)? != b"\r\n" {
            return None;
        }
        position += 2;
        let head_end = find(body, b"\r\n\r\n", position)?;
        let head = std::str::from_utf8(&body[position..head_end]).ok()?;
        let content_start = head_end + 4;
        let content_end = find(body, next_delimiter.as_bytes(), content_start)?;
        let (name, filename) = disposition(head)?;
        parts.push(Part {
            name,
            filename,
            content: body.slice(content_start..content_end),
        });
        position = content_end + next_delimiter.len();
    }
}

/// The `name` and `filename` of a part's `Content-Disposition: form-data` header.
fn disposition(head: &str) -> Option<(String, Option<String>)> {
    let line = head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case("content-disposition")
            .then_some(value)
    })?;
    let mut name = None;
    let mut filename = None;
    for parameter in line.split(';').skip(1) {
        let Some((key, value)) = parameter.trim().split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('"').to_owned();
        match key.trim() {
            "name" => name = Some(value),
            "filename" => filename = Some(value),
            _ => {}
        }
    }
    Some((name?, filename))
}

/// Where `needle` first occurs in `haystack` at or after `from`.
fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let tail = haystack.get(from..)?;
    if needle.is_empty() || tail.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    let mut offset = 0;
    while let Some(i) = memchr(first, &tail[offset..]) {
        let at = offset + i;
        if tail.get(at..at + needle.len())? == needle {
            return Some(from + at);
        }
        offset = at + 1;
    }
    None
}

fn memchr(byte: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_twines_form_without_copying_the_file() {
        let body = Bytes::from_static(
            b"--XyZ\r\nContent-Disposition: form-data; name=\":action\"\r\n\r\nfile_upload\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"content\"; filename=\"hello-1.0-py3-none-any.whl\"\r\n\
Content-Type: application/octet-stream\r\n\r\nPK\x03\x04\r\n--Xy\r\n\r\n--XyZ--\r\n",
        );
        let parts = parse(&body, "XyZ").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!((parts[0].name.as_str(), parts[0].text().as_str()), (":action", "file_upload"));
        assert_eq!(parts[1].filename.as_deref(), Some("hello-1.0-py3-none-any.whl"));
        // A near-boundary inside the file is content.
        assert_eq!(&parts[1].content[..], b"PK\x03\x04\r\n--Xy\r\n");
    }

    #[test]
    fn refuses_what_is_not_a_form() {
        assert_eq!(parse(&Bytes::from_static(b"garbage"), "XyZ"), None);
        assert_eq!(parse(&Bytes::from_static(b"--XyZ\r\nno end"), "XyZ"), None);
        assert_eq!(boundary("multipart/form-data; boundary=\"abc\"").as_deref(), Some("abc"));
        assert_eq!(boundary("application/json"), None);
    }
}
