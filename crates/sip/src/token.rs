//! Random tokens for tags, Call-IDs, branches and ETags.

use rand::Rng;

const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// `len` random lowercase letters and digits (each carries 5.2 bits: ten make 51, RFC 3261
/// §19.3 asks 32 of a tag).
///
/// No capitals: sipp finds a response's CSeq method with `strstr(msg, "CSeq")` over the whole
/// message, so a tag that happened to contain "CSeq" (one in about two million) made it abort
/// the call on the very response it was waiting for.
pub fn random<R: Rng + ?Sized>(rng: &mut R, len: usize) -> String {
    (0..len)
        .map(|_| char::from(CHARS[rng.gen_range(0..CHARS.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use rand::rngs::SmallRng;
    use rand::SeedableRng;

    #[test]
    fn tokens_are_lowercase_letters_and_digits_of_the_length_asked() {
        let mut rng = SmallRng::seed_from_u64(7);
        let token = super::random(&mut rng, 10_000);
        assert_eq!(token.len(), 10_000);
        assert!(token
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        assert!(
            token.contains('z') && token.contains('9'),
            "the whole alphabet is used"
        );
    }
}
