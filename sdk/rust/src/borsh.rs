//! Borsh (https://borsh.io), the binary codec of multicodec 0x701, for the types a
//! payload usually carries: integers (little-endian, fixed width), bool (one byte, 0 or
//! 1), strings and byte strings (a u32 length, then the bytes), Vec<T> (a u32 count,
//! then the elements), Option<T> (0, or 1 and the value), tuples. A struct writes its
//! fields in order with [`ToBorsh`] and reads them back with a [`Reader`]. The host does
//! not parse Borsh: both ends agree on the layout.

use crate::Error;

/// Writes a value's Borsh encoding.
pub trait ToBorsh {
    fn write_borsh(&self, out: &mut Vec<u8>);
}

/// Reads a value back; `MalformedPayload` when the bytes are short or wrong.
pub trait FromBorsh: Sized {
    fn read_borsh(r: &mut Reader<'_>) -> Result<Self, Error>;
}

/// The encoding of `v` without prefix.
pub fn to_vec<T: ToBorsh + ?Sized>(v: &T) -> Vec<u8> {
    let mut out = Vec::new();
    v.write_borsh(&mut out);
    out
}

/// The Borsh prefix and the encoding of `v`: a payload ready to send.
pub fn to_payload<T: ToBorsh + ?Sized>(v: &T) -> Vec<u8> {
    let mut out = crate::PREFIX_BORSH.to_vec();
    v.write_borsh(&mut out);
    out
}

/// A `T` out of all of `bytes` (no prefix): trailing bytes are an error.
pub fn from_slice<T: FromBorsh>(bytes: &[u8]) -> Result<T, Error> {
    let mut r = Reader::new(bytes);
    let v = T::read_borsh(&mut r)?;
    if r.remaining() != 0 {
        return Err(Error::MalformedPayload);
    }
    Ok(v)
}

/// A cursor over Borsh bytes.
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, at: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }

    /// The next n bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if n > self.remaining() {
            return Err(Error::MalformedPayload);
        }
        let s = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }

    pub fn read<T: FromBorsh>(&mut self) -> Result<T, Error> {
        T::read_borsh(self)
    }

    fn len(&mut self) -> Result<usize, Error> {
        Ok(u32::read_borsh(self)? as usize)
    }
}

