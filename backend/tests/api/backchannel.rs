//! Back-channel logout, driven by the real provider: signing out there ends the session here.

use reqwest::StatusCode;

use crate::helpers::*;

/// Signs out at the provider (RP-initiated logout started at the provider itself), which
/// then POSTs a logout token to our back-channel endpoint.
async fn sign_out_at_provider(app: &TestApp, browser: &Browser) {
    let url = format!(
        "{}/session/end?client_id={}",
        app.issuer,
        urlencode(CLIENT_ID)
    );
    let page = browser.get(&url).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let action = html_attr(&html, "action=\"").expect("logout form");
    let xsrf = html_attr(&html, "name=\"xsrf\" value=\"").expect("xsrf field");
    let done = browser
        .client
        .post(absolute(&url, &action))
        .form(&[("xsrf", xsrf.as_str()), ("logout", "yes")])
        .send()
        .await
        .unwrap();
    assert!(done.status().is_redirection() || done.status().is_success());
}

fn html_attr(html: &str, prefix: &str) -> Option<String> {
    let start = html.find(prefix)? + prefix.len();
    let end = start + html[start..].find('"')?;
    Some(html[start..end].replace("&amp;", "&"))
}

#[tokio::test]
async fn d04_signing_out_at_the_provider_ends_the_session_here() {
    let app = spawn_app().await;
    let browser = Browser::new();
    let bystander = Browser::new();
    app.login_as(&browser, "alice").await;
    app.login_as(&bystander, "bob").await;
    assert_eq!(app.session_rows().await, 2);

    sign_out_at_provider(&app, &browser).await;

    // The provider's notification is asynchronous to the browser's redirect: wait for it.
    for _ in 0..50 {
        if app.session_rows().await == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(app.me(&browser).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.me(&bystander).await.status(), StatusCode::OK);
    let jtis: i64 = sqlx::query_scalar("SELECT count(*) FROM backchannel_logout_jtis")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(jtis, 1);
}

#[tokio::test]
async fn invalid_logout_tokens_are_400_and_end_nothing() {
    let app = spawn_app().await;
    let browser = Browser::new();
    app.login_as(&browser, "alice").await;
    let client = reqwest::Client::new();
    let endpoint = app.url("/api/auth/backchannel-logout");
    let none_token = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.";
    for body in [
        "logout_token=not-a-jwt".to_owned(),
        format!("logout_token={none_token}"),
        "logout_token=a&logout_token=b".to_owned(),
        "other=1".to_owned(),
    ] {
        let response = client
            .post(&endpoint)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
    }
    let json = client
        .post(&endpoint)
        .json(&serde_json::json!({"logout_token": none_token}))
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), StatusCode::BAD_REQUEST);
    let get = client.get(&endpoint).send().await.unwrap();
    assert_eq!(get.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(app.session_rows().await, 1);
}
