//! Claims from a tower layer, policies, async authenticators and their own refusals, and the
//! same-user check on transport requests.

use axum::http::StatusCode;
use axum::response::IntoResponse;

use super::*;

// a. Claims from a tower layer, through the authenticator to the hub.

#[tokio::test]
async fn claims_a_tower_layer_found_reach_the_authenticator_and_the_hub() {
    let (addr, _) = serve_prod().await;
    let mut ada = open(addr, "/prod", &[("x-claims", "user=ada,tenant=acme")]).await;
    // Read from the transport request's extensions.
    assert_eq!(
        call(&mut ada, "1", "Tenant", "").await,
        result("1", "\"acme\"")
    );
    // Claims the authenticator made from those extensions.
    assert_eq!(
        call(&mut ada, "2", "Claim", "\"tenant\"").await,
        result("2", "\"acme\"")
    );
    assert_eq!(
        call(&mut ada, "3", "Claim", "\"seen-by\"").await,
        result("3", "\"authenticator\"")
    );
    assert_eq!(
        call(&mut ada, "4", "Claim", "\"staff\"").await,
        result("4", "null")
    );

    // Another tenant's connection sees its own claims.
    let mut bob = open(addr, "/prod", &[("x-claims", "user=bob,tenant=globex")]).await;
    assert_eq!(
        call(&mut bob, "1", "Tenant", "").await,
        result("1", "\"globex\"")
    );
    assert_eq!(
        call(&mut bob, "2", "Claim", "\"tenant\"").await,
        result("2", "\"globex\"")
    );

    // Without the header, the layer adds nothing and nobody is authenticated.
    let mut anonymous = open(addr, "/prod", &[]).await;
    assert_eq!(
        call(&mut anonymous, "1", "Tenant", "").await,
        result("1", "null")
    );
    assert_eq!(
        call(&mut anonymous, "2", "Claim", "\"seen-by\"").await,
        result("2", "null")
    );
}

// b. Policies, by name and by function, and a hub that requires authentication as a whole.

#[tokio::test]
async fn a_named_policy_refuses_callers_that_do_not_meet_it_and_admits_those_that_do() {
    let (addr, _) = serve_prod().await;
    let mut ada = open(addr, "/prod", &[("x-claims", "user=ada,staff=false")]).await;
    assert_eq!(
        call(&mut ada, "1", "StaffOnly", "").await,
        error("1", &unauthorized("StaffOnly"))
    );
    let mut anonymous = open(addr, "/prod", &[]).await;
    assert_eq!(
        call(&mut anonymous, "1", "StaffOnly", "").await,
        error("1", &unauthorized("StaffOnly"))
    );
    let mut bob = open(addr, "/prod", &[("x-claims", "user=bob,staff=true")]).await;
    assert_eq!(
        call(&mut bob, "1", "StaffOnly", "").await,
        result("1", "\"staff\"")
    );
    // The refusal refuses that call only.
    assert_eq!(
        call(&mut ada, "2", "Echo", "\"still here\"").await,
        result("2", "\"still here\"")
    );
}

#[tokio::test]
async fn a_policy_named_by_function_refuses_and_admits_by_its_check() {
    let (addr, _) = serve_prod().await;
    let mut silver = open(addr, "/prod", &[("x-claims", "user=ada,badge=silver")]).await;
    assert_eq!(
        call(&mut silver, "1", "GoldOnly", "").await,
        error("1", &unauthorized("GoldOnly"))
    );
    let mut gold = open(addr, "/prod", &[("x-claims", "user=bob,badge=gold")]).await;
    assert_eq!(
        call(&mut gold, "1", "GoldOnly", "").await,
        result("1", "\"gold\"")
    );
    // Gold is not staff: the two policies are checked separately.
    assert_eq!(
        call(&mut gold, "2", "StaffOnly", "").await,
        error("2", &unauthorized("StaffOnly"))
    );
}

