//! A JSON value made by `arbitrary`, its object keys drawn mostly from the protocol's own, so a
//! body reaches past "unknown field" to the fields' values.

use arbitrary::Arbitrary;
use serde_json::{Map, Value};

/// A key the site or the client reads somewhere, or any other.
#[derive(Arbitrary, Debug, Clone)]
pub enum Key {
    Known(u8),
    Other(String),
}

/// The keys of docs/protocol.md's bodies and answers (admin API, steps, answers).
pub const KEYS: &[&str] = &[
    "applicant",
    "email",
    "subject",
    "kind",
    "approve",
    "enabled",
    "now",
    "frozen",
    "days",
    "hours",
    "minutes",
    "seconds",
    "endpoint",
    "application",
    "effect",
    "id",
    "status",
    "ms",
    "times",
    "forever",
    "probability",
    "seed",
    "title",
    "file_name",
    "content_type",
    "content",
    "password",
    "csr",
    "session",
    "step",
    "csp",
    "key",
    "algorithm",
    "length",
    "issue",
    "root",
    "certificate",
    "sha1",
    "sha256",
    "repository",
    "resumed",
    "serial",
    "complete",
    "confirm",
    "site",
    "login",
    "notice",
    "holder",
    "listing",
    "certificates",
    "not_before",
    "not_after",
    "error",
    "message",
    "detail",
    "documents",
    "size",
    "download",
    "state",
    "deadline",
];

impl Key {
    fn text(&self) -> String {
        match self {
            Self::Known(i) => KEYS[usize::from(*i) % KEYS.len()].to_owned(),
            Self::Other(s) => s.clone(),
        }
    }
}

/// A JSON value; nesting is bounded by the input's length.
#[derive(Arbitrary, Debug, Clone)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Unsigned(u64),
    Float(f64),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(Key, Json)>),
}

impl Json {
    pub fn value(&self) -> Value {
        match self {
            Self::Null => Value::Null,
            Self::Bool(b) => Value::Bool(*b),
            Self::Int(i) => Value::from(*i),
            Self::Unsigned(u) => Value::from(*u),
            // NaN and the infinities have no JSON form: null, as serde_json writes them.
            Self::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Self::Str(s) => Value::String(s.clone()),
            Self::Array(items) => Value::Array(items.iter().map(Self::value).collect()),
            Self::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.text(), v.value()))
                    .collect::<Map<_, _>>(),
            ),
        }
    }
}
