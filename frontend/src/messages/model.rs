//! The messages page's state machine: the list, the draft, posting and deleting.

use shared::{Message, Uuid};

use super::draft::{check_draft, DraftProblem};
use crate::listing::{FocusRequest, Listing, PageNotice};
use crate::services::ApiError;

/// Where the focus goes after an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessagesFocus {
    /// The text box (after posting: ready for the next message; after a refused draft).
    Composer,
    /// The list heading (the deleted message had the focus, or the notice was closed).
    ListHeading,
    /// This message's "Delete" button (its confirmation was cancelled).
    DeleteButton(Uuid),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MessagesModel {
    /// Newest first, as the server sends them.
    pub list: Listing<Vec<Message>>,
    pub draft: String,
    /// Shown under the text box after "Post" with a draft the server would refuse.
    pub draft_problem: Option<DraftProblem>,
    pub posting: bool,
    pub deleting: Option<Uuid>,
    /// The message whose "Delete" awaits confirmation.
    pub confirming: Option<Uuid>,
    pub notice: Option<PageNotice>,
    pub focus: Option<FocusRequest<MessagesFocus>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessagesAction {
    FetchStarted(u64),
    Fetched(u64, Result<Vec<Message>, ApiError>),
    /// The text box changed.
    Edit(String),
    /// "Post" with a draft that cannot be posted.
    Refused(DraftProblem),
    PostStarted,
    Posted(Result<Message, ApiError>),
    /// "Delete" clicked: ask first.
    AskDelete(Uuid),
    /// The confirmation's "Cancel" (or Escape).
    CancelDelete,
    /// The confirmation's "Delete".
    DeleteStarted(Uuid),
    Deleted(Uuid, Result<(), ApiError>),
    DismissNotice,
}

/// The name of a message's "Delete" button: the visible word, then which message, so a list
/// of them does not read "Delete, Delete, Delete" (`Delete message "Hello there…"`).
pub fn delete_label(message: &Message) -> String {
    format!(
        "Delete message \u{201c}{}\u{201d}",
        excerpt(&message.body, 40)
    )
}

/// The question of a message's delete confirmation.
pub fn delete_question(message: &Message) -> String {
    format!(
        "Delete \u{201c}{}\u{201d}? This cannot be undone.",
        excerpt(&message.body, 40)
    )
}

/// The first `max` characters of `text` on one line, with `…` if cut.
pub fn excerpt(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max).collect();
    format!("{}\u{2026}", cut.trim_end())
}

