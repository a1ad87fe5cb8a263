//! Payloads: what a message, an ask, a reply or an invocation carries -- bytes that
//! start with a multicodec prefix (docs/ABI.md: JSON 0x0200, CBOR 0x51, Borsh 0x701),
//! or nothing. [`Payload`] is one as received, with decoders; [`AsPayload`] is anything
//! that can be sent: raw prefixed bytes, a [`Json`] value, a [`Borsh`]-wrapped value,
//! `()` for none. The few CBOR helpers mirror the C SDK's (an integer, a text string).

use crate::borsh::{self, FromBorsh, ToBorsh};
use crate::json::Json;
use crate::{Error, PREFIX_BORSH, PREFIX_CBOR, PREFIX_JSON};
use std::borrow::Cow;

/// Something that can be sent as a payload.
pub trait AsPayload {
    /// The payload's bytes, prefix included (empty for none).
    fn payload_bytes(&self) -> Cow<'_, [u8]>;
}

/// Raw bytes are sent as they are: they must start with a multicodec prefix.
impl AsPayload for [u8] {
    fn payload_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(self)
    }
}
impl<const N: usize> AsPayload for [u8; N] {
    fn payload_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(self)
    }
}
impl AsPayload for Vec<u8> {
    fn payload_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(self)
    }
}
/// No payload.
impl AsPayload for () {
    fn payload_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&[])
    }
}
impl AsPayload for Json {
    fn payload_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(self.to_payload())
    }
}
impl AsPayload for Payload {
    fn payload_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.0)
    }
}
impl<T: AsPayload + ?Sized> AsPayload for &T {
    fn payload_bytes(&self) -> Cow<'_, [u8]> {
        (**self).payload_bytes()
    }
}

/// A value sent as Borsh (prefix 0x81 0x0e): `send(to, 0, &Borsh((1u32, "x")))`.
pub struct Borsh<T>(pub T);

impl<T: ToBorsh> AsPayload for Borsh<T> {
    fn payload_bytes(&self) -> Cow<'_, [u8]> {
        Cow::Owned(borsh::to_payload(&self.0))
    }
}

/// A payload as received (prefix included; possibly empty).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Payload(pub Vec<u8>);

/// The codec a payload's prefix names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Json,
    Cbor,
    Borsh,
}