#[tokio::test]
async fn a_hub_that_requires_authorization_as_a_whole_answers_401_to_anonymous_requests() {
    let (addr, _) = serve_prod().await;
    let negotiate = "/locked/negotiate?negotiateVersion=1";
    assert_eq!(http(addr, "POST", negotiate).await.0, 401);
    let anonymous = tokio_tungstenite::connect_async(format!("ws://{addr}/locked")).await;
    match anonymous {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        }
        Err(other) => panic!("expected 401, got {other}"),
        Ok(_) => panic!("an anonymous WebSocket was accepted"),
    }
    // The hub without that requirement still lets them negotiate.
    assert_eq!(
        http(addr, "POST", "/prod/negotiate?negotiateVersion=1")
            .await
            .0,
        200
    );

    let ada = [("x-claims", "user=ada")];
    assert_eq!(http_with(addr, "POST", negotiate, &ada, b"").await.0, 200);
    let mut ws = open(addr, "/locked", &ada).await;
    assert_eq!(
        call(&mut ws, "1", "Ping", "").await,
        result("1", "\"pong\"")
    );
}

#[tokio::test]
async fn a_hub_that_requires_a_role_as_a_whole_answers_403_to_users_without_it() {
    let (addr, _) = serve_prod().await;
    let negotiate = "/staffroom/negotiate?negotiateVersion=1";
    assert_eq!(http(addr, "POST", negotiate).await.0, 401);
    let ada = [("x-claims", "user=ada")];
    assert_eq!(http_with(addr, "POST", negotiate, &ada, b"").await.0, 403);
    let mut upgrade = format!("ws://{addr}/staffroom")
        .into_client_request()
        .unwrap();
    upgrade
        .headers_mut()
        .insert("x-claims", "user=ada".parse().unwrap());
    match tokio_tungstenite::connect_async(upgrade).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), StatusCode::FORBIDDEN);
        }
        Err(other) => panic!("expected 403, got {other}"),
        Ok(_) => panic!("a user without the role got a WebSocket"),
    }
    let bob = [("x-claims", "user=bob,role=staff")];
    assert_eq!(http_with(addr, "POST", negotiate, &bob, b"").await.0, 200);
    let mut ws = open(addr, "/staffroom", &bob).await;
    assert_eq!(
        call(&mut ws, "1", "Ping", "").await,
        result("1", "\"staff pong\"")
    );
}

// c. An async authenticator: concurrent, and refusing with its own responses.

/// An authenticator that takes 50 ms per request; `banned` is refused with 403 and a body,
/// `expired` with 401 and a `WWW-Authenticate` header.
async fn serve_slow_authenticator() -> SocketAddr {
    let (hub, _) = production();
    let options = HubOptions::default().authenticate_async(|credentials| {
        let token = credentials.bearer_token().map(str::to_owned);
        async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            match token.as_deref() {
                None => Ok(None),
                Some("banned") => Err((StatusCode::FORBIDDEN, "banned: go away").into_response()),
                Some("expired") => Err((
                    StatusCode::UNAUTHORIZED,
                    [(
                        axum::http::header::WWW_AUTHENTICATE,
                        "Bearer error=\"invalid_token\"",
                    )],
                    "token expired",
                )
                    .into_response()),
                Some(name) => Ok(Some(User::new(name))),
            }
        }
    });
    let app = SignalR::new()
        .hub_with_options("/prod", hub.into_hub(), options)
        .into_router();
    listen(app).await
}

#[tokio::test]
async fn a_slow_async_authenticator_does_not_hold_up_other_requests() {
    let addr = serve_slow_authenticator().await;
    let started = Instant::now();
    let negotiations = (0..20).map(|i| async move {
        let bearer = format!("Bearer user-{i}");
        http_with(
            addr,
            "POST",
            "/prod/negotiate?negotiateVersion=1",
            &[("Authorization", &bearer)],
            b"",
        )
        .await
    });
    let answers = futures_util::future::join_all(negotiations).await;
    let elapsed = started.elapsed();
    for (status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
        assert!(body.contains("\"connectionToken\""), "{body}");
    }
    // Each one waited for the authenticator...
    assert!(elapsed >= Duration::from_millis(50), "{elapsed:?}");
    // ...but not for each other's (20 in turn would take a second).
    assert!(
        elapsed < Duration::from_millis(600),
        "20 negotiations took {elapsed:?}"
    );
}