impl MessagesModel {
    pub fn reduce(&self, action: MessagesAction) -> MessagesModel {
        let mut next = self.clone();
        match action {
            MessagesAction::FetchStarted(n) => next.list.start(n),
            MessagesAction::Fetched(n, result) => {
                next.list.finish(n, result);
            }
            MessagesAction::Edit(text) => {
                // A problem shown stays until the draft is fixed, then goes.
                if next.draft_problem.is_some() {
                    next.draft_problem = check_draft(&text).problem;
                }
                next.draft = text;
            }
            MessagesAction::Refused(problem) => {
                next.draft_problem = Some(problem);
                next.focus = FocusRequest::after(&self.focus, MessagesFocus::Composer);
            }
            MessagesAction::PostStarted => {
                next.posting = true;
                next.draft_problem = None;
                next.notice = None;
            }
            MessagesAction::Posted(result) => {
                next.posting = false;
                match result {
                    Ok(message) => {
                        if let crate::listing::ListState::Loaded(list) = &mut next.list.state {
                            if !list.iter().any(|m| m.id == message.id) {
                                list.insert(0, message);
                            }
                        }
                        next.draft.clear();
                        next.notice = Some(PageNotice::success("Message posted.", "posted"));
                    }
                    Err(ApiError::Unauthenticated) => {}
                    Err(error) => {
                        next.notice = Some(PageNotice::failure(
                            "Couldn't post your message; your text is still there.",
                            &error,
                        ));
                    }
                }
                next.focus = FocusRequest::after(&self.focus, MessagesFocus::Composer);
            }
            MessagesAction::AskDelete(id) => {
                if self.deleting.is_none() {
                    next.confirming = Some(id);
                }
            }
            MessagesAction::CancelDelete => {
                if let Some(id) = self.confirming {
                    next.confirming = None;
                    next.focus = FocusRequest::after(&self.focus, MessagesFocus::DeleteButton(id));
                }
            }
            MessagesAction::DeleteStarted(id) => {
                if self.deleting.is_none() {
                    next.confirming = None;
                    next.deleting = Some(id);
                    next.notice = None;
                }
            }
            MessagesAction::Deleted(id, result) => {
                if self.deleting == Some(id) {
                    next.deleting = None;
                }
                match result {
                    Ok(()) => {
                        if let crate::listing::ListState::Loaded(list) = &mut next.list.state {
                            list.retain(|m| m.id != id);
                        }
                        next.notice = Some(PageNotice::success("Message deleted.", "deleted"));
                    }
                    Err(ApiError::Unauthenticated) => {}
                    Err(error) => {
                        next.notice =
                            Some(PageNotice::failure("Couldn't delete the message.", &error));
                    }
                }
                next.focus = FocusRequest::after(&self.focus, MessagesFocus::ListHeading);
            }
            MessagesAction::DismissNotice => {
                if self.notice.is_some() {
                    next.notice = None;
                    next.focus = FocusRequest::after(&self.focus, MessagesFocus::ListHeading);
                }
            }
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use shared::{ErrorCode, ErrorDetail};
    use time::macros::datetime;

    use super::*;
    use crate::listing::PageNoticeKind;

    fn message(n: u128, mine: bool) -> Message {
        Message {
            id: Uuid::from_u128(n),
            author: "Alice Admin".into(),
            body: format!("message {n}"),
            created_at: datetime!(2026-01-01 00:00 UTC),
            mine,
        }
    }

    fn loaded() -> MessagesModel {
        MessagesModel::default()
            .reduce(MessagesAction::FetchStarted(1))
            .reduce(MessagesAction::Fetched(
                1,
                Ok(vec![message(2, false), message(1, true)]),
            ))
    }

    fn ids(model: &MessagesModel) -> Vec<u128> {
        model
            .list
            .loaded()
            .map(|l| l.iter().map(|m| m.id.as_u128()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn a_posted_message_goes_on_top_and_the_draft_is_cleared() {
        let model = loaded()
            .reduce(MessagesAction::Edit("hello".into()))
            .reduce(MessagesAction::PostStarted);
        assert!(model.posting);
        let posted = model.reduce(MessagesAction::Posted(Ok(message(3, true))));
        assert!(!posted.posting);
        assert_eq!(ids(&posted), [3, 2, 1]);
        assert_eq!(posted.draft, "");
        assert_eq!(
            posted.notice.as_ref().map(|n| n.code.as_str()),
            Some("posted")
        );
        assert_eq!(
            posted.focus.map(|f| f.target),
            Some(MessagesFocus::Composer)
        );
        // The same message arriving twice (a refresh raced the post) is listed once.
        let twice = loaded().reduce(MessagesAction::Posted(Ok(message(2, false))));
        assert_eq!(ids(&twice), [2, 1]);
    }

    #[test]
    fn a_failed_post_keeps_the_draft_and_says_why_in_our_words() {
        let failed = loaded()
            .reduce(MessagesAction::Edit("hello".into()))
            .reduce(MessagesAction::PostStarted)
            .reduce(MessagesAction::Posted(Err(ApiError::Forbidden(
                ErrorDetail {
                    code: ErrorCode::Forbidden,
                    message: "needs write:messages".into(),
                },
            ))));
        assert_eq!(failed.draft, "hello");
        let notice = failed.notice.unwrap();
        assert_eq!(notice.kind, PageNoticeKind::Error);
        assert!(notice.message.contains("your text is still there"));
        assert!(!notice.message.contains("write:messages"));
    }

    #[test]
    fn a_refused_draft_shows_its_problem_until_it_is_fixed() {
        let refused = loaded().reduce(MessagesAction::Refused(DraftProblem::Empty));
        assert_eq!(refused.draft_problem, Some(DraftProblem::Empty));
        assert_eq!(
            refused.focus.as_ref().map(|f| f.target),
            Some(MessagesFocus::Composer)
        );
        let still = refused.reduce(MessagesAction::Edit("   ".into()));
        assert_eq!(still.draft_problem, Some(DraftProblem::Empty));
        let fixed = still.reduce(MessagesAction::Edit("hi".into()));
        assert_eq!(fixed.draft_problem, None);
        // Typing does not start complaining by itself.
        let typing = loaded().reduce(MessagesAction::Edit("".into()));
        assert_eq!(typing.draft_problem, None);
    }

    #[test]
    fn deleting_removes_the_message_and_focuses_the_list_heading() {
        let deleting = loaded().reduce(MessagesAction::DeleteStarted(Uuid::from_u128(1)));
        assert_eq!(deleting.deleting, Some(Uuid::from_u128(1)));
        assert_eq!(
            deleting.reduce(MessagesAction::DeleteStarted(Uuid::from_u128(2))),
            deleting,
            "one at a time"
        );
        let deleted = deleting.reduce(MessagesAction::Deleted(Uuid::from_u128(1), Ok(())));
        assert_eq!(ids(&deleted), [2]);
        assert_eq!(deleted.deleting, None);
        assert_eq!(
            deleted.focus.as_ref().map(|f| f.target),
            Some(MessagesFocus::ListHeading)
        );
        let closed = deleted.reduce(MessagesAction::DismissNotice);
        assert_eq!(closed.notice, None);
    }

    #[test]
    fn delete_asks_first_and_cancel_gives_the_focus_back_to_its_button() {
        let one = Uuid::from_u128(1);
        let asking = loaded().reduce(MessagesAction::AskDelete(one));
        assert_eq!(asking.confirming, Some(one));
        assert_eq!(ids(&asking), [2, 1], "nothing deleted by asking");
        let cancelled = asking.reduce(MessagesAction::CancelDelete);
        assert_eq!(cancelled.confirming, None);
        assert_eq!(
            cancelled.focus.map(|f| f.target),
            Some(MessagesFocus::DeleteButton(one))
        );
        let confirmed = asking.reduce(MessagesAction::DeleteStarted(one));
        assert_eq!(confirmed.confirming, None);
        assert_eq!(confirmed.deleting, Some(one));
    }

    #[test]
    fn each_delete_button_names_its_message() {
        let mut m = message(1, true);
        m.body = "Lunch at noon?\nBring the slides".into();
        assert_eq!(
            delete_label(&m),
            "Delete message \u{201c}Lunch at noon? Bring the slides\u{201d}"
        );
        m.body = "x".repeat(60);
        assert_eq!(
            delete_label(&m),
            format!("Delete message \u{201c}{}\u{2026}\u{201d}", "x".repeat(40))
        );
        assert!(delete_question(&m).ends_with("This cannot be undone."));
    }

    #[test]
    fn a_failed_delete_keeps_the_message() {
        let failed = loaded()
            .reduce(MessagesAction::DeleteStarted(Uuid::from_u128(1)))
            .reduce(MessagesAction::Deleted(
                Uuid::from_u128(1),
                Err(ApiError::Network("x".into())),
            ));
        assert_eq!(ids(&failed), [2, 1]);
        assert_eq!(failed.notice.unwrap().code, "network");
    }
}