impl Payload {
    /// JSON text with the JSON prefix (the text must be one JSON value: the host
    /// parses it).
    pub fn json_text(text: &str) -> Payload {
        let mut v = PREFIX_JSON.to_vec();
        v.extend_from_slice(text.as_bytes());
        Payload(v)
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The codec of its prefix; None when empty or another codec.
    pub fn codec(&self) -> Option<Codec> {
        if self.0.starts_with(PREFIX_JSON) {
            Some(Codec::Json)
        } else if self.0.starts_with(PREFIX_BORSH) {
            Some(Codec::Borsh)
        } else if self.0.starts_with(PREFIX_CBOR) {
            Some(Codec::Cbor)
        } else {
            None
        }
    }

    /// The JSON text after the prefix; `UnknownCodec` when it is not JSON.
    pub fn text(&self) -> Result<&str, Error> {
        let t = self.0.strip_prefix(PREFIX_JSON).ok_or(Error::UnknownCodec)?;
        std::str::from_utf8(t).map_err(|_| Error::MalformedPayload)
    }

    /// The JSON value; `UnknownCodec` when not JSON, `MalformedPayload` when not valid.
    pub fn json(&self) -> Result<Json, Error> {
        Json::parse(self.text()?)
    }

    /// A Borsh value (all of the bytes after the prefix); `UnknownCodec` when not Borsh.
    pub fn borsh<T: FromBorsh>(&self) -> Result<T, Error> {
        let b = self.0.strip_prefix(PREFIX_BORSH).ok_or(Error::UnknownCodec)?;
        borsh::from_slice(b)
    }

    /// An integer: a JSON integer, a CBOR integer, or a Borsh i64 (like the C SDK's
    /// troupe_payload_int, plus Borsh). `Inval` when it holds something else.
    pub fn int(&self) -> Result<i64, Error> {
        match self.codec() {
            Some(Codec::Json) => self.json().ok().and_then(|v| match v {
                Json::Int(i) => Some(i),
                _ => None,
            }).ok_or(Error::Inval),
            Some(Codec::Cbor) => cbor_int(&self.0[1..]).ok_or(Error::Inval),
            Some(Codec::Borsh) => self.borsh::<i64>().map_err(|_| Error::Inval),
            None => Err(Error::UnknownCodec),
        }
    }

    /// A string: a JSON string, a CBOR text string, or a Borsh string. `Inval` when it
    /// holds something else.
    pub fn string(&self) -> Result<String, Error> {
        match self.codec() {
            Some(Codec::Json) => match self.json() {
                Ok(Json::Str(s)) => Ok(s),
                _ => Err(Error::Inval),
            },
            Some(Codec::Cbor) => cbor_text(&self.0[1..]).ok_or(Error::Inval),
            Some(Codec::Borsh) => self.borsh::<String>().map_err(|_| Error::Inval),
            None => Err(Error::UnknownCodec),
        }
    }
}

impl From<Vec<u8>> for Payload {
    fn from(v: Vec<u8>) -> Payload {
        Payload(v)
    }
}
impl From<Json> for Payload {
    fn from(v: Json) -> Payload {
        Payload(v.to_payload())
    }
}

/// A CBOR head (major type, argument) in shortest form.
fn cbor_head(out: &mut Vec<u8>, major: u8, v: u64) {
    let m = major << 5;
    if v < 24 {
        out.push(m | v as u8);
    } else if v <= 0xff {
        out.extend_from_slice(&[m | 24, v as u8]);
    } else if v <= 0xffff {
        out.push(m | 25);
        out.extend_from_slice(&(v as u16).to_be_bytes());
    } else if v <= 0xffff_ffff {
        out.push(m | 26);
        out.extend_from_slice(&(v as u32).to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend_from_slice(&v.to_be_bytes());
    }
}

fn cbor_read_head(b: &[u8]) -> Option<(u8, u64, usize)> {
    let first = *b.first()?;
    let info = first & 31;
    let n = match info {
        0..=23 => 0,
        24 => 1,
        25 => 2,
        26 => 4,
        27 => 8,
        _ => return None,
    };
    let mut v = if n == 0 { info as u64 } else { 0 };
    for &x in b.get(1..1 + n)? {
        v = (v << 8) | x as u64;
    }
    Some((first >> 5, v, 1 + n))
}

fn cbor_int(b: &[u8]) -> Option<i64> {
    let (major, v, n) = cbor_read_head(b)?;
    if n != b.len() || v > i64::MAX as u64 {
        return None;
    }
    match major {
        0 => Some(v as i64),
        1 => Some(-1 - v as i64),
        _ => None,
    }
}

fn cbor_text(b: &[u8]) -> Option<String> {
    let (major, v, n) = cbor_read_head(b)?;
    if major != 3 || v != (b.len() - n) as u64 {
        return None;
    }
    String::from_utf8(b[n..].to_vec()).ok()
}

/// The CBOR prefix and an integer.
pub fn cbor_int_payload(v: i64) -> Payload {
    let mut out = PREFIX_CBOR.to_vec();
    if v >= 0 {
        cbor_head(&mut out, 0, v as u64);
    } else {
        cbor_head(&mut out, 1, (-(v + 1)) as u64);
    }
    Payload(out)
}

/// The CBOR prefix and a text string.
pub fn cbor_text_payload(s: &str) -> Payload {
    let mut out = PREFIX_CBOR.to_vec();
    cbor_head(&mut out, 3, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
    Payload(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoders_read_what_the_encoders_write() {
        assert_eq!(Payload::json_text("17").int(), Ok(17));
        assert_eq!(Payload::json_text(" -3 ").int(), Ok(-3));
        assert_eq!(Payload::json_text("1.5").int(), Err(Error::Inval));
        assert_eq!(cbor_int_payload(-500).int(), Ok(-500));
        assert_eq!(cbor_int_payload(1 << 40).int(), Ok(1 << 40));
        assert_eq!(Payload(borsh::to_payload(&-9i64)).int(), Ok(-9));
        assert_eq!(Payload::json_text("\"a\\\"b\"").string().as_deref(), Ok("a\"b"));
        assert_eq!(cbor_text_payload("héllo").string().as_deref(), Ok("héllo"));
        assert_eq!(cbor_text_payload("x").bytes(), [0x51, 0x61, b'x']);
        assert_eq!(Payload(vec![0x99]).int(), Err(Error::UnknownCodec));
        assert_eq!(Payload::default().codec(), None);
        assert_eq!(Borsh(5u16).payload_bytes().as_ref(), [0x81, 0x0e, 5, 0]);
    }
}
