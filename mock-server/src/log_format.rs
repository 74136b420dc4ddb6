//! The log line's fields and timestamp, written the way `tracing_subscriber::fmt` writes them
//! without colours, minus the cost of its colour machinery.
//!
//! With ANSI off, tracing-subscriber still paints every field name and `=` through
//! `nu_ansi_term` (an empty style, but a `Display` round trip each), and formats its timestamp
//! field by field: together about a third of a request's instructions on the error path
//! (docs/performance.md). [`PlainFields`] and [`UtcMicros`] produce byte-identical text (a
//! test compares them with tracing-subscriber's own output) for log files and pipes; a
//! terminal keeps tracing-subscriber's coloured format.

use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;
use tracing_subscriber::fmt::FormatFields;

/// `message k=v k=v`: the fields of an event or span, as tracing-subscriber's default field
/// formatter writes them with ANSI off.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainFields;

impl<'writer> FormatFields<'writer> for PlainFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut visitor = PlainVisitor {
            sanitize: writer.sanitizes_ansi_escapes(),
            writer,
            is_empty: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

struct PlainVisitor<'writer> {
    writer: Writer<'writer>,
    sanitize: bool,
    is_empty: bool,
    result: fmt::Result,
}

impl PlainVisitor<'_> {
    /// A space before every field but the first.
    fn pad(&mut self) {
        if self.is_empty {
            self.is_empty = false;
        } else {
            self.result = self.writer.write_char(' ');
        }
    }

    /// `name=` (a raw identifier's `r#` dropped), after the separating space.
    fn name(&mut self, field: &Field) {
        self.pad();
        let name = field.name();
        let name = name.strip_prefix("r#").unwrap_or(name);
        if self.result.is_ok() {
            self.result = self
                .writer
                .write_str(name)
                .and_then(|()| self.writer.write_char('='));
        }
    }

    /// An integer field, its digits already written out (as `Debug` would write them).
    fn number(&mut self, field: &Field, digits: &str) {
        if self.result.is_err() {
            return;
        }
        if field.name() == "message" {
            return self.message(format_args!("{digits}"));
        }
        self.name(field);
        if self.result.is_ok() {
            self.result = self.writer.write_str(digits);
        }
    }

    fn message(&mut self, value: fmt::Arguments<'_>) {
        self.pad();
        if self.result.is_err() {
            return;
        }
        self.result = if self.sanitize {
            write!(Escaping(&mut self.writer), "{value}")
        } else {
            self.writer.write_fmt(value)
        };
    }
}

impl Visit for PlainVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if self.result.is_err() {
            return;
        }
        if field.name() == "message" {
            self.message(format_args!("{value}"));
        } else {
            self.name(field);
            if self.result.is_ok() {
                self.result = write!(self.writer, "{value:?}");
            }
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.number(field, itoa::Buffer::new().format(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.number(field, itoa::Buffer::new().format(value));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        if self.result.is_err() {
            return;
        }
        let sanitize = self.sanitize;
        let shown = Sanitized(value, sanitize);
        match value.source() {
            Some(source) => {
                let sources = Sources(source, sanitize);
                let name = field.name();
                self.record_debug(field, &format_args!("{shown} {name}.sources={sources}"));
            }
            None => self.record_debug(field, &format_args!("{shown}")),
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.result.is_err() {
            return;
        }
        if field.name() == "message" {
            return self.message(format_args!("{value:?}"));
        }
        self.name(field);
        if self.result.is_ok() {
            self.result = write!(self.writer, "{value:?}");
        }
    }
}

/// A `fmt::Write` that spells out the characters a terminal would act on, as
/// tracing-subscriber does for messages (no log line can move a cursor or ring a bell).
struct Escaping<'a, W>(&'a mut W);

impl<W: fmt::Write> fmt::Write for Escaping<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // Runs of harmless characters are copied at once.
        let mut start = 0;
        for (at, ch) in s.char_indices() {
            let escape = matches!(ch, '\x1b' | '\x07' | '\x08' | '\x0c' | '\x7f')
                || ('\u{80}'..='\u{9f}').contains(&ch);
            if escape {
                self.0.write_str(&s[start..at])?;
                if (ch as u32) < 0x80 {
                    write!(self.0, "\\x{:02x}", ch as u32)?;
                } else {
                    write!(self.0, "\\u{{{:x}}}", ch as u32)?;
                }
                start = at + ch.len_utf8();
            }
        }
        self.0.write_str(&s[start..])
    }
}

