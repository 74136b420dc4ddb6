//! Ruby's Marshal format 4.8, written: what RubyGems loads from
//! `quick/Marshal.4.8/NAME-VERSION.gemspec.rz` (a `Gem::Specification` through its `_dump`,
//! zlib-deflated) and Bundler from the Dependencies API (`api/v1/dependencies`: an array of
//! hashes with symbol keys). Only what those need is written: nil, booleans, small integers,
//! UTF-8 strings, symbols, arrays, hashes, plain objects, and the two user forms (`U`,
//! `marshal_dump`; `u`, `_dump`).

use super::{GemSpec, Requirement};

/// A Ruby value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `nil`.
    Nil,
    /// `true` or `false`.
    Bool(bool),
    /// An Integer (a Fixnum on the wire: within 32 bits).
    Int(i32),
    /// A UTF-8 String.
    Str(String),
    /// A Symbol.
    Sym(&'static str),
    /// An Array.
    Array(Vec<Value>),
    /// A Hash, in order.
    Hash(Vec<(Value, Value)>),
    /// An object of a class with no custom dump, with its instance variables (`@name`).
    Object(&'static str, Vec<(&'static str, Value)>),
    /// An object whose `marshal_dump` answered the value.
    UserMarshal(&'static str, Box<Value>),
    /// An object whose `_dump` answered these bytes.
    UserDefined(&'static str, Vec<u8>),
}

impl Value {
    /// A String, or `nil` for `None`.
    pub fn text(text: Option<&str>) -> Self {
        text.map_or(Self::Nil, |t| Self::Str(t.to_owned()))
    }
}

/// `value` as `Marshal.dump` writes it.
pub fn dump(value: &Value) -> Vec<u8> {
    let mut writer = Writer { out: vec![4, 8], symbols: Vec::new() };
    writer.value(value);
    writer.out
}

/// The bytes so far, and the symbols written (a repeated one is a link to its index).
struct Writer {
    out: Vec<u8>,
    symbols: Vec<&'static str>,
}

impl Writer {
    fn value(&mut self, value: &Value) {
        match value {
            Value::Nil => self.out.push(b'0'),
            Value::Bool(true) => self.out.push(b'T'),
            Value::Bool(false) => self.out.push(b'F'),
            Value::Int(number) => {
                self.out.push(b'i');
                self.long(i64::from(*number));
            }
            Value::Str(text) => {
                // A String with one instance variable: `E` true, its encoding is UTF-8.
                self.out.push(b'I');
                self.bytes(b'"', text.as_bytes());
                self.long(1);
                self.symbol("E");
                self.out.push(b'T');
            }
            Value::Sym(name) => self.symbol(name),
            Value::Array(items) => {
                self.out.push(b'[');
                self.length(items.len());
                items.iter().for_each(|item| self.value(item));
            }
            Value::Hash(pairs) => {
                self.out.push(b'{');
                self.length(pairs.len());
                for (key, item) in pairs {
                    self.value(key);
                    self.value(item);
                }
            }
            Value::Object(class, variables) => {
                self.out.push(b'o');
                self.symbol(class);
                self.length(variables.len());
                for (name, item) in variables {
                    self.symbol(name);
                    self.value(item);
                }
            }
            Value::UserMarshal(class, inner) => {
                self.out.push(b'U');
                self.symbol(class);
                self.value(inner);
            }
            Value::UserDefined(class, dumped) => {
                self.out.push(b'u');
                self.symbol(class);
                self.length(dumped.len());
                self.out.extend_from_slice(dumped);
            }
        }
    }

    /// A symbol: written out the first time, a link (`;INDEX`) after.
    fn symbol(&mut self, name: &'static str) {
        match self.symbols.iter().position(|s| *s == name) {
            Some(index) => {
                self.out.push(b';');
                self.length(index);
            }
            None => {
                self.symbols.push(name);
                self.bytes(b':', name.as_bytes());
            }
        }
    }

    fn bytes(&mut self, kind: u8, content: &[u8]) {
        self.out.push(kind);
        self.length(content.len());
        self.out.extend_from_slice(content);
    }

    fn length(&mut self, n: usize) {
        self.long(i64::try_from(n).unwrap_or(i64::MAX));
    }

    fn long(&mut self, n: i64) {
        pack_long(n, &mut self.out);
    }
}

/// Marshal's packed integer: 0 as one zero byte, -123..=122 offset by 5 in one byte, else
/// a signed byte count (at most 4) and that many little-endian bytes.
fn pack_long(n: i64, out: &mut Vec<u8>) {
    match n {
        0 => out.push(0),
        1..=122 => out.push(u8::try_from(n + 5).unwrap_or(0)),
        -123..=-1 => out.push(n.wrapping_sub(5).to_le_bytes()[0]),
        _ => {
            let le = n.to_le_bytes();
            let filler = if n > 0 { 0 } else { 0xff };
            let count = (8 - le.iter().rev().take_while(|&&b| b == filler).count()).clamp(1, 4);
            let count_byte = if n > 0 { count as u8 } else { 0u8.wrapping_sub(count as u8) };
            out.push(count_byte);
            out.extend_from_slice(&le[..count]);
        }
    }
}

fn version(number: &str) -> Value {
    Value::UserMarshal("Gem::Version", Box::new(Value::Array(vec![Value::Str(number.to_owned())])))
}

/// A `Gem::Requirement` (`>= 0` when empty, as RubyGems defaults it).
fn requirement(pairs: &Requirement) -> Value {
    let pairs: Vec<Value> = if pairs.is_empty() {
        vec![Value::Array(vec![Value::Str(">=".to_owned()), version("0")])]
    } else {
        pairs
            .iter()
            .map(|(op, number)| Value::Array(vec![Value::Str(op.clone()), version(number)]))
            .collect()
    };
    Value::UserMarshal("Gem::Requirement", Box::new(Value::Array(vec![Value::Array(pairs)])))
}

/// `spec` as `Gem::Specification#_dump` writes it, in the field order `_load` reads
/// (specification version 4).
pub fn specification(spec: &GemSpec) -> Vec<u8> {
    let dependencies = spec
        .dependencies
        .iter()
        .map(|d| {
            let kind = if d.kind == "development" { "development" } else { "runtime" };
            Value::Object(
                "Gem::Dependency",
                vec![
                    ("@name", Value::Str(d.name.clone())),
                    ("@requirement", requirement(&d.requirement)),
                    ("@type", Value::Sym(kind)),
                    ("@prerelease", Value::Bool(false)),
                ],
            )
        })
        .collect();
    let email = match spec.email.as_slice() {
        [] => Value::Nil,
        [one] => Value::Str(one.clone()),
        many => Value::Array(many.iter().cloned().map(Value::Str).collect()),
    };
    let metadata = spec
        .metadata
        .iter()
        .map(|(key, item)| (Value::Str(key.clone()), Value::Str(item.clone())))
        .collect();
    let fields = Value::Array(vec![
        Value::text(Some(spec.rubygems_version.as_deref().unwrap_or("3.3.15"))),
        Value::Int(4),
        Value::Str(spec.name.clone()),
        version(&spec.version),
        Value::text(spec.date.as_deref()),
        Value::text(Some(spec.summary.as_deref().unwrap_or(""))),
        requirement(&spec.required_ruby_version),
        requirement(&spec.required_rubygems_version),
        Value::Str(spec.platform.clone()),
        Value::Array(dependencies),
        Value::Nil,
        email,
        Value::Array(spec.authors.iter().cloned().map(Value::Str).collect()),
        Value::text(spec.description.as_deref()),
        Value::text(spec.homepage.as_deref()),
        Value::Bool(true),
        Value::Str(spec.platform.clone()),
        Value::Array(spec.licenses.iter().cloned().map(Value::Str).collect()),
        Value::Hash(metadata),
    ]);
    dump(&Value::UserDefined("Gem::Specification", dump(&fields)))
}

/// The `.gemspec.rz` of `spec`: its Marshal dump, zlib-deflated.
pub fn quick_spec(spec: &GemSpec) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(&specification(spec), 6)
}

