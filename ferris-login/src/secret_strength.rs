//! Refusing `AUTH0_SECRET` values that protect nothing: published placeholders and values with
//! obviously low entropy.

/// Values published in this repository (`.env.example`, the Auth0 sample in
/// docs/providers.md) or in the seed's documentation: never a secret.
const PUBLISHED: [&str; 2] = [
    "replace-me-with-the-output-of-openssl-rand-hex-32",
    "use [openssl rand -hex 32] to generate a 32 bytes value",
];

/// Published development secrets (`docker-compose.yml`): fine for an app on loopback, refused
/// for anything reachable from elsewhere.
const DEVELOPMENT_ONLY: [&str; 1] = ["dev-only-secret-for-docker-compose-do-not-use-in-production"];

/// Less than this many bits of estimated entropy is refused. The estimate counts character
/// frequencies: it is generous to a passphrase's structure, and a little stingy with a short
/// random value (32 random hex characters carry 128 bits and are estimated at 93 to 128 in
/// 100,000 samples), so the bar only catches what is obviously weak.
const MIN_BITS: f64 = 80.0;

/// Why `secret` is no secret, if it is not; `loopback` says the app serves only this machine.
pub fn weakness(secret: &str, loopback: bool) -> Option<&'static str> {
    if PUBLISHED.contains(&secret) {
        return Some("is a published placeholder: generate one with `openssl rand -hex 32`");
    }
    if DEVELOPMENT_ONLY.contains(&secret) && !loopback {
        return Some(
            "is the published development secret, accepted only for an AUTH0_BASE_URL on \
             loopback: generate one with `openssl rand -hex 32`",
        );
    }
    let chars: Vec<char> = secret.chars().collect();
    let mut distinct = chars.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 8 {
        return Some("has fewer than 8 different characters");
    }
    if (1..=chars.len() / 2)
        .any(|period| chars.iter().skip(period).zip(&chars).all(|(a, b)| a == b))
    {
        return Some("repeats a short pattern");
    }
    if estimated_bits(&chars) < MIN_BITS {
        return Some("has too little entropy (use `openssl rand -hex 32`)");
    }
    None
}

/// Shannon entropy of the character distribution, times the length.
fn estimated_bits(chars: &[char]) -> f64 {
    let mut counts = std::collections::HashMap::new();
    for c in chars {
        *counts.entry(c).or_insert(0usize) += 1;
    }
    let n = chars.len() as f64;
    let per_char: f64 = counts
        .values()
        .map(|&count| {
            let p = count as f64 / n;
            -p * p.log2()
        })
        .sum();
    per_char * n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_pass() {
        for good in [
            "7f3a9c1e5b2d4f6a8c0e1f3a5b7d9c2e4f6a8b0c1d3e5f7a9b2c4d6e8f0a1b3c",
            "integration-test-secret-0123456789abcdef",
            "q8V2mZ/tX0pK+4rN7sW1yB3cD5eF6gH9jL0aQ2==",
            // `openssl rand -hex 16`: the shortest value of real strength.
            "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e",
            "e3b0c44298fc1c149afbf4c8996fb924",
        ] {
            assert_eq!(weakness(good, false), None, "{good}");
        }
    }

    #[test]
    fn placeholders_and_low_entropy_are_refused() {
        for bad in [
            "replace-me-with-the-output-of-openssl-rand-hex-32",
            "use [openssl rand -hex 32] to generate a 32 bytes value",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "abcabcabcabcabcabcabcabcabcabcabcabc",
            "0123456789012345678901234567890123456789",
            "password-password-password-password",
            "ababababcdcdcdcdababababcdcdcdcd",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaabcdefgh",
        ] {
            assert!(weakness(bad, true).is_some(), "{bad}");
        }
    }

    #[test]
    fn the_development_secret_is_for_loopback_only() {
        let dev = DEVELOPMENT_ONLY[0];
        assert_eq!(weakness(dev, true), None);
        assert!(weakness(dev, false).is_some());
    }
}
