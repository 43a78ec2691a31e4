//! `<PageNoticeBanner>`: the result of an action on a list page ("Signed out 2 sessions of Bob",
//! "Message posted."), with a close button. The page moves the focus after closing.

use yew::prelude::*;

use crate::auth::NoticeKind;
use crate::components::notice::{close_icon, kind_icon};
use crate::listing::{PageNotice, PageNoticeKind};

#[derive(Properties, PartialEq)]
pub struct PageNoticeProps {
    pub notice: PageNotice,
    /// The banner's id; its close button is `{id}-dismiss`.
    pub id: AttrValue,
    pub on_dismiss: Callback<()>,
}

/// `data-kind` = `success`/`error`, `data-code`; `role="status"` for a success (announced
/// politely), `role="alert"` for a failure.
#[component]
pub fn PageNoticeBanner(props: &PageNoticeProps) -> Html {
    let (kind, role, icon) = match props.notice.kind {
        PageNoticeKind::Success => ("success", "status", kind_icon(NoticeKind::Info, true)),
        PageNoticeKind::Error => ("error", "alert", kind_icon(NoticeKind::Error, false)),
    };
    let onclick = {
        let on_dismiss = props.on_dismiss.clone();
        Callback::from(move |_: MouseEvent| on_dismiss.emit(()))
    };
    html! {
        <div id={props.id.clone()} class={classes!("notice", format!("notice-{kind}"))} {role}
            data-kind={kind} data-code={props.notice.code.clone()}>
            <span class="notice-icon" aria-hidden="true">{ icon }</span>
            <p class="notice-message">{ props.notice.message.clone() }</p>
            <button id={format!("{}-dismiss", props.id)} type="button" class="notice-dismiss"
                aria-label="Dismiss this message" title="Dismiss" {onclick}>
                { close_icon() }
            </button>
        </div>
    }
}