/// The Dependencies API's answer: for each build, its name, version, platform and runtime
/// dependencies (`[name, "REQUIREMENT, ..."]`).
pub fn dependencies_answer<'a>(specs: impl Iterator<Item = &'a GemSpec>) -> Vec<u8> {
    let entries = specs
        .map(|spec| {
            let dependencies = spec
                .runtime_requirements()
                .map(|(name, requirement)| Value::Array(vec![Value::Str(name.to_owned()), Value::Str(requirement)]))
                .collect();
            Value::Hash(vec![
                (Value::Sym("name"), Value::Str(spec.name.clone())),
                (Value::Sym("number"), Value::Str(spec.version.clone())),
                (Value::Sym("platform"), Value::Str(spec.platform.clone())),
                (Value::Sym("dependencies"), Value::Array(dependencies)),
            ])
        })
        .collect();
    dump(&Value::Array(entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_pack_as_ruby_packs_them() {
        let packed = |n: i64| {
            let mut out = Vec::new();
            pack_long(n, &mut out);
            out
        };
        // Marshal.dump(n)[2..] for each, as Ruby 3.1 writes it (after the `i`).
        assert_eq!(packed(0), [0]);
        assert_eq!(packed(1), [6]);
        assert_eq!(packed(122), [127]);
        assert_eq!(packed(123), [1, 123]);
        assert_eq!(packed(256), [2, 0, 1]);
        assert_eq!(packed(-1), [0xfa]);
        assert_eq!(packed(-124), [0xff, 0x84]);
        assert_eq!(packed(-256), [0xff, 0x00]);
        assert_eq!(packed(-257), [0xfe, 0xff, 0xfe]);
    }

    #[test]
    fn values_are_written_as_ruby_writes_them() {
        // Marshal.dump([nil, true, "hi", :a, {a: 1}]) in Ruby 3.1.
        let value = Value::Array(vec![
            Value::Nil,
            Value::Bool(true),
            Value::Str("hi".into()),
            Value::Sym("a"),
            Value::Hash(vec![(Value::Sym("a"), Value::Int(1))]),
        ]);
        assert_eq!(dump(&value), b"\x04\x08[\x0a0TI\"\x07hi\x06:\x06ET:\x06a{\x06;\x06i\x06");
    }
}
