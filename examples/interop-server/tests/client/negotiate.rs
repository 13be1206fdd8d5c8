//! Negotiate against a fake server that redirects forever: the client follows as many
//! redirects as ASP.NET Core's clients (100) and then fails with an error.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::routing::post;
use signalr_runtime::client::{ClientError, HubConnection};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_redirect_stops_after_a_hundred() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/hub", listener.local_addr().unwrap());
    let negotiates = Arc::new(AtomicUsize::new(0));
    let app = axum::Router::new()
        .route(
            "/hub/negotiate",
            post(
                |State((count, base)): State<(Arc<AtomicUsize>, String)>| async move {
                    count.fetch_add(1, Ordering::Relaxed);
                    serde_json::json!({ "url": base }).to_string()
                },
            ),
        )
        .with_state((negotiates.clone(), base.clone()));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let connection = HubConnection::builder(&base).build().unwrap();
    let started = tokio::time::timeout(Duration::from_secs(30), connection.start())
        .await
        .unwrap();
    assert!(
        matches!(&started, Err(ClientError::Negotiate(text)) if text.contains("redirect")),
        "{started:?}"
    );
    // The first negotiate and 100 redirects, as in the JavaScript client.
    assert_eq!(negotiates.load(Ordering::Relaxed), 101);
}
