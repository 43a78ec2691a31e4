//! Entry point: read the start-up URL once, then render the app into `#app`.

use ferris_login_yew::StartUp;
use frontend::{browser, App, AppProps};

fn main() {
    let props = AppProps {
        start: StartUp::take(),
    };
    match browser::app_root() {
        Some(root) => yew::Renderer::<App>::with_root_and_props(root, props).render(),
        None => yew::Renderer::<App>::with_props(props).render(),
    };
}
