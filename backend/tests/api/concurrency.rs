//! Correctness under concurrency, no timings asserted: cases H01–H03 and H05 (with D12) of
//! the relying-party cases (docs/relying-party-cases.md); H04 is in `refresh.rs`.

use std::collections::HashSet;

use futures_util::future::join_all;
use reqwest::StatusCode;

use crate::{
    fake_idp::{FakeIdp, Knobs},
    helpers::*,
};

#[tokio::test]
async fn h01_two_hundred_concurrent_me_on_one_session_all_succeed() {
    let fake = FakeIdp::start().await;
    let app = spawn_app_against(&fake).await;
    let browser = Browser::new();
    app.login_via_fake(&browser).await;
    let statuses = join_all((0..200).map(|_| app.me(&browser))).await;
    assert!(statuses.iter().all(|r| r.status() == StatusCode::OK));
    assert_eq!(app.session_rows().await, 1);
}

#[tokio::test]
async fn h02_concurrent_logins_from_distinct_browsers_never_cross_talk() {
    let fake = FakeIdp::start_with(Knobs {
        unique_subjects: true,
        ..Default::default()
    })
    .await;
    let app = spawn_app_against(&fake).await;
    let browsers: Vec<Browser> = (0..100).map(|_| Browser::new()).collect();
    let logins = join_all(browsers.iter().map(|b| app.login_via_fake(b))).await;
    assert!(logins.iter().all(|r| r.status() == StatusCode::FOUND));
    let users = join_all(browsers.iter().map(|b| async {
        let me = app.me(b).await;
        assert_eq!(me.status(), StatusCode::OK);
        me.json::<shared::User>().await.unwrap().sub
    }))
    .await;
    let distinct: HashSet<&String> = users.iter().collect();
    assert_eq!(distinct.len(), 100, "each browser sees its own user");
    assert_eq!(app.session_rows().await, 100);
}

#[tokio::test]
async fn h03_the_same_callback_twice_in_parallel_creates_exactly_one_session() {
    let fake = FakeIdp::start().await;
    let app = spawn_app_against(&fake).await;
    let browser = Browser::new();
    let callback = app.callback_via_fake(&browser).await;
    let responses = join_all((0..2).map(|_| browser.get(&callback))).await;
    let mut statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort();
    assert_eq!(statuses, [302, 400]);
    assert_eq!(app.session_rows().await, 1);
    assert_eq!(fake.token_requests(), 1, "the code is redeemed once");
}

#[tokio::test]
async fn h05_d12_logout_racing_requests_never_resurrects_the_session() {
    let fake = FakeIdp::start().await;
    let app = spawn_app_against(&fake).await;
    let browser = Browser::new();
    app.login_via_fake(&browser).await;
    let logout_token = fake.logout_token("fake-sid-1");
    let client = reqwest::Client::new();
    let backchannel = client
        .post(app.url("/api/auth/backchannel-logout"))
        .form(&[("logout_token", logout_token.as_str())])
        .send();
    let logout_url = app.url("/api/auth/logout");
    let logout = browser.api_post(&logout_url);
    let (mes, (bcl, logout)) = tokio::join!(join_all((0..50).map(|_| app.me(&browser))), async {
        tokio::join!(backchannel, logout)
    });
    assert!(mes
        .iter()
        .all(|r| r.status() == StatusCode::OK || r.status() == StatusCode::UNAUTHORIZED));
    assert_eq!(bcl.unwrap().status(), StatusCode::OK);
    assert_eq!(logout.status(), StatusCode::OK);
    // Afterwards: no row, and the session never answers 200 again.
    assert_eq!(app.session_rows().await, 0);
    let after = join_all((0..20).map(|_| app.me(&browser))).await;
    assert!(after.iter().all(|r| r.status() == StatusCode::UNAUTHORIZED));
    assert_eq!(app.session_rows().await, 0);
}
