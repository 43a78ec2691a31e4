//! `/api/messages`: permissions guarding real data (alice may write, bob may only read).

use reqwest::StatusCode;

use crate::helpers::*;

async fn post(app: &TestApp, browser: &Browser, body: &str) -> reqwest::Response {
    browser
        .api_post_json(
            &app.url(shared::routes::MESSAGES),
            &shared::NewMessage { body: body.into() },
        )
        .await
}

async fn list(app: &TestApp, browser: &Browser) -> Vec<shared::Message> {
    let response = browser.api_get(&app.url(shared::routes::MESSAGES)).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn alice_writes_and_bob_reads() {
    let app = spawn_app_with_permissions().await;
    let alice = Browser::new();
    let bob = Browser::new();
    app.login_as(&alice, "alice").await;
    app.login_as(&bob, "bob").await;

    let created = post(&app, &alice, "  Hello from Alice  ").await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: shared::Message = created.json().await.unwrap();
    assert_eq!(created.body, "Hello from Alice");
    assert_eq!(created.author, "Alice Admin");
    assert!(created.mine);

    let seen_by_bob = list(&app, &bob).await;
    assert_eq!(
        seen_by_bob,
        [shared::Message {
            mine: false,
            ..created.clone()
        }]
    );
    assert_eq!(list(&app, &alice).await, [created]);
}

#[tokio::test]
async fn reading_needs_read_and_writing_needs_write_401_then_403() {
    let app = spawn_app_with_permissions().await;
    let anonymous = Browser::new();
    let bob = Browser::new();
    app.login_as(&bob, "bob").await;

    let signed_out = anonymous.api_get(&app.url(shared::routes::MESSAGES)).await;
    assert_eq!(signed_out.status(), StatusCode::UNAUTHORIZED);
    let body: shared::ErrorBody = signed_out.json().await.unwrap();
    assert_eq!(body.error.code, shared::ErrorCode::Unauthenticated);
    assert_eq!(
        post(&app, &anonymous, "x").await.status(),
        StatusCode::UNAUTHORIZED
    );

    let refused = post(&app, &bob, "Bob tries to write").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.headers().get("location").is_none());
    let body: shared::ErrorBody = refused.json().await.unwrap();
    assert_eq!(body.error.code, shared::ErrorCode::Forbidden);
    assert!(list(&app, &bob).await.is_empty(), "nothing was written");
}

#[tokio::test]
async fn people_delete_only_their_own_messages() {
    let app = spawn_app_with_permissions().await;
    let alice = Browser::new();
    let carol = Browser::new(); // may write too
    let bob = Browser::new();
    app.login_as(&alice, "alice").await;
    app.login_as(&carol, "carol").await;
    app.login_as(&bob, "bob").await;
    let alices: shared::Message = post(&app, &alice, "mine").await.json().await.unwrap();
    let url = app.url(&shared::routes::message(alices.id));

    assert_eq!(bob.api_delete(&url).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(carol.api_delete(&url).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(list(&app, &alice).await.len(), 1);
    assert_eq!(
        alice.api_delete(&url).await.status(),
        StatusCode::NO_CONTENT
    );
    assert!(list(&app, &alice).await.is_empty());
    assert_eq!(alice.api_delete(&url).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn message_bodies_are_bounded_plain_text() {
    let app = spawn_app_with_permissions().await;
    let alice = Browser::new();
    app.login_as(&alice, "alice").await;
    for bad in ["", "   ", &"x".repeat(501), "bell\u{7}"] {
        let response = post(&app, &alice, bad).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad:?}");
        let body: shared::ErrorBody = response.json().await.unwrap();
        assert_eq!(body.error.code, shared::ErrorCode::BadRequest);
    }
    let not_json = alice
        .client
        .post(app.url(shared::routes::MESSAGES))
        .header("X-CSRF", "1")
        .header("Content-Type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert!(not_json.status().is_client_error());
    let markup: shared::Message = post(&app, &alice, "<b>bold</b>")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        markup.body, "<b>bold</b>",
        "stored as text; the SPA renders text"
    );
}
