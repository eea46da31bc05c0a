//! `v128` values on the command line, in the spec's text syntax: a shape and its lanes, lane 0
//! first (`i32x4 1 2 3 4`, `f64x2 0.5 -inf`, `i8x16 0 1 ... 15`).

/// Parses `SHAPE LANE...`. Integer lanes may be signed or unsigned, decimal or `0x` hex; float
/// lanes take what Rust's float parser takes (`1.5`, `-0`, `inf`, `NaN`).
pub fn parse(text: &str) -> Option<u128> {
    let mut words = text.split_whitespace();
    let shape = words.next()?;
    let lanes: Vec<&str> = words.collect();
    let (bits, count) = match shape {
        "i8x16" => (8, 16),
        "i16x8" => (16, 8),
        "i32x4" | "f32x4" => (32, 4),
        "i64x2" | "f64x2" => (64, 2),
        _ => return None,
    };
    if lanes.len() != count {
        return None;
    }
    let mut value = 0u128;
    for (i, lane) in lanes.iter().enumerate() {
        let raw = match shape {
            "f32x4" => u128::from(lane.parse::<f32>().ok()?.to_bits()),
            "f64x2" => u128::from(lane.parse::<f64>().ok()?.to_bits()),
            _ => int_lane(lane, bits)?,
        };
        value |= raw << (i * bits);
    }
    Some(value)
}

/// An integer lane of `bits` bits, signed or unsigned, as its bit pattern.
fn int_lane(text: &str, bits: usize) -> Option<u128> {
    let value = crate::run::parse_int(text)?;
    let (min, max) = (-(1i128 << (bits - 1)), (1i128 << bits) - 1);
    (min..=max).contains(&value).then(|| (value as u128) & ((1u128 << bits) - 1))
}

/// Formats a `v128` as four `i32` lanes, signed: `i32x4 1 2 3 -4`.
pub fn format(value: u128) -> String {
    let lanes: Vec<String> = (0..4).map(|i| (((value >> (32 * i)) as u32) as i32).to_string()).collect();
    format!("i32x4 {}", lanes.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lane_zero_is_the_least_significant() {
        assert_eq!(parse("i32x4 1 2 3 4"), Some(0x00000004_00000003_00000002_00000001));
        assert_eq!(
            parse("i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15"),
            Some(0x0f0e0d0c_0b0a0908_07060504_03020100)
        );
        assert_eq!(parse("i64x2 -1 0x10"), Some((0x10u128 << 64) | 0xffff_ffff_ffff_ffff));
        assert_eq!(parse("f32x4 1 -0 0.5 inf"), Some(0x7f800000_3f000000_80000000_3f800000));
        assert_eq!(parse("i16x8 -32768 65535 0 0 0 0 0 0"), Some(0xffff_8000));
    }

    #[test]
    fn rejects_wrong_shapes_counts_and_ranges() {
        assert_eq!(parse("i32x4 1 2 3"), None);
        assert_eq!(parse("i32x3 1 2 3"), None);
        assert_eq!(parse("i8x16 256 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0"), None);
        assert_eq!(parse("i8x16 -129 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0"), None);
        assert_eq!(parse("0x1"), None);
    }

    #[test]
    fn formats_signed_i32_lanes() {
        assert_eq!(format(0xffffffff_00000003_00000002_00000001), "i32x4 1 2 3 -1");
    }
}