/// A value's `Display`, escaped when the writer sanitizes.
struct Sanitized<T>(T, bool);

impl<T: fmt::Display> fmt::Display for Sanitized<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.1 {
            write!(Escaping(f), "{}", self.0)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

impl<T: fmt::Display> fmt::Debug for Sanitized<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `[error, its source, ...]`, as tracing-subscriber lists an error's sources.
struct Sources<'a>(&'a (dyn std::error::Error + 'static), bool);

impl fmt::Display for Sources<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        let mut current = Some(self.0);
        while let Some(error) = current {
            list.entry(&Sanitized(error, self.1));
            current = error.source();
        }
        list.finish()
    }
}

/// `2026-11-28T19:13:53.200013Z`: tracing-subscriber's default timestamp (UTC, microseconds),
/// written by humantime in one pass.
#[derive(Debug, Clone, Copy, Default)]
pub struct UtcMicros;

impl FormatTime for UtcMicros {
    fn format_time(&self, w: &mut Writer<'_>) -> fmt::Result {
        write!(
            w,
            "{}",
            humantime::format_rfc3339_micros(std::time::SystemTime::now())
        )
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::fmt::MakeWriter;

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Self;
        fn make_writer(&'a self) -> Self {
            self.clone()
        }
    }

    #[derive(Debug)]
    struct Outer(Inner);
    #[derive(Debug)]
    struct Inner;
    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("outer \x1b[31mfailed")
        }
    }
    impl fmt::Display for Inner {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("inner cause")
        }
    }
    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }
    impl std::error::Error for Inner {}

    /// Every kind of event the mock logs, and the awkward ones it might.
    fn emit_events() {
        let error = Outer(Inner);
        tracing::info!(
            method = %"POST",
            path = %"/v1/authorization-token",
            operation = %"GetAuthorizationToken",
            access_key_id = %"AKIAIOSFODNN7EXAMPLE",
            status = 200u16,
            error = %"-",
            fault = 0u64,
            delay_ms = 0u64,
            latency_us = 14u64,
            "request"
        );
        tracing::info!(scenario = %"throttle", faults = 3usize, "scenario loaded");
        tracing::warn!("in-flight requests did not finish within the grace period");
        tracing::info!(
            text = "a \"quoted\" str\n",
            signed = -5i64,
            flag = true,
            float = 1.5f64,
            "mixed"
        );
        tracing::info!(debug = ?Some("x"), r#type = "raw", "escapes \x1b[2J \x07 \u{85} done");
        tracing::info!("no fields at all");
        tracing::info!(only = 1u64);
        tracing::info!(error = &error as &dyn std::error::Error, "with an error");
        tracing::info!(error = &Inner as &dyn std::error::Error, "without sources");
        tracing::info!(message = "explicit message", after = 2u64);
        let span = tracing::info_span!("connection", peer = %"127.0.0.1:1", id = 7u64);
        span.in_scope(|| tracing::info!(inside = true, "in a span"));
    }

    fn render(plain: bool) -> String {
        let captured = Captured::default();
        let builder = tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .with_ansi(false)
            .without_time();
        let dispatch = if plain {
            tracing::Dispatch::new(builder.fmt_fields(PlainFields).finish())
        } else {
            tracing::Dispatch::new(builder.finish())
        };
        tracing::dispatcher::with_default(&dispatch, emit_events);
        let bytes = captured.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn lines_are_byte_identical_to_tracing_subscribers_own() {
        let (ours, theirs) = (render(true), render(false));
        assert_eq!(ours.lines().count(), 11, "{ours}");
        for (our, their) in ours.lines().zip(theirs.lines()) {
            assert_eq!(our, their);
        }
        assert_eq!(ours, theirs);
    }

    #[test]
    fn the_timestamp_has_tracing_subscribers_shape() {
        let mut text = String::new();
        UtcMicros.format_time(&mut Writer::new(&mut text)).unwrap();
        // 2026-11-28T19:13:53.200013Z
        assert_eq!(text.len(), 27, "{text}");
        let bytes = text.as_bytes();
        for (at, expected) in [
            (4, b'-'),
            (7, b'-'),
            (10, b'T'),
            (13, b':'),
            (16, b':'),
            (19, b'.'),
            (26, b'Z'),
        ] {
            assert_eq!(bytes[at], expected, "{text}");
        }
        assert!(text
            .bytes()
            .enumerate()
            .all(|(i, b)| [4, 7, 10, 13, 16, 19, 26].contains(&i) || b.is_ascii_digit()));
    }
}
