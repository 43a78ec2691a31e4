//! Untrusted text (claims, provider error descriptions, user agents) made safe to keep and
//! log: control characters removed, length bounded in characters.

pub fn printable(s: &str, max_chars: usize) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .take(max_chars)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_go_and_length_is_bounded() {
        assert_eq!(printable(&"x".repeat(20_000), 256).len(), 256);
        assert_eq!(printable("a\u{0}b\u{1b}c", 10), "abc");
        assert_eq!(printable("Zoë 🎉 </script>", 100), "Zoë 🎉 </script>");
    }
}
