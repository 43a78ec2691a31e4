//! Security catalogue, section G (database side): the session store down and back.

use reqwest::StatusCode;

use crate::{helpers::*, throwaway_postgres::ThrowawayPostgres};

#[tokio::test]
async fn g01_g03_database_down_means_503_never_a_lost_session_or_a_fake_logout() {
    let pg = ThrowawayPostgres::start();
    let app = spawn_app_with(AppOptions {
        database_url: Some(pg.url()),
        ..Default::default()
    })
    .await;
    let browser = Browser::new();
    app.login_as(&browser, "alice").await;
    assert_eq!(app.me(&browser).await.status(), StatusCode::OK);

    pg.stop();

    let me = app.me(&browser).await;
    assert_eq!(me.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        !set_cookies(&me)
            .iter()
            .any(|c| c.starts_with("bff_session=")),
        "a live session's cookie is never cleared because the store is down"
    );
    let body: shared::ErrorBody = me.json().await.unwrap();
    assert_eq!(body.error.code, "store_unavailable");

    let logout = browser.api_post(&app.url("/api/auth/logout")).await;
    assert_eq!(
        logout.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "a failed logout is not a success"
    );

    let ready = browser.get(&app.url("/readyz")).await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);

    pg.start_again();

    // The pool heals without a restart, and the session is still there.
    let mut status = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..50 {
        status = app.me(&browser).await.status();
        if status == StatusCode::OK {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        browser
            .api_post(&app.url("/api/auth/logout"))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(app.me(&browser).await.status(), StatusCode::UNAUTHORIZED);
}
