//! `<Time at=...>`: an instant as people read it ("5 minutes ago", "today at 14:02"), in the
//! browser's time zone, with the exact value in `datetime` and `title`.

use shared::OffsetDateTime;
use yew::prelude::*;

use crate::browser;
use crate::format::instant::{describe_past, exact, machine};

#[derive(Properties, PartialEq)]
pub struct TimeProps {
    pub at: OffsetDateTime,
}

#[component]
pub fn Time(props: &TimeProps) -> Html {
    let at = browser::local(props.at);
    let now = browser::local(browser::now());
    html! {
        <time datetime={machine(props.at)} title={exact(at)}>{ describe_past(at, now) }</time>
    }
}
