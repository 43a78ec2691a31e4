//! A person's own sessions (`/api/auth/sessions`) and their status (`/api/auth/session`).

use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::*;

async fn my_sessions(app: &TestApp, browser: &Browser) -> Vec<shared::MySession> {
    let response = browser.api_get(&app.url("/api/auth/sessions")).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn people_see_their_own_sessions_by_public_id_and_device() {
    let app = spawn_app().await;
    let laptop = Browser::new();
    let phone = Browser::new();
    let bob = Browser::new();
    app.login_as(&laptop, "alice").await;
    app.login_as(&phone, "alice").await;
    app.login_as(&bob, "bob").await;

    let listed = my_sessions(&app, &laptop).await;
    assert_eq!(listed.len(), 2, "bob's session is not alice's business");
    assert_eq!(listed.iter().filter(|s| s.current).count(), 1);
    for session in &listed {
        assert_eq!(session.network.as_deref(), Some("127.0.0.0/24"));
        assert!(!session.device.is_empty());
        assert!(session.last_seen_at >= session.created_at);
    }
    let from_phone = my_sessions(&app, &phone).await;
    let current_here = listed.iter().find(|s| s.current).unwrap().id;
    let current_there = from_phone.iter().find(|s| s.current).unwrap().id;
    assert_ne!(current_here, current_there);
    // The public id is not the cookie.
    let cookie = laptop.cookie_value(&app.url("/"), "bff_session").unwrap();
    assert!(!cookie.contains(&current_here.to_string()));
}

#[tokio::test]
async fn ending_another_of_my_sessions_signs_that_device_out() {
    let app = spawn_app().await;
    let laptop = Browser::new();
    let phone = Browser::new();
    app.login_as(&laptop, "alice").await;
    app.login_as(&phone, "alice").await;
    let phone_id = my_sessions(&app, &phone)
        .await
        .into_iter()
        .find(|s| s.current)
        .unwrap()
        .id;

    let response = laptop
        .api_delete(&app.url(&shared::routes::session(phone_id)))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let result: shared::RevokeResult = response.json().await.unwrap();
    assert_eq!(result.revoked, 1);
    assert_eq!(app.me(&phone).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.me(&laptop).await.status(), StatusCode::OK);
    assert_eq!(my_sessions(&app, &laptop).await.len(), 1);
}

#[tokio::test]
async fn another_users_session_id_is_not_found_and_stays_alive() {
    let app = spawn_app().await;
    let alice = Browser::new();
    let bob = Browser::new();
    app.login_as(&alice, "alice").await;
    app.login_as(&bob, "bob").await;
    let bobs_id = my_sessions(&app, &bob).await[0].id;

    let response = alice
        .api_delete(&app.url(&shared::routes::session(bobs_id)))
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: shared::ErrorBody = response.json().await.unwrap();
    assert_eq!(body.error.code, shared::ErrorCode::NotFound);
    assert_eq!(app.me(&bob).await.status(), StatusCode::OK);

    for not_an_id in ["not-a-uuid", "00000000-0000-0000-0000-000000000000"] {
        let response = alice
            .api_delete(&app.url(&format!("/api/auth/sessions/{not_an_id}")))
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{not_an_id}");
    }
}

#[tokio::test]
async fn ending_all_others_keeps_the_current_session() {
    let app = spawn_app().await;
    let browsers: Vec<Browser> = (0..3).map(|_| Browser::new()).collect();
    for browser in &browsers {
        app.login_as(browser, "alice").await;
    }
    let bob = Browser::new();
    app.login_as(&bob, "bob").await;

    // Saying nothing is not "everything".
    let vague = browsers[0]
        .api_delete(&app.url(shared::routes::SESSIONS))
        .await;
    assert_eq!(vague.status(), StatusCode::BAD_REQUEST);
    assert_eq!(my_sessions(&app, &browsers[0]).await.len(), 3);

    let response = browsers[0]
        .api_delete(&app.url(&shared::routes::other_sessions()))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let result: shared::RevokeResult = response.json().await.unwrap();
    assert_eq!(result.revoked, 2);
    assert_eq!(app.me(&browsers[0]).await.status(), StatusCode::OK);
    assert_eq!(
        app.me(&browsers[1]).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.me(&browsers[2]).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.me(&bob).await.status(),
        StatusCode::OK,
        "another user's stay"
    );
}

#[tokio::test]
async fn ending_my_current_session_by_id_signs_me_out() {
    let app = spawn_app().await;
    let browser = Browser::new();
    app.login_as(&browser, "alice").await;
    let mine = my_sessions(&app, &browser).await[0].id;
    let response = browser
        .api_delete(&app.url(&shared::routes::session(mine)))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(set_cookies(&response)
        .iter()
        .any(|c| c.starts_with("bff_session=") && c.contains("Max-Age=0")));
    assert_eq!(app.me(&browser).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_sessions_api_needs_a_session_and_the_anti_forgery_header() {
    let app = spawn_app().await;
    let anonymous = Browser::new();
    assert_eq!(
        anonymous
            .api_get(&app.url(shared::routes::SESSIONS))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let alice = Browser::new();
    app.login_as(&alice, "alice").await;
    let forged = alice
        .client
        .delete(app.url(&shared::routes::other_sessions()))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
}

async fn status(app: &TestApp, browser: &Browser) -> shared::SessionStatus {
    let response = browser.api_get(&app.url(shared::routes::SESSION)).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn stored_idle_deadline(app: &TestApp) -> time::OffsetDateTime {
    sqlx::query_scalar("SELECT idle_expires_at FROM sessions")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_status_tells_the_deadlines_without_sliding_them() {
    let app = spawn_app().await; // idle 1h, absolute 8h
    let browser = Browser::new();
    app.login_as(&browser, "alice").await;
    let first = status(&app, &browser).await;
    assert_eq!(first.idle_expires_at, stored_idle_deadline(&app).await);
    assert!(first.absolute_expires_at > first.idle_expires_at);
    assert!(first.access_token_expires_at.is_some());

    app.clock.advance(Duration::from_secs(30 * 60));
    let later = status(&app, &browser).await;
    assert_eq!(later.idle_expires_at, first.idle_expires_at, "not slid");
    assert_eq!(stored_idle_deadline(&app).await, first.idle_expires_at);
    assert!(later.now > first.now);

    // Using the session slides it; the status then shows the new deadline.
    assert_eq!(app.me(&browser).await.status(), StatusCode::OK);
    let used = status(&app, &browser).await;
    assert!(used.idle_expires_at > first.idle_expires_at);

    // And reading the status never keeps a session alive past its idle deadline.
    app.clock.advance(Duration::from_secs(59 * 60));
    status(&app, &browser).await;
    app.clock.advance(Duration::from_secs(2 * 60));
    let expired = browser.api_get(&app.url(shared::routes::SESSION)).await;
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn extending_slides_the_idle_deadline_but_never_past_the_absolute_one() {
    let app = spawn_app_with(AppOptions {
        extra_env: vec![
            ("SESSION_IDLE_TIMEOUT", "1h".to_owned()),
            ("SESSION_ABSOLUTE_TIMEOUT", "90m".to_owned()),
        ],
        ..Default::default()
    })
    .await;
    let browser = Browser::new();
    app.login_as(&browser, "alice").await;
    let first = status(&app, &browser).await;

    app.clock.advance(Duration::from_secs(10 * 60));
    let response = browser
        .api_post(&app.url(shared::routes::SESSION_EXTEND))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let extended: shared::SessionStatus = response.json().await.unwrap();
    assert!(extended.idle_expires_at > first.idle_expires_at);
    assert_eq!(extended.absolute_expires_at, first.absolute_expires_at);

    app.clock.advance(Duration::from_secs(40 * 60));
    let capped: shared::SessionStatus = browser
        .api_post(&app.url(shared::routes::SESSION_EXTEND))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(capped.idle_expires_at, capped.absolute_expires_at);

    app.clock.advance(Duration::from_secs(41 * 60));
    let over = browser
        .api_post(&app.url(shared::routes::SESSION_EXTEND))
        .await;
    assert_eq!(over.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.me(&browser).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_status_and_extend_need_a_session() {
    let app = spawn_app().await;
    let anonymous = Browser::new();
    for response in [
        anonymous.api_get(&app.url(shared::routes::SESSION)).await,
        anonymous
            .api_post(&app.url(shared::routes::SESSION_EXTEND))
            .await,
    ] {
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
}
