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
    DeleteStarted(Uuid),
    Deleted(Uuid, Result<(), ApiError>),
    DismissNotice,
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
            MessagesAction::DeleteStarted(id) => {
                if self.deleting.is_none() {
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
