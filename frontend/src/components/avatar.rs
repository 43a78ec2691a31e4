//! A round picture of the user, or their initials when there is no usable picture.

use shared::User;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct AvatarProps {
    pub user: User,
    /// Element id (the profile page's `avatar`, the nav's `nav-avatar`).
    #[prop_or_default]
    pub id: Option<AttrValue>,
    #[prop_or_default]
    pub large: bool,
    /// The name is written next to it: the picture says nothing more (`alt=""`, initials
    /// hidden from assistive technology), so the name is not read twice.
    #[prop_or_default]
    pub decorative: bool,
}

#[component]
pub fn Avatar(props: &AvatarProps) -> Html {
    let broken = use_state(|| false);
    let name = props.user.display_name().to_string();
    let class = classes!("avatar", props.large.then_some("avatar-large"));
    match picture_url(&props.user) {
        Some(src) if !*broken => {
            let onerror = {
                let broken = broken.clone();
                Callback::from(move |_: Event| broken.set(true))
            };
            let alt = if props.decorative {
                String::new()
            } else {
                format!("Picture of {name}")
            };
            html! {
                <img id={props.id.clone()} {class} src={src.to_string()} {alt}
                    referrerpolicy="no-referrer" width="40" height="40" {onerror} />
            }
        }
        _ if props.decorative => html! {
            <span id={props.id.clone()} class={classes!(class, "avatar-initials")} aria-hidden="true">
                { initials(&name) }
            </span>
        },
        _ => html! {
            <span id={props.id.clone()} class={classes!(class, "avatar-initials")}
                role="img" aria-label={format!("Initials of {name}")}>
                { initials(&name) }
            </span>
        },
    }
}

/// The user's picture if it is an `https:` (or `http:`) URL; anything else is not loaded.
pub fn picture_url(user: &User) -> Option<&str> {
    user.picture.as_deref().filter(|p| {
        let lower = p.to_ascii_lowercase();
        lower.starts_with("https://") || lower.starts_with("http://")
    })
}

/// Up to two initials: first letters of the first and last word (`Ada Lovelace` → `AL`); an
/// email gives the first letter of its local part; nothing usable gives `?`.
pub fn initials(display_name: &str) -> String {
    let base = display_name.split('@').next().unwrap_or(display_name);
    let words: Vec<&str> = base
        .split(|c: char| c.is_whitespace() || c == '.' || c == '_' || c == '-')
        .filter(|w| w.chars().next().is_some_and(char::is_alphanumeric))
        .collect();
    let first = |w: &str| {
        w.chars()
            .next()
            .map(|c| c.to_uppercase().collect::<String>())
    };
    let letters: String = match words.as_slice() {
        [] => return "?".to_string(),
        [only] => first(only).unwrap_or_default(),
        [head, .., last] => format!(
            "{}{}",
            first(head).unwrap_or_default(),
            first(last).unwrap_or_default()
        ),
    };
    letters
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_of_names_emails_and_oddities() {
        assert_eq!(initials("Ada Lovelace"), "AL");
        assert_eq!(initials("Ada King Lovelace"), "AL");
        assert_eq!(initials("ada"), "A");
        assert_eq!(initials("ada.lovelace@example.com"), "AL");
        assert_eq!(initials("élodie durand"), "ÉD");
        assert_eq!(initials("auth0|5f1c"), "A");
        assert_eq!(initials(""), "?");
        assert_eq!(initials("  "), "?");
    }

    #[test]
    fn only_web_pictures_are_loaded() {
        let mut user: User = serde_json::from_str(r#"{"sub":"s","issuer":"i"}"#).unwrap();
        assert_eq!(picture_url(&user), None);
        user.picture = Some("https://cdn.example/a.png".into());
        assert_eq!(picture_url(&user), Some("https://cdn.example/a.png"));
        user.picture = Some("javascript:alert(1)".into());
        assert_eq!(picture_url(&user), None);
        user.picture = Some("data:image/svg+xml,<svg/>".into());
        assert_eq!(picture_url(&user), None);
    }
}
