//! A small JSON value: enough to build and read the payloads components exchange,
//! hand-written on std (no serde). `Json::to_string()` writes compact JSON with every
//! string escaped as RFC 8259 requires; [`Json::parse`] reads any JSON text (nesting up
//! to [`MAX_DEPTH`]). Objects keep their members' order (a Vec of pairs): small
//! payloads, and a reply then reads as it was written.

use crate::Error;
use std::fmt::{self, Write};

/// The deepest nesting [`Json::parse`] accepts (the host's codec refuses deeper).
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// An integer written without fraction or exponent (that fits an i64).
    Int(i64),
    /// Any other number (NaN and infinities are written as null).
    Float(f64),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// An object from (key, value) pairs: `Json::object([("n", 1.into())])`.
    pub fn object<K: Into<String>, I: IntoIterator<Item = (K, Json)>>(members: I) -> Json {
        Json::Object(members.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// An array from values.
    pub fn array<I: IntoIterator<Item = Json>>(items: I) -> Json {
        Json::Array(items.into_iter().collect())
    }

    /// Parses one JSON text (surrounding whitespace allowed); `MalformedPayload` when it
    /// is not JSON, `TooDeep` beyond [`MAX_DEPTH`].
    pub fn parse(text: &str) -> Result<Json, Error> {
        let mut p = Parser { s: text.as_bytes(), i: 0 };
        let v = p.value(0)?;
        p.ws();
        if p.i != p.s.len() {
            return Err(Error::MalformedPayload);
        }
        Ok(v)
    }

    /// The JSON prefix and the text: a payload ready to send.
    pub fn to_payload(&self) -> Vec<u8> {
        let mut out = crate::PREFIX_JSON.to_vec();
        out.extend_from_slice(self.to_string().as_bytes());
        out
    }

    /// A member of an object (the first of that key), or None.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// An element of an array, or None.
    pub fn at(&self, i: usize) -> Option<&Json> {
        match self {
            Json::Array(a) => a.get(i),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Json::Int(v) => Some(v),
            Json::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Json::Int(v) => Some(v as f64),
            Json::Float(f) => Some(f),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Json::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }
}

/// Writes `s` as a JSON string literal, quotes included, escaping `"`, `\` and every
/// control character.
pub fn write_str(out: &mut impl Write, s: &str) -> fmt::Result {
    out.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => out.write_str("\\\"")?,
            '\\' => out.write_str("\\\\")?,
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            '\t' => out.write_str("\\t")?,
            '\u{8}' => out.write_str("\\b")?,
            '\u{c}' => out.write_str("\\f")?,
            c if (c as u32) < 0x20 => write!(out, "\\u{:04x}", c as u32)?,
            c => out.write_char(c)?,
        }
    }
    out.write_char('"')
}

/// `s` as a JSON string literal (quotes included).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    let _ = write_str(&mut out, s);
    out
}

impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Json::Null => f.write_str("null"),
            Json::Bool(b) => f.write_str(if *b { "true" } else { "false" }),
            Json::Int(v) => write!(f, "{}", v),
            Json::Float(v) if v.is_finite() => {
                // Rust writes 1e300 as 1000...0 and 0.5 as 0.5: both JSON numbers.
                write!(f, "{}", v)
            }
            Json::Float(_) => f.write_str("null"),
            Json::Str(s) => write_str(f, s),
            Json::Array(a) => {
                f.write_char('[')?;
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write!(f, "{}", v)?;
                }
                f.write_char(']')
            }
            Json::Object(m) => {
                f.write_char('{')?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write_str(f, k)?;
                    write!(f, ":{}", v)?;
                }
                f.write_char('}')
            }
        }
    }
}

macro_rules! from_int {
    ($($t:ty),*) => { $(impl From<$t> for Json { fn from(v: $t) -> Json { Json::Int(v as i64) } })* };
}
from_int!(i8, i16, i32, i64, u8, u16, u32);

