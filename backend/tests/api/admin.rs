//! Authorization: the admin routes need the `admin` role (alice has it, bob has not).

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn admin_lists_every_live_session_and_marks_the_current_one() {
    let app = spawn_app().await;
    let alice = Browser::new();
    let bob = Browser::new();
    app.login_as(&alice, "alice").await;
    app.login_as(&bob, "bob").await;

    let response = alice.api_get(&app.url("/api/admin/sessions")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let sessions: Vec<shared::SessionInfo> = response.json().await.unwrap();
    assert_eq!(sessions.len(), 2);
    let mine: Vec<&shared::SessionInfo> = sessions.iter().filter(|s| s.current).collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].sub, "user-alice");
    let bobs = sessions.iter().find(|s| s.sub == "user-bob").unwrap();
    assert_eq!(bobs.name.as_deref(), Some("Bob Builder"));
    assert!(bobs.last_seen_at >= bobs.created_at);
    assert_ne!(bobs.id, mine[0].id, "each session has its own public id");
}

#[tokio::test]
async fn admin_routes_are_401_signed_out_and_403_without_the_role() {
    let app = spawn_app().await;
    let anonymous = Browser::new();
    let response = anonymous.api_get(&app.url("/api/admin/sessions")).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let bob = Browser::new();
    app.login_as(&bob, "bob").await;
    let response = bob.api_get(&app.url("/api/admin/sessions")).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        response.headers().get("location").is_none(),
        "never a redirect"
    );
    let body: shared::ErrorBody = response.json().await.unwrap();
    assert_eq!(body.error.code.as_str(), "forbidden");
    let revoke = bob
        .api_post(&app.url("/api/admin/users/00000000-0000-0000-0000-000000000000/revoke-sessions"))
        .await;
    assert_eq!(revoke.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn c11_an_admin_ends_every_session_of_a_user_on_their_next_request() {
    let app = spawn_app().await;
    let alice = Browser::new();
    let bob_laptop = Browser::new();
    let bob_phone = Browser::new();
    app.login_as(&alice, "alice").await;
    app.login_as(&bob_laptop, "bob").await;
    app.login_as(&bob_phone, "bob").await;

    let sessions: Vec<shared::SessionInfo> = alice
        .api_get(&app.url("/api/admin/sessions"))
        .await
        .json()
        .await
        .unwrap();
    let bob_id = sessions
        .iter()
        .find(|s| s.sub == "user-bob")
        .unwrap()
        .user_id;

    // Without the anti-forgery header: refused, nothing revoked.
    let forged = alice
        .client
        .post(app.url(&shared::routes::admin_revoke_sessions(bob_id)))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.me(&bob_phone).await.status(), StatusCode::OK);

    let response = alice
        .api_post(&app.url(&shared::routes::admin_revoke_sessions(bob_id)))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let result: shared::RevokeResult = response.json().await.unwrap();
    assert_eq!(result.revoked, 2);
    assert_eq!(app.me(&bob_laptop).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.me(&bob_phone).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.me(&alice).await.status(), StatusCode::OK);

    let bad = alice
        .api_post(&app.url("/api/admin/users/not-a-uuid/revoke-sessions"))
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}
