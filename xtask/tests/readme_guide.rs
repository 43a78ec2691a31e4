//! The README's guide shows the minimal example's code as it is: the blocks under "Add login to
//! your existing Actix + Yew app" are the files `cargo xtask test` builds and signs in with,
//! and the glue count it states is theirs.

use std::fs;

use xtask::workspace;

fn readme() -> String {
    fs::read_to_string(workspace::root().join("README.md")).expect("README.md")
}

/// The ```rust block following the first line of the guide that starts with `marker`.
fn rust_block_after(readme: &str, marker: &str) -> String {
    let guide = &readme[readme
        .find("## Add login to your existing Actix + Yew app")
        .expect("the guide")..];
    let at = guide
        .find(marker)
        .unwrap_or_else(|| panic!("`{marker}` in the guide"));
    let rest = &guide[at..];
    let start = rest.find("```rust\n").expect("a rust block") + "```rust\n".len();
    let end = start + rest[start..].find("```\n").expect("the block's end");
    rest[start..end].to_owned()
}

fn example(path: &str) -> String {
    fs::read_to_string(workspace::root().join(path)).expect(path)
}

fn code_lines(text: &str) -> usize {
    text.lines().filter(|l| !l.trim().is_empty()).count()
}

#[test]
fn the_guide_shows_the_example_server_and_app_as_they_are() {
    let readme = readme();
    assert_eq!(
        rust_block_after(&readme, "**1. The server**"),
        example("examples/minimal/server/src/main.rs")
    );
    assert_eq!(
        rust_block_after(&readme, "`src/main.rs`:"),
        example("examples/minimal/app/src/main.rs")
    );
}

#[test]
fn the_stated_glue_count_is_the_examples_and_under_thirty() {
    let server = code_lines(&example("examples/minimal/server/src/main.rs"));
    let app = code_lines(&example("examples/minimal/app/src/main.rs"));
    assert!(server + app < 30, "{server} + {app} lines of glue");
    let readme = readme();
    assert!(
        readme.contains(&format!(
            "**That is all the glue: {} lines of code**",
            server + app
        )),
        "the README states {} lines",
        server + app
    );
    assert!(readme.contains(&format!(
        "| `examples/minimal/server/src/main.rs` | {server} |"
    )));
    assert!(readme.contains(&format!("| `examples/minimal/app/src/main.rs` | {app} |")));
}
