//! The messages page (`/messages`), the pure part: the draft's rules (the same as the
//! server's: 1 to [`shared::messages::MAX_MESSAGE_CHARS`] characters after trimming) and the
//! page's state machine.

pub mod draft;
pub mod model;

pub use draft::{check_draft, draft_key, DraftCheck, DraftProblem};
pub use model::{delete_label, delete_question, MessagesAction, MessagesFocus, MessagesModel};
