//! The message being written: its character count and whether the server will take it.

use shared::messages::MAX_MESSAGE_CHARS;

/// Why a draft cannot be posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftProblem {
    /// Nothing but whitespace.
    Empty,
    /// This many characters over the limit.
    TooLong(usize),
}

impl DraftProblem {
    /// What to tell the writer.
    pub fn message(self) -> String {
        match self {
            DraftProblem::Empty => "Write something before you post.".to_string(),
            DraftProblem::TooLong(1) => "Too long: remove 1 character.".to_string(),
            DraftProblem::TooLong(n) => format!("Too long: remove {n} characters."),
        }
    }
}

/// The counter and the verdict for a draft. Counted like the server counts: characters (not
/// bytes) of the trimmed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftCheck {
    pub chars: usize,
    pub problem: Option<DraftProblem>,
}

impl DraftCheck {
    /// `12 / 500`.
    pub fn counter(&self) -> String {
        format!("{} / {MAX_MESSAGE_CHARS}", self.chars)
    }

    /// The text to send, if it may be sent.
    pub fn is_postable(&self) -> bool {
        self.problem.is_none()
    }
}

/// Where this tab keeps `sub`'s unsent message (`sessionStorage`), so it survives an expired
/// session and the sign-in that follows; cleared when it is posted and at logout. One key per
/// user: someone else signing in on this tab does not see it.
pub fn draft_key(sub: &str) -> String {
    format!("ferris-demo-draft:{sub}")
}

pub fn check_draft(text: &str) -> DraftCheck {
    let chars = text.trim().chars().count();
    let problem = if chars == 0 {
        Some(DraftProblem::Empty)
    } else if chars > MAX_MESSAGE_CHARS {
        Some(DraftProblem::TooLong(chars - MAX_MESSAGE_CHARS))
    } else {
        None
    };
    DraftCheck { chars, problem }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_user_has_their_own_draft() {
        assert_ne!(draft_key("auth0|alice"), draft_key("auth0|bob"));
        assert_eq!(draft_key("alice"), "ferris-demo-draft:alice");
    }

    #[test]
    fn counts_characters_of_the_trimmed_text() {
        let check = check_draft("  héllo 👋 \n");
        assert_eq!(check.chars, 7);
        assert_eq!(check.counter(), "7 / 500");
        assert!(check.is_postable());
    }

    #[test]
    fn blank_drafts_are_refused() {
        for text in ["", "   ", "\n\t "] {
            assert_eq!(
                check_draft(text).problem,
                Some(DraftProblem::Empty),
                "{text:?}"
            );
        }
        assert_eq!(
            DraftProblem::Empty.message(),
            "Write something before you post."
        );
    }

    #[test]
    fn the_limit_is_inclusive_and_counted_in_characters() {
        assert!(check_draft(&"é".repeat(MAX_MESSAGE_CHARS)).is_postable());
        let over = check_draft(&"é".repeat(MAX_MESSAGE_CHARS + 3));
        assert_eq!(over.problem, Some(DraftProblem::TooLong(3)));
        assert_eq!(
            over.problem.unwrap().message(),
            "Too long: remove 3 characters."
        );
        assert_eq!(
            DraftProblem::TooLong(1).message(),
            "Too long: remove 1 character."
        );
    }
}
