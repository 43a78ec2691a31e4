//! The message banner: a login that failed, a session that ended, a check that failed.

use yew::prelude::*;

use crate::auth::NoticeKind;
use crate::hooks::use_auth;

/// Shows the auth state's current notice, if any, with a close button (and "Try again" when the
/// session check failed). `id="notice"`, `data-kind`, `data-code` for tests.
#[component]
pub fn NoticeBanner() -> Html {
    let auth = use_auth();
    let Some(notice) = auth.notice().cloned() else {
        return html! {};
    };
    let (kind, role) = match notice.kind {
        NoticeKind::Info => ("info", "status"),
        NoticeKind::Warning => ("warning", "alert"),
        NoticeKind::Error => ("error", "alert"),
    };
    let dismiss = {
        let auth = auth.clone();
        Callback::from(move |_: MouseEvent| auth.dismiss_notice())
    };
    let retry = notice.retry.then(|| {
        let auth = auth.clone();
        let onclick = Callback::from(move |_: MouseEvent| auth.retry());
        html! { <button id="retry" type="button" class="btn btn-small btn-secondary" {onclick}>{ "Try again" }</button> }
    });

    html! {
        <div id="notice" class={classes!("notice", format!("notice-{kind}"))} {role}
            data-kind={kind} data-code={notice.code.clone()}>
            <span class="notice-icon" aria-hidden="true">{ icon(notice.kind) }</span>
            <p class="notice-message">{ notice.message.clone() }</p>
            { for retry }
            <button id="notice-dismiss" type="button" class="notice-dismiss"
                aria-label="Dismiss this message" title="Dismiss" onclick={dismiss}>
                <svg viewBox="0 0 20 20" width="16" height="16" aria-hidden="true">
                    <path d="M5 5l10 10M15 5L5 15" stroke="currentColor" stroke-width="2" stroke-linecap="round" fill="none" />
                </svg>
            </button>
        </div>
    }
}

fn icon(kind: NoticeKind) -> Html {
    match kind {
        NoticeKind::Info => html! {
            <svg viewBox="0 0 20 20" width="20" height="20">
                <circle cx="10" cy="10" r="8" fill="none" stroke="currentColor" stroke-width="2" />
                <path d="M10 9v5M10 6.2v.1" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
            </svg>
        },
        NoticeKind::Warning | NoticeKind::Error => html! {
            <svg viewBox="0 0 20 20" width="20" height="20">
                <path d="M10 2.5l8 14.5H2z" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round" />
                <path d="M10 8v4M10 14.6v.1" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
            </svg>
        },
    }
}
