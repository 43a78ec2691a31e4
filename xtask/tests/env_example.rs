//! `.env.example` documents every variable the backend reads, with a comment, and its
//! required values work for the local stack.

use std::{collections::BTreeMap, fs, path::Path};

use xtask::{stack, workspace};

/// `NAME -> (value, commented out?, has a comment above?)`.
fn entries() -> BTreeMap<String, (String, bool, bool)> {
    let text = fs::read_to_string(workspace::root().join(".env.example")).expect(".env.example");
    let mut out = BTreeMap::new();
    let mut commented_above = false;
    for line in text.lines() {
        let line = line.trim();
        let (body, disabled) = match line.strip_prefix('#') {
            Some(rest) => (rest.trim(), true),
            None => (line, false),
        };
        let assignment = body.split_once('=').filter(|(name, _)| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        });
        match assignment {
            Some((name, value)) => {
                out.insert(
                    name.to_owned(),
                    (value.to_owned(), disabled, commented_above),
                );
            }
            None => commented_above = disabled && !body.is_empty(),
        }
        if line.is_empty() {
            commented_above = false;
        }
    }
    out
}

/// Variable names the backend's sources read: `get("X")`, `required("X")`,
/// `duration("X", ..)` in the configuration and any `env::var("X")`.
fn variables_read_by(dir: &Path, found: &mut Vec<String>) {
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            variables_read_by(&path, found);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let source = fs::read_to_string(&path).unwrap();
        for call in ["get(\"", "required(\"", "duration(\"", "env::var(\""] {
            for (i, _) in source.match_indices(call) {
                let rest = &source[i + call.len()..];
                let name: String = rest.chars().take_while(|c| *c != '"').collect();
                let is_var = name.contains('_')
                    && name
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
                if is_var && !found.contains(&name) {
                    found.push(name);
                }
            }
        }
    }
}

#[test]
fn every_backend_variable_is_known_to_xtask() {
    let mut read = Vec::new();
    for dir in ["ferris-login/src", "backend/src"] {
        variables_read_by(&workspace::root().join(dir), &mut read);
    }
    assert!(
        read.contains(&"AUTH0_SECRET".to_owned()),
        "the scan finds the config"
    );
    for name in read {
        assert!(
            stack::BACKEND_ENV_VARS.contains(&name.as_str()),
            "the backend reads {name}: add it to xtask::stack::BACKEND_ENV_VARS and .env.example"
        );
    }
}

#[test]
fn documents_every_variable_with_a_comment() {
    let entries = entries();
    for var in stack::BACKEND_ENV_VARS {
        let (_, _, documented) = entries
            .get(*var)
            .unwrap_or_else(|| panic!(".env.example lists {var}"));
        assert!(
            documented,
            ".env.example explains {var} in a comment above it"
        );
    }
}

#[test]
fn required_values_are_set_for_the_local_stack_but_the_secret() {
    let entries = entries();
    for var in stack::REQUIRED_BACKEND_ENV_VARS {
        let (value, disabled, _) = &entries[*var];
        assert!(!disabled && !value.is_empty(), "{var} has a value");
    }
    // A placeholder the backend refuses: people must generate their own.
    assert!(entries["AUTH0_SECRET"].0.starts_with("replace-me"));
    assert_eq!(entries["AUTH0_CLIENT_ID"].0, stack::DEVIDP_CLIENT_ID);
    assert_eq!(
        entries["AUTH0_CLIENT_SECRET"].0,
        stack::DEVIDP_CLIENT_SECRET
    );
    assert_eq!(
        entries["AUTH0_ISSUER_BASE_URL"].0,
        format!("http://127.0.0.1:{}", stack::DEV_IDP_PORT)
    );
    assert_eq!(
        entries["AUTH0_BASE_URL"].0,
        format!("http://localhost:{}", stack::DEV_APP_PORT)
    );
    assert!(entries["DATABASE_URL"]
        .0
        .ends_with(&format!("/{}", stack::DEV_DATABASE)));
}
