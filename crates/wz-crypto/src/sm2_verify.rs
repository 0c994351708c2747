//! The point arithmetic of SM2 verification, `[s]G + [t]P` and the check
//! of its x-coordinate, in variable time over Jacobian coordinates.
//!
//! Why not the `sm2` crate's own `lincomb_vartime`: it uses complete
//! projective formulas, whose doubling (0.41 µs here) is about twice the
//! cost of the Jacobian doubling for a = -3, and 256 doublings are most of
//! a verification; it also ends in a constant-time field inversion to
//! reach affine x. Here: Jacobian doubling (dbl-2001-b, 3M + 5S), Straus
//! over wNAF digits of both scalars with the generator's 32 odd multiples
//! kept in affine form (mixed additions, madd-2007-bl) and the public
//! key's 8 in Jacobian form (add-2007-bl), and the x check without an
//! inversion (`X == v·Z²`). The field is the crate's; formulas from the
//! Explicit-Formulas Database (hyperelliptic.org/EFD/g1p/auto-shortw-jacobian-3.html).
//! Tests hold every result equal to the crate's arithmetic.
//!
//! # Security
//! Variable time, and only ever given public values: a public key, the
//! digest of a message the verifier holds and a signature. No secret
//! scalar may reach this module; signing uses the crate's constant-time
//! arithmetic.

use std::sync::LazyLock;

use sm2::elliptic_curve::ff::PrimeField;
use sm2::elliptic_curve::sec1::ToSec1Point;
use sm2::elliptic_curve::Curve;
use sm2::{AffinePoint, FieldBytes, ProjectivePoint, Scalar, Sm2};

/// An element of the SM2 base field (the crate's type).
type Fe = <Sm2 as primeorder::FieldArithmetic>::FieldElement;

/// wNAF window for the generator (32 precomputed odd multiples).
const GENERATOR_WINDOW: u32 = 7;
/// wNAF window for the public key (8 odd multiples, built per call).
const KEY_WINDOW: u32 = 5;
/// Digits of a 256-bit scalar in wNAF: one more than its bits.
const DIGITS: usize = 257;

/// A point in Jacobian coordinates, `(X/Z², Y/Z³)`; `Z = 0` is infinity.
#[derive(Clone, Copy)]
struct Jacobian {
    x: Fe,
    y: Fe,
    z: Fe,
}

const INFINITY: Jacobian = Jacobian {
    x: Fe::ONE,
    y: Fe::ONE,
    z: Fe::ZERO,
};

/// An affine point `(x, y)`, never infinity.
#[derive(Clone, Copy)]
struct Affine {
    x: Fe,
    y: Fe,
}

impl Affine {
    fn from_crate(point: &AffinePoint) -> Option<Self> {
        let encoded = point.to_sec1_point(false);
        let bytes = encoded.as_bytes();
        if bytes.len() != 65 {
            return None;
        }
        let coordinate = |range: std::ops::Range<usize>| {
            let repr = FieldBytes::try_from(&bytes[range]).ok()?;
            Option::<Fe>::from(Fe::from_repr(repr))
        };
        Some(Self {
            x: coordinate(1..33)?,
            y: coordinate(33..65)?,
        })
    }

    fn negate(self) -> Self {
        Self { x: self.x, y: -self.y }
    }
}

impl Jacobian {
    fn from_affine(point: Affine) -> Self {
        Self {
            x: point.x,
            y: point.y,
            z: Fe::ONE,
        }
    }

    fn is_infinity(&self) -> bool {
        bool::from(self.z.is_zero())
    }

    fn negate(self) -> Self {
        Self { y: -self.y, ..self }
    }

    /// dbl-2001-b (a = -3): 3M + 5S.
    fn double(&self) -> Self {
        if self.is_infinity() {
            return *self;
        }
        let delta = self.z.square();
        let gamma = self.y.square();
        let beta = self.x * gamma;
        let alpha = {
            let product = (self.x - delta) * (self.x + delta);
            product.double() + product
        };
        let beta4 = beta.double().double();
        let x = alpha.square() - beta4.double();
        let z = (self.y + self.z).square() - gamma - delta;
        let gamma_squared8 = gamma.square().double().double().double();
        let y = alpha * (beta4 - x) - gamma_squared8;
        Self { x, y, z }
    }

    /// madd-2007-bl: `self + other` with `other` affine, 7M + 4S.
    fn add_affine(&self, other: &Affine) -> Self {
        if self.is_infinity() {
            return Self::from_affine(*other);
        }
        let z1z1 = self.z.square();
        let u2 = other.x * z1z1;
        let s2 = other.y * self.z * z1z1;
        let h = u2 - self.x;
        let r_half = s2 - self.y;
        if bool::from(h.is_zero()) {
            return if bool::from(r_half.is_zero()) { self.double() } else { INFINITY };
        }
        let hh = h.square();
        let i = hh.double().double();
        let j = h * i;
        let r = r_half.double();
        let v = self.x * i;
        let x = r.square() - j - v.double();
        let y = r * (v - x) - (self.y * j).double();
        let z = (self.z + h).square() - z1z1 - hh;
        Self { x, y, z }
    }

