//! `<InlineConfirm>`: the question that replaces a destructive button until it is answered
//! ("Sign out 2 sessions?" [Sign out] [Cancel]). The focus moves to its safe choice, Cancel; Escape
//! cancels too. The page puts the focus back on the button that opened it.

use web_sys::HtmlElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct InlineConfirmProps {
    pub question: AttrValue,
    /// Names the group for assistive technology ("Confirm signing out this session").
    pub label: AttrValue,
    pub confirm_label: AttrValue,
    /// Classes of the confirm button (tests select on them), plus its data attribute.
    pub confirm_class: Classes,
    pub cancel_class: Classes,
    /// A data attribute both buttons carry (`data-user-id`, `data-session-id`), and its value.
    pub data_name: &'static str,
    pub data_value: AttrValue,
    /// The element describing what is at stake (its id), for the confirm button.
    #[prop_or_default]
    pub described_by: Option<AttrValue>,
    pub on_confirm: Callback<()>,
    pub on_cancel: Callback<()>,
}

#[component]
pub fn InlineConfirm(props: &InlineConfirmProps) -> Html {
    let cancel_ref = use_node_ref();
    {
        let cancel_ref = cancel_ref.clone();
        use_effect_with((), move |_| {
            if let Some(cancel) = cancel_ref.cast::<HtmlElement>() {
                // Focus only fails on a detached element: nothing to do then.
                let _ = cancel.focus();
            }
        });
    }
    let on_confirm = {
        let cb = props.on_confirm.clone();
        Callback::from(move |_: MouseEvent| cb.emit(()))
    };
    let on_cancel = {
        let cb = props.on_cancel.clone();
        Callback::from(move |_: MouseEvent| cb.emit(()))
    };
    let on_keydown = {
        let cb = props.on_cancel.clone();
        Callback::from(move |event: KeyboardEvent| {
            if event.key() == "Escape" {
                event.prevent_default();
                cb.emit(());
            }
        })
    };
    let mut confirm = html! {
        <button type="button" class={classes!("btn", "btn-small", "btn-danger", props.confirm_class.clone())}
            aria-describedby={props.described_by.clone()} onclick={on_confirm}>
            { props.confirm_label.clone() }
        </button>
    };
    let mut cancel = html! {
        <button type="button" class={classes!("btn", "btn-small", "btn-secondary", props.cancel_class.clone())}
            ref={cancel_ref} onclick={on_cancel}>
            { "Cancel" }
        </button>
    };
    for button in [&mut confirm, &mut cancel] {
        if let Html::VTag(tag) = button {
            std::rc::Rc::make_mut(tag).add_attribute(props.data_name, props.data_value.clone());
        }
    }
    html! {
        <div class="confirmation" role="group" aria-label={props.label.clone()} onkeydown={on_keydown}>
            <span class="confirmation-question">{ props.question.clone() }</span>
            <div class="confirmation-buttons">{ confirm }{ cancel }</div>
        </div>
    }
}
