//! Serde for byte vectors as one byte string rather than a sequence of `u8`s.
//!
//! The encoding postcard writes is the same either way (a length, then the bytes), but read back
//! as a sequence every byte goes through the deserializer's visitor one call at a time: for a
//! saved module's code that was most of the work of loading it from the cache.

use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A `Vec<u8>` that serializes as one byte string.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ByteBuf(pub Vec<u8>);

impl Serialize for ByteBuf {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize(&self.0, serializer)
    }
}

impl<'de> Deserialize<'de> for ByteBuf {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize(deserializer).map(ByteBuf)
    }
}

/// Borrowed bytes that serialize as one byte string (read back as a [`ByteBuf`]).
pub struct Bytes<'a>(pub &'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize(self.0, serializer)
    }
}

/// For `#[serde(with = "crate::byte_buf")]` on a `Vec<u8>` field.
pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_bytes(bytes)
}

/// For `#[serde(with = "crate::byte_buf")]` on a `Vec<u8>` field.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
    deserializer.deserialize_byte_buf(BytesVisitor)
}

struct BytesVisitor;

impl<'de> Visitor<'de> for BytesVisitor {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a byte string")
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Vec<u8>, E> {
        Ok(bytes.to_vec())
    }

    fn visit_byte_buf<E: de::Error>(self, bytes: Vec<u8>) -> Result<Vec<u8>, E> {
        Ok(bytes)
    }

    /// Formats without byte strings hand them over as sequences.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
        let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 20));
        while let Some(byte) = seq.next_element()? {
            bytes.push(byte);
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postcard_writes_the_same_bytes_as_for_a_sequence_and_reads_them_back() {
        let data: Vec<u8> = (0..=255).chain(0..=255).collect();
        let as_seq = postcard::to_stdvec(&data).unwrap();
        let as_bytes = postcard::to_stdvec(&ByteBuf(data.clone())).unwrap();
        assert_eq!(as_seq, as_bytes);
        let back: ByteBuf = postcard::from_bytes(&as_seq).unwrap();
        assert_eq!(back.0, data);
    }
}