    /// add-2007-bl: `self + other`, 11M + 5S.
    fn add(&self, other: &Self) -> Self {
        if self.is_infinity() {
            return *other;
        }
        if other.is_infinity() {
            return *self;
        }
        let z1z1 = self.z.square();
        let z2z2 = other.z.square();
        let u1 = self.x * z2z2;
        let u2 = other.x * z1z1;
        let s1 = self.y * other.z * z2z2;
        let s2 = other.y * self.z * z1z1;
        let h = u2 - u1;
        let r_half = s2 - s1;
        if bool::from(h.is_zero()) {
            return if bool::from(r_half.is_zero()) { self.double() } else { INFINITY };
        }
        let i = h.double().square();
        let j = h * i;
        let r = r_half.double();
        let v = u1 * i;
        let x = r.square() - j - v.double();
        let y = r * (v - x) - (s1 * j).double();
        let z = ((self.z + other.z).square() - z1z1 - z2z2) * h;
        Self { x, y, z }
    }
}

/// The generator's odd multiples `G, 3G, …, 63G`, affine, built once.
static GENERATOR_MULTIPLES: LazyLock<Vec<Affine>> = LazyLock::new(|| {
    let count = 1u64 << (GENERATOR_WINDOW - 2);
    (0..count)
        .filter_map(|i| Affine::from_crate(&(ProjectivePoint::GENERATOR * Scalar::from(2 * i + 1)).to_affine()))
        .collect()
});

/// The width-`window` NAF of a scalar: digits odd or zero, below
/// `2^(window-1)` in magnitude, least significant first.
fn wnaf(scalar: &Scalar, window: u32) -> [i8; DIGITS] {
    let bytes = scalar.to_repr();
    // Little-endian 64-bit limbs with a fifth for the carry of `k + |d|`.
    let mut limbs = [0u64; 5];
    for (index, chunk) in bytes.rchunks(8).enumerate() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        limbs[index] = u64::from_be_bytes(word);
    }
    let (width, half) = (1i64 << window, 1i64 << (window - 1));
    let mut digits = [0i8; DIGITS];
    for digit in digits.iter_mut() {
        if limbs.iter().all(|limb| *limb == 0) {
            break;
        }
        if limbs[0] & 1 == 1 {
            let mut value = (limbs[0] & (width as u64 - 1)) as i64;
            if value >= half {
                value -= width;
            }
            *digit = value as i8;
            if value > 0 {
                subtract_small(&mut limbs, value as u64);
            } else {
                add_small(&mut limbs, value.unsigned_abs());
            }
        }
        for index in 0..4 {
            limbs[index] = (limbs[index] >> 1) | (limbs[index + 1] << 63);
        }
        limbs[4] >>= 1;
    }
    digits
}

fn subtract_small(limbs: &mut [u64; 5], value: u64) {
    let mut borrow = value;
    for limb in limbs.iter_mut() {
        let (next, underflow) = limb.overflowing_sub(borrow);
        *limb = next;
        borrow = u64::from(underflow);
    }
}

fn add_small(limbs: &mut [u64; 5], value: u64) {
    let mut carry = value;
    for limb in limbs.iter_mut() {
        let (next, overflow) = limb.overflowing_add(carry);
        *limb = next;
        carry = u64::from(overflow);
    }
}

/// `[s]G + [t]P` in Jacobian coordinates (Straus, interleaved wNAF).
fn sum_of_products(s: &Scalar, t: &Scalar, key: Affine) -> Jacobian {
    let generator = &*GENERATOR_MULTIPLES;
    let key_multiples = {
        let base = Jacobian::from_affine(key);
        let twice = base.double();
        let mut multiples = [base; 1 << (KEY_WINDOW - 2)];
        for index in 1..multiples.len() {
            multiples[index] = multiples[index - 1].add(&twice);
        }
        multiples
    };
    let (s_digits, t_digits) = (wnaf(s, GENERATOR_WINDOW), wnaf(t, KEY_WINDOW));
    let mut sum = INFINITY;
    for index in (0..DIGITS).rev() {
        sum = sum.double();
        let digit = s_digits[index];
        if digit != 0 {
            if let Some(point) = generator.get(usize::from(digit.unsigned_abs()) / 2) {
                sum = sum.add_affine(&if digit > 0 { *point } else { point.negate() });
            }
        }
        let digit = t_digits[index];
        if digit != 0 {
            if let Some(point) = key_multiples.get(usize::from(digit.unsigned_abs()) / 2) {
                sum = sum.add(&if digit > 0 { *point } else { point.negate() });
            }
        }
    }
    sum
}

/// The group order `n` plus `value` (an integer below `n`), if the sum is
/// still a field element (below `p`).
fn plus_order(value: &FieldBytes) -> Option<Fe> {
    let order = Sm2::ORDER.as_ref().to_be_bytes();
    let mut sum = FieldBytes::default();
    let mut carry = 0u16;
    for index in (0..32).rev() {
        let total = u16::from(value[index]) + u16::from(order.as_ref()[index]) + carry;
        sum[index] = total as u8;
        carry = total >> 8;
    }
    if carry != 0 {
        return None;
    }
    Option::<Fe>::from(Fe::from_repr(sum))
}