macro_rules! ints {
    ($($t:ty),*) => {$(
        impl ToBorsh for $t {
            fn write_borsh(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
        impl FromBorsh for $t {
            fn read_borsh(r: &mut Reader<'_>) -> Result<Self, Error> {
                let b = r.take(std::mem::size_of::<$t>())?;
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(b);
                Ok(<$t>::from_le_bytes(a))
            }
        }
    )*};
}
ints!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128, f32, f64);

impl ToBorsh for bool {
    fn write_borsh(&self, out: &mut Vec<u8>) {
        out.push(*self as u8);
    }
}
impl FromBorsh for bool {
    fn read_borsh(r: &mut Reader<'_>) -> Result<Self, Error> {
        match r.take(1)?[0] {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(Error::MalformedPayload),
        }
    }
}

fn write_len(n: usize, out: &mut Vec<u8>) {
    // Longer than u32 cannot cross the host (max_message_bytes is far below it).
    (n.min(u32::MAX as usize) as u32).write_borsh(out);
}

impl ToBorsh for str {
    fn write_borsh(&self, out: &mut Vec<u8>) {
        write_len(self.len(), out);
        out.extend_from_slice(self.as_bytes());
    }
}
impl ToBorsh for String {
    fn write_borsh(&self, out: &mut Vec<u8>) {
        self.as_str().write_borsh(out)
    }
}
impl FromBorsh for String {
    fn read_borsh(r: &mut Reader<'_>) -> Result<Self, Error> {
        let n = r.len()?;
        let b = r.take(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| Error::MalformedPayload)
    }
}

/// A byte string or any sequence: a u32 count and the elements (for u8: the bytes).
impl<T: ToBorsh> ToBorsh for [T] {
    fn write_borsh(&self, out: &mut Vec<u8>) {
        write_len(self.len(), out);
        for v in self {
            v.write_borsh(out);
        }
    }
}
impl<T: ToBorsh> ToBorsh for Vec<T> {
    fn write_borsh(&self, out: &mut Vec<u8>) {
        self.as_slice().write_borsh(out)
    }
}
impl<T: FromBorsh> FromBorsh for Vec<T> {
    fn read_borsh(r: &mut Reader<'_>) -> Result<Self, Error> {
        let n = r.len()?;
        // Each element takes at least one byte: a count beyond what is left is a lie,
        // not an allocation to make.
        if n > r.remaining() && std::mem::size_of::<T>() > 0 {
            return Err(Error::MalformedPayload);
        }
        (0..n).map(|_| T::read_borsh(r)).collect()
    }
}

impl<T: ToBorsh> ToBorsh for Option<T> {
    fn write_borsh(&self, out: &mut Vec<u8>) {
        match self {
            None => out.push(0),
            Some(v) => {
                out.push(1);
                v.write_borsh(out);
            }
        }
    }
}
impl<T: FromBorsh> FromBorsh for Option<T> {
    fn read_borsh(r: &mut Reader<'_>) -> Result<Self, Error> {
        match r.take(1)?[0] {
            0 => Ok(None),
            1 => Ok(Some(T::read_borsh(r)?)),
            _ => Err(Error::MalformedPayload),
        }
    }
}

impl<T: ToBorsh + ?Sized> ToBorsh for &T {
    fn write_borsh(&self, out: &mut Vec<u8>) {
        (**self).write_borsh(out)
    }
}

macro_rules! tuples {
    ($(($($n:ident $i:tt),*)),*) => {$(
        impl<$($n: ToBorsh),*> ToBorsh for ($($n,)*) {
            fn write_borsh(&self, out: &mut Vec<u8>) {
                $(self.$i.write_borsh(out);)*
            }
        }
        impl<$($n: FromBorsh),*> FromBorsh for ($($n,)*) {
            fn read_borsh(r: &mut Reader<'_>) -> Result<Self, Error> {
                Ok(($($n::read_borsh(r)?,)*))
            }
        }
    )*};
}
tuples!((A 0, B 1), (A 0, B 1, C 2), (A 0, B 1, C 2, D 3));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_borsh() {
        assert_eq!(to_vec(&0x0102u16), [2, 1]);
        assert_eq!(to_vec(&-2i32), [0xfe, 0xff, 0xff, 0xff]);
        assert_eq!(to_vec("hé"), [3, 0, 0, 0, b'h', 0xc3, 0xa9]);
        assert_eq!(to_vec(&vec![1u16, 2]), [2, 0, 0, 0, 1, 0, 2, 0]);
        assert_eq!(to_vec(&Some(true)), [1, 1]);
        assert_eq!(to_vec(&None::<u8>), [0]);
        assert_eq!(to_payload(&7u8), [0x81, 0x0e, 7]);
    }

    #[test]
    fn reads_back_and_refuses_short_input() {
        let v = (42u64, String::from("x"), vec![vec![1u8, 2], vec![]], Some(-5i8));
        let b = to_vec(&v);
        assert_eq!(from_slice::<(u64, String, Vec<Vec<u8>>, Option<i8>)>(&b), Ok(v));
        assert_eq!(from_slice::<u32>(&[1, 2, 3]), Err(Error::MalformedPayload));
        assert_eq!(from_slice::<u8>(&[1, 2]), Err(Error::MalformedPayload));
        assert_eq!(from_slice::<bool>(&[2]), Err(Error::MalformedPayload));
        assert_eq!(from_slice::<Vec<u8>>(&[0xff, 0xff, 0xff, 0xff]), Err(Error::MalformedPayload));
    }
}
