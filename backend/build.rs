// `sqlx::migrate!` embeds the migrations at compile time (the demo's, and in the tests the
// library's): rebuild when one is added or changed.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=../migrations");
}