#[tokio::test]
async fn an_authenticator_refusal_reaches_the_client_as_its_own_response() {
    let addr = serve_slow_authenticator().await;
    let negotiate = "/prod/negotiate?negotiateVersion=1";
    assert_eq!(
        http_with(
            addr,
            "POST",
            negotiate,
            &[("Authorization", "Bearer banned")],
            b""
        )
        .await,
        (403, "banned: go away".to_owned())
    );
    let (status, head, body) = raw_http(
        addr,
        "POST",
        negotiate,
        &[("Authorization", "Bearer expired")],
        b"",
    )
    .await;
    assert_eq!(status, 401);
    assert!(
        head.contains("www-authenticate: bearer error=\"invalid_token\""),
        "{head}"
    );
    assert_eq!(body, b"token expired");
    // The query's token is the same credential (browsers' WebSockets cannot set headers).
    assert_eq!(
        http(addr, "GET", "/prod?id=x&access_token=banned").await,
        (403, "banned: go away".to_owned())
    );
    // Others are let in.
    assert_eq!(
        http_with(
            addr,
            "POST",
            negotiate,
            &[("Authorization", "Bearer ada")],
            b""
        )
        .await
        .0,
        200
    );
}

// d. The transport requests of a connection must come from the user that negotiated it.

#[tokio::test]
async fn transport_requests_from_another_user_than_the_negotiating_one_are_refused() {
    let addr = serve(HubOptions::default()).await;
    let ada = [("Authorization", "Bearer token-ada")];
    let bob = [("Authorization", "Bearer token-bob")];
    let (status, body) =
        http_with(addr, "POST", "/hub/negotiate?negotiateVersion=1", &ada, b"").await;
    assert_eq!(status, 200, "{body}");
    let negotiated: serde_json::Value = serde_json::from_str(&body).unwrap();
    let token = negotiated["connectionToken"].as_str().unwrap().to_owned();
    let path = format!("/hub?id={token}");
    let handshake = HANDSHAKE.as_bytes();

    // Bob, and nobody, may not use ada's connection: not to poll, send, stop or upgrade.
    for other in [&bob[..], &[]] {
        assert_eq!(http_with(addr, "GET", &path, other, b"").await.0, 403);
        assert_eq!(
            http_with(addr, "POST", &path, other, handshake).await.0,
            403
        );
        assert_eq!(http_with(addr, "DELETE", &path, other, b"").await.0, 403);
    }
    let mut upgrade = format!("ws://{addr}{path}").into_client_request().unwrap();
    upgrade
        .headers_mut()
        .insert("Authorization", "Bearer token-bob".parse().unwrap());
    match tokio_tungstenite::connect_async(upgrade).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), StatusCode::FORBIDDEN);
        }
        Err(other) => panic!("expected 403, got {other}"),
        Ok(_) => panic!("bob's WebSocket took ada's connection"),
    }

    // Ada may: the refusals left the connection untouched.
    assert_eq!(
        http_with(addr, "GET", &path, &ada, b"").await,
        (200, String::new()),
        "the first poll returns at once"
    );
    assert_eq!(http_with(addr, "POST", &path, &ada, handshake).await.0, 200);
    assert_eq!(
        http_with(addr, "GET", &path, &ada, b"").await,
        (200, "{}\u{1e}".to_owned())
    );
    let echo =
        "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Echo\",\"arguments\":[\"mine\"]}\u{1e}";
    // Bob cannot send on it now that it runs either.
    assert_eq!(
        http_with(addr, "POST", &path, &bob, echo.as_bytes())
            .await
            .0,
        403
    );
    assert_eq!(
        http_with(addr, "POST", &path, &ada, echo.as_bytes())
            .await
            .0,
        200
    );
    let (status, polled) = http_with(addr, "GET", &path, &ada, b"").await;
    assert_eq!(status, 200);
    assert_eq!(
        records(&polled).collect::<Vec<_>>(),
        ["{\"type\":3,\"invocationId\":\"1\",\"result\":\"mine\"}"]
    );
    assert_eq!(http_with(addr, "DELETE", &path, &bob, b"").await.0, 403);
    assert_eq!(http_with(addr, "DELETE", &path, &ada, b"").await.0, 202);
}