/// Whether `x([s]G + [t]P) mod n` equals `expected` (`(r - e) mod n`):
/// GB/T 32918.2-2016, 7.1 B6–B7 with the equation rearranged so that no
/// inversion is needed. False for the point at infinity.
pub(crate) fn x_matches(s: &Scalar, t: &Scalar, public: &AffinePoint, expected: &Scalar) -> bool {
    let Some(key) = Affine::from_crate(public) else { return false };
    let sum = sum_of_products(s, t, key);
    if sum.is_infinity() {
        return false;
    }
    // x = X / Z²; x is in [0, p) and p > n, so x ≡ v (mod n) means x = v
    // or x = v + n (when that is below p).
    let z_squared = sum.z.square();
    let value = expected.to_repr();
    let Some(candidate) = Option::<Fe>::from(Fe::from_repr(value)) else {
        return false;
    };
    if candidate * z_squared == sum.x {
        return true;
    }
    plus_order(&value).is_some_and(|candidate| candidate * z_squared == sum.x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sm2::elliptic_curve::ops::LinearCombination;
    use sm2::elliptic_curve::point::AffineCoordinates;
    use sm2::elliptic_curve::Group;

    /// The affine x of a Jacobian point, by inversion (tests only).
    fn affine_x(point: &Jacobian) -> Option<FieldBytes> {
        let inverse = Option::<Fe>::from(point.z.invert())?;
        Some((point.x * inverse.square()).to_repr())
    }

    fn scalar(seed: u64) -> Scalar {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        loop {
            let mut bytes = [0u8; 32];
            rand::RngCore::fill_bytes(&mut rng, &mut bytes);
            if let Some(s) = Option::<Scalar>::from(Scalar::from_repr(bytes.into())) {
                return s;
            }
        }
    }

    fn crate_sum(s: &Scalar, t: &Scalar, point: &ProjectivePoint) -> ProjectivePoint {
        ProjectivePoint::lincomb(&[(ProjectivePoint::GENERATOR, *s), (*point, *t)])
    }

    fn ours(s: &Scalar, t: &Scalar, point: &ProjectivePoint) -> Jacobian {
        sum_of_products(s, t, Affine::from_crate(&point.to_affine()).unwrap())
    }

    #[test]
    fn wnaf_digits_sum_back_to_the_scalar() {
        for seed in 0..50 {
            let k = scalar(seed);
            for window in [KEY_WINDOW, GENERATOR_WINDOW] {
                let digits = wnaf(&k, window);
                let mut total = Scalar::ZERO;
                for digit in digits.iter().rev() {
                    total = total.double();
                    let magnitude = Scalar::from(u64::from(digit.unsigned_abs()));
                    total += if *digit >= 0 { magnitude } else { -magnitude };
                    assert!(*digit == 0 || digit % 2 != 0);
                    assert!(i64::from(digit.unsigned_abs()) < 1 << (window - 1));
                }
                assert_eq!(total, k);
            }
        }
    }

    #[test]
    fn equal_and_opposite_points_inside_the_sum_take_the_special_cases() {
        let g = ProjectivePoint::GENERATOR;
        let cases = [
            (Scalar::ONE, Scalar::ONE, g),
            (Scalar::from(3u64), Scalar::from(3u64), g),
            (Scalar::from(12345u64), Scalar::from(12345u64), g),
            (Scalar::from(2u64), Scalar::from(7u64), g.double()),
        ];
        for (s, t, point) in cases {
            let expected = crate_sum(&s, &t, &point).to_affine().x();
            assert_eq!(affine_x(&ours(&s, &t, &point)).unwrap(), expected);
        }
        // [1]G + [n-1]G is the point at infinity.
        assert!(ours(&Scalar::ONE, &-Scalar::ONE, &g).is_infinity());
        assert!(ours(&Scalar::from(5u64), &-Scalar::ONE, &(g * Scalar::from(5u64))).is_infinity());
    }

    #[test]
    fn the_x_check_accepts_only_the_right_residue() {
        let (s, t) = (scalar(1), scalar(2));
        let point = ProjectivePoint::GENERATOR * scalar(3);
        let x = crate_sum(&s, &t, &point).to_affine().x();
        let expected = <Scalar as sm2::elliptic_curve::ops::Reduce<FieldBytes>>::reduce(&x);
        assert!(x_matches(&s, &t, &point.to_affine(), &expected));
        assert!(!x_matches(&s, &t, &point.to_affine(), &(expected + Scalar::ONE)));
        assert!(plus_order(&FieldBytes::default()).is_some());
        assert!(plus_order(&(-Scalar::ONE).to_repr()).is_none());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn the_sum_equals_the_crates(a in any::<u64>(), b in any::<u64>(), c in any::<u64>()) {
            let (s, t) = (scalar(a), scalar(b));
            let point = ProjectivePoint::GENERATOR * scalar(c);
            let expected = crate_sum(&s, &t, &point).to_affine().x();
            prop_assert_eq!(affine_x(&ours(&s, &t, &point)).unwrap(), expected);
        }
    }
}
