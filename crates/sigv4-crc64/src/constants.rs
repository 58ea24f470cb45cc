//! The CRC-64/NVME parameters and every constant derived from them, computed at compile time
//! by the `const fn`s below from the polynomial alone (no constant is pasted in).
//!
//! Representation: CRC-64/NVME is a *reflected* CRC, so a `u64` holds a polynomial of degree
//! below 64 with bit `i` the coefficient of `x^(63 - i)`: the first bit of the message is the
//! highest power, and the least significant bit of the first byte comes first. Multiplying by
//! `x` is a shift right by one.
//!
//! Only the x86_64 kernel uses them; the module (and its tests) compiles everywhere.
#![cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]

/// The CRC-64/NVME generator `P = x^64 + P'`, `P'` = 0xAD93D23594C93659 in the catalogue's
/// (normal) bit order, here reflected (`P'.reverse_bits()`).
pub(crate) const POLY: u64 = 0xAD93_D235_94C9_3659u64.reverse_bits();

/// The starting register and the final xor (all ones for CRC-64/NVME).
pub(crate) const INIT: u64 = u64::MAX;

/// `x^n mod P`, reflected, by `n` multiplications by `x` (a shift right; a coefficient shifted
/// past `x^63` becomes `x^64`, which is `P'` mod `P`).
pub(crate) const fn x_pow_mod(n: u32) -> u64 {
    let mut v = 1u64 << 63; // the polynomial 1
    let mut i = 0;
    while i < n {
        v = if v & 1 == 1 { (v >> 1) ^ POLY } else { v >> 1 };
        i += 1;
    }
    v
}

/// `floor(x^128 / P) - x^64` (the quotient has degree 64; its leading `x^64` is implicit),
/// reflected: the Barrett constant. Long division in the normal bit order (bit `d` is `x^d`).
pub(crate) const fn barrett_mu() -> u64 {
    let p = POLY.reverse_bits() as u128; // P' in the normal order
                                         // x^128 - x^64 * P = x^64 * P' (the quotient's x^64 term, taken first).
    let mut rem = p << 64;
    let mut quotient = 0u64;
    let mut d = 127;
    while d >= 64 {
        if (rem >> d) & 1 == 1 {
            quotient |= 1 << (d - 64);
            rem ^= (1u128 << d) ^ (p << (d - 64));
        }
        d -= 1;
    }
    quotient.reverse_bits()
}

/// The two multipliers that move a 128-bit block `D` bits further down the message, as
/// `[low, high]`: its first (low) 64 bits are multiplied by `x^(D+63) mod P`, its last (high)
/// 64 bits by `x^(D-1) mod P` (one power less than the distance each half moves, because a
/// carry-less product of two reflected values comes out multiplied by `x`).
pub(crate) const fn fold_by(d: u32) -> [u64; 2] {
    [x_pow_mod(d + 63), x_pow_mod(d - 1)]
}

/// The byte-at-a-time table (reflected): `TABLE[b]` is the register after the byte `b` from a
/// zero register.
pub(crate) const TABLE: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let mut v = b as u64;
        let mut i = 0;
        while i < 8 {
            v = if v & 1 == 1 { (v >> 1) ^ POLY } else { v >> 1 };
            i += 1;
        }
        t[b] = v;
        b += 1;
    }
    t
};

/// Advances the register `crc` over `data`, one byte at a time (the tails of the SIMD kernel).
pub(crate) fn update_bytes(mut crc: u64, data: &[u8]) -> u64 {
    for &b in data {
        crc = TABLE[usize::from(crc as u8 ^ b)] ^ (crc >> 8);
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Carry-less product in the normal bit order, done bit by bit (independent of the kernel).
    fn clmul(a: u128, b: u128) -> (u128, u128) {
        let (mut lo, mut hi) = (0u128, 0u128);
        for i in 0..128 {
            if (b >> i) & 1 == 1 {
                lo ^= a << i;
                if i > 0 {
                    hi ^= a >> (128 - i);
                }
            }
        }
        (lo, hi)
    }

    #[test]
    fn poly_is_the_catalogue_polynomial() {
        assert_eq!(POLY, 0x9A6C_9329_AC4B_C9B5);
    }

    #[test]
    fn x_pow_mod_agrees_with_squaring() {
        // x^(a+b) = x^a * x^b mod P, the product reduced bit by bit in the normal order.
        let p = POLY.reverse_bits() as u128 | 1u128 << 64;
        let reduce = |(mut lo, hi): (u128, u128)| {
            assert_eq!(hi, 0);
            for d in (64..128).rev() {
                if (lo >> d) & 1 == 1 {
                    lo ^= p << (d - 64);
                }
            }
            lo as u64
        };
        for (a, b) in [(63u32, 64u32), (127, 64), (100, 1087), (1023, 1087), (5, 7)] {
            let prod = clmul(
                u128::from(x_pow_mod(a).reverse_bits()),
                u128::from(x_pow_mod(b).reverse_bits()),
            );
            assert_eq!(
                reduce(prod),
                x_pow_mod(a + b).reverse_bits(),
                "x^{a} * x^{b}"
            );
        }
        // Below degree 64 a power of x is itself.
        assert_eq!(x_pow_mod(0), 1 << 63);
        assert_eq!(x_pow_mod(63), 1);
        assert_eq!(x_pow_mod(64), POLY);
    }

    #[test]
    fn barrett_mu_is_the_quotient_of_x128_by_p() {
        // mu * P = x^128 + (a remainder of degree below 64).
        let mu = u128::from(barrett_mu().reverse_bits()) | 1u128 << 64;
        let p = u128::from(POLY.reverse_bits()) | 1u128 << 64;
        let (lo, hi) = clmul(mu, p);
        assert_eq!(hi, 1, "x^128");
        assert_eq!(lo >> 64, 0, "remainder degree below 64");
    }

    #[test]
    fn table_matches_the_bitwise_register() {
        assert_eq!(TABLE[0], 0);
        // The byte with only bit i set is x^(63-i) in the register, moved on by 8 bits.
        for i in 0..8 {
            assert_eq!(TABLE[1 << i], x_pow_mod(71 - i), "bit {i}");
        }
        // The catalogue's check value for "123456789".
        assert_eq!(
            update_bytes(INIT, b"123456789") ^ INIT,
            0xAE8B_1486_0A79_9888
        );
    }
}
