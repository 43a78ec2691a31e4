//! "Refresh": reloads a list. While a fetch runs it says so (`aria-disabled`, "Refreshing…")
//! but is never `disabled`, which would drop the keyboard focus to `<body>`.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct RefreshButtonProps {
    pub id: AttrValue,
    /// A fetch runs (clicks are ignored).
    pub busy: bool,
    /// A refresh of a shown list runs (the label says so).
    pub refreshing: bool,
    pub on_refresh: Callback<()>,
}

#[component]
pub fn RefreshButton(props: &RefreshButtonProps) -> Html {
    let onclick = {
        let busy = props.busy;
        let on_refresh = props.on_refresh.clone();
        Callback::from(move |_: MouseEvent| {
            if !busy {
                on_refresh.emit(());
            }
        })
    };
    html! {
        <button id={props.id.clone()} type="button" class="btn btn-secondary"
            aria-disabled={props.busy.then_some("true")} {onclick}>
            <svg class={classes!("refresh-icon", props.busy.then_some("spinning"))} viewBox="0 0 20 20" width="16" height="16" aria-hidden="true">
                <path d="M16.5 10a6.5 6.5 0 1 1-1.9-4.6M16.5 3.5v3.8h-3.8" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" />
            </svg>
            { if props.refreshing { "Refreshing…" } else { "Refresh" } }
        </button>
    }
}
