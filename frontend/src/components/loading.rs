//! The loading state: a spinner and a sentence, announced politely to screen readers.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LoadingProps {
    #[prop_or(AttrValue::Static("Checking your session…"))]
    pub message: AttrValue,
    /// The guard's is `loading`; others have their own.
    #[prop_or(AttrValue::Static("loading"))]
    pub id: AttrValue,
}

/// `id="loading"` (unless given another), `role="status"`.
#[component]
pub fn Loading(props: &LoadingProps) -> Html {
    html! {
        <div id={props.id.clone()} class="loading" role="status" aria-live="polite">
            <span class="spinner" aria-hidden="true"></span>
            <span class="loading-text">{ props.message.clone() }</span>
        </div>
    }
}
