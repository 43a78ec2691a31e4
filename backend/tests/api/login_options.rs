//! `/api/auth/login` passes an allow-list of authorization parameters on, values checked, and
//! a browser never lands on a JSON page.

use reqwest::StatusCode;

use serde_json::Value;

use crate::{fake_idp::FakeIdp, helpers::*};

#[tokio::test]
async fn allowed_parameters_reach_the_provider_and_others_do_not() {
    let app = spawn_app().await;
    let browser = Browser::new();
    let response = browser
        .get(&app.url(
            "/api/auth/login?returnTo=%2Fprofile&screen_hint=signup&login_hint=ada%40example.com\
             &prompt=login&ui_locales=fr-CA+en&max_age=600&organization=org_1&connection=db\
             &invitation=inv_1&acr_values=urn%3Agold\
             &redirect_uri=https%3A%2F%2Fevil.example&scope=admin&client_id=other&foo=bar",
        ))
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let authorize = location(&response);
    for (name, value) in [
        ("screen_hint", "signup"),
        ("login_hint", "ada@example.com"),
        ("prompt", "login"),
        ("ui_locales", "fr-CA en"),
        ("max_age", "600"),
        ("organization", "org_1"),
        ("connection", "db"),
        ("invitation", "inv_1"),
        ("acr_values", "urn:gold"),
    ] {
        assert_eq!(
            query_param(&authorize, name).as_deref(),
            Some(value),
            "{name}"
        );
    }
    assert_eq!(
        query_param(&authorize, "redirect_uri"),
        Some(app.url("/api/auth/callback"))
    );
    assert_eq!(
        query_param(&authorize, "client_id").as_deref(),
        Some(CLIENT_ID)
    );
    assert!(!query_param(&authorize, "scope").unwrap().contains("admin"));
    assert_eq!(query_param(&authorize, "foo"), None);
}

#[tokio::test]
async fn refused_values_are_a_clear_400_or_the_spas_message() {
    let app = spawn_app().await;
    let browser = Browser::new();
    for bad in [
        "prompt=none+login",
        "screen_hint=admin",
        "max_age=soon",
        "login_hint=a%0Ab",
        "ui_locales=%3Cscript%3E",
    ] {
        let url = app.url(&format!("/api/auth/login?{bad}"));
        let response = browser.get(&url).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
        let body: shared::ErrorBody = response.json().await.unwrap();
        assert_eq!(body.error.code, shared::ErrorCode::BadRequest);
        assert!(
            browser.cookies_for(&app.url("/")).is_empty(),
            "no transaction"
        );

        let navigation = browser.navigate(&url).await;
        assert_eq!(navigation.status(), StatusCode::FOUND);
        assert_eq!(location(&navigation), app.url("/?login_error=bad_request"));
    }
}

#[tokio::test]
async fn sign_up_reaches_the_providers_sign_up_form() {
    let app = spawn_app().await;
    let browser = Browser::new();
    let authorize = location(
        &browser
            .get(&app.url("/api/auth/login?screen_hint=signup"))
            .await,
    );
    let mut url = authorize;
    for _ in 0..5 {
        let response = browser.get(&url).await;
        if response.status().is_redirection() {
            url = absolute(&url, &location(&response));
            continue;
        }
        let page = response.text().await.unwrap();
        assert!(page.contains("Create your account"), "{page}");
        return;
    }
    panic!("no sign-up form");
}

#[tokio::test]
async fn a_browser_never_lands_on_json_when_the_provider_is_down() {
    let app = spawn_app_with(AppOptions {
        issuer: Some(format!("http://127.0.0.1:{}", quiet_port())),
        ..Default::default()
    })
    .await;
    let browser = Browser::new();
    let navigation = browser
        .navigate(&app.url("/api/auth/login?returnTo=%2Fprofile"))
        .await;
    assert_eq!(navigation.status(), StatusCode::FOUND);
    assert_eq!(
        location(&navigation),
        app.url("/?login_error=provider_unavailable")
    );
    // A fetch still gets the JSON error and its status.
    let fetch = browser.get(&app.url("/api/auth/login")).await;
    assert_eq!(fetch.status(), StatusCode::BAD_GATEWAY);
    let body: shared::ErrorBody = fetch.json().await.unwrap();
    assert_eq!(body.error.code, shared::ErrorCode::ProviderUnavailable);
}

#[tokio::test]
async fn max_age_is_checked_against_auth_time() {
    let fake = FakeIdp::start().await;
    let app = spawn_app_against(&fake).await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let login = |auth_time: Option<i64>| {
        let (app, fake) = (&app, &fake);
        async move {
            fake.set(|k| {
                k.claims.insert(
                    "auth_time".into(),
                    auth_time.map_or(Value::Null, Value::from),
                );
            });
            let browser = Browser::new();
            let authorize = location(&browser.get(&app.url("/api/auth/login?max_age=60")).await);
            assert_eq!(query_param(&authorize, "max_age").as_deref(), Some("60"));
            let callback = location(&browser.get(&authorize).await);
            browser.get(&callback).await.status()
        }
    };
    assert_eq!(
        login(Some(now - 10)).await,
        StatusCode::FOUND,
        "fresh enough"
    );
    assert_eq!(
        login(Some(now - 3600)).await,
        StatusCode::BAD_REQUEST,
        "signed in an hour ago"
    );
    assert_eq!(
        login(None).await,
        StatusCode::BAD_REQUEST,
        "max_age asked, auth_time missing"
    );
}