impl From<u64> for Json {
    fn from(v: u64) -> Json {
        if v <= i64::MAX as u64 { Json::Int(v as i64) } else { Json::Float(v as f64) }
    }
}
impl From<f64> for Json {
    fn from(v: f64) -> Json {
        Json::Float(v)
    }
}
impl From<bool> for Json {
    fn from(v: bool) -> Json {
        Json::Bool(v)
    }
}
impl From<&str> for Json {
    fn from(v: &str) -> Json {
        Json::Str(v.to_string())
    }
}
impl From<String> for Json {
    fn from(v: String) -> Json {
        Json::Str(v)
    }
}
impl From<crate::Id> for Json {
    fn from(v: crate::Id) -> Json {
        Json::from(v.0)
    }
}
impl<T: Into<Json>> From<Vec<T>> for Json {
    fn from(v: Vec<T>) -> Json {
        Json::Array(v.into_iter().map(Into::into).collect())
    }
}
impl<T: Into<Json>> From<Option<T>> for Json {
    fn from(v: Option<T>) -> Json {
        v.map_or(Json::Null, Into::into)
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

const BAD: Error = Error::MalformedPayload;

impl<'a> Parser<'a> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> Result<(), Error> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(BAD)
        }
    }

    fn lit(&mut self, word: &str, v: Json) -> Result<Json, Error> {
        if self.s[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(BAD)
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, Error> {
        if depth > MAX_DEPTH {
            return Err(Error::TooDeep);
        }
        self.ws();
        match self.peek().ok_or(BAD)? {
            b'n' => self.lit("null", Json::Null),
            b't' => self.lit("true", Json::Bool(true)),
            b'f' => self.lit("false", Json::Bool(false)),
            b'"' => Ok(Json::Str(self.string()?)),
            b'[' => {
                self.i += 1;
                let mut a = Vec::new();
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(Json::Array(a));
                }
                loop {
                    a.push(self.value(depth + 1)?);
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Json::Array(a));
                        }
                        _ => return Err(BAD),
                    }
                }
            }
            b'{' => {
                self.i += 1;
                let mut m = Vec::new();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    return Ok(Json::Object(m));
                }
                loop {
                    self.ws();
                    let k = self.string()?;
                    self.ws();
                    self.eat(b':')?;
                    let v = self.value(depth + 1)?;
                    m.push((k, v));
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Json::Object(m));
                        }
                        _ => return Err(BAD),
                    }
                }
            }
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(BAD),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while self.peek().map_or(false, |c| c.is_ascii_digit()) {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Result<Json, Error> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let int_start = self.i;
        let n = self.digits();
        if n == 0 || (n > 1 && self.s[int_start] == b'0') {
            return Err(BAD);
        }
        let mut integral = true;
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(BAD);
            }
            integral = false;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(BAD);
            }
            integral = false;
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).map_err(|_| BAD)?;
        if integral {
            if let Ok(v) = text.parse::<i64>() {
                return Ok(Json::Int(v));
            }
        }
        text.parse::<f64>().map(Json::Float).map_err(|_| BAD)
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let h = self.s.get(self.i..self.i + 4).ok_or(BAD)?;
        let h = std::str::from_utf8(h).map_err(|_| BAD)?;
        let v = u32::from_str_radix(h, 16).map_err(|_| BAD)?;
        self.i += 4;
        Ok(v)
    }

    fn string(&mut self) -> Result<String, Error> {
        self.eat(b'"')?;
        let mut out = Vec::new();
        loop {
            let c = self.peek().ok_or(BAD)?;
            self.i += 1;
            match c {
                b'"' => return String::from_utf8(out).map_err(|_| BAD),
                b'\\' => {
                    let e = self.peek().ok_or(BAD)?;
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let cp = if (0xd800..0xdc00).contains(&hi) {
                                self.eat(b'\\')?;
                                self.eat(b'u')?;
                                let lo = self.hex4()?;
                                if !(0xdc00..0xe000).contains(&lo) {
                                    return Err(BAD);
                                }
                                0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00)
                            } else {
                                hi
                            };
                            char::from_u32(cp).ok_or(BAD)?
                        }
                        _ => return Err(BAD),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                c if c < 0x20 => return Err(BAD),
                c => out.push(c),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_reads_back() {
        let v = Json::object([
            ("s", Json::from("a\"b\\c\n\u{1}é😀")),
            ("n", Json::from(-42)),
            ("f", Json::from(2.5)),
            ("a", Json::array([Json::Null, true.into(), Json::array([])])),
            ("o", Json::object::<&str, _>([])),
        ]);
        let text = v.to_string();
        assert_eq!(text,
                   "{\"s\":\"a\\\"b\\\\c\\n\\u0001é😀\",\"n\":-42,\"f\":2.5,\"a\":[null,true,[]],\"o\":{}}");
        assert_eq!(Json::parse(&text).unwrap(), v);
        assert_eq!(v.to_payload()[..2], [0x80, 0x04]);
    }

    #[test]
    fn parses_escapes_numbers_and_refuses_garbage() {
        assert_eq!(Json::parse(" \"\\u00e9\\ud83d\\ude00\\/\" ").unwrap(), Json::from("é😀/"));
        assert_eq!(Json::parse("1e3").unwrap(), Json::Float(1000.0));
        assert_eq!(Json::parse("-0").unwrap(), Json::Int(0));
        assert_eq!(Json::parse("99999999999999999999").unwrap().as_f64(), Some(1e20));
        for bad in ["", "01", "1.", "[1,]", "{\"a\"}", "\"\\x\"", "tru", "\"\u{1}\"", "[] []",
                    "\"\\ud800\""] {
            assert_eq!(Json::parse(bad), Err(Error::MalformedPayload), "{:?}", bad);
        }
        let deep = "[".repeat(MAX_DEPTH + 2) + &"]".repeat(MAX_DEPTH + 2);
        assert_eq!(Json::parse(&deep), Err(Error::TooDeep));
    }

    #[test]
    fn accessors() {
        let v = Json::parse("{\"a\":[1,\"x\",false]}").unwrap();
        let a = v.get("a").unwrap();
        assert_eq!(a.at(0).and_then(Json::as_i64), Some(1));
        assert_eq!(a.at(1).and_then(Json::as_str), Some("x"));
        assert_eq!(a.at(2).and_then(Json::as_bool), Some(false));
        assert!(v.get("b").is_none());
    }
}
