use wz_testkit::spawn_server;

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let server = spawn_server().await;
    assert_eq!(server.client.health().await.unwrap().status, "ok");
    assert_eq!(server.client.ready().await.unwrap().status, "ok");
    let metrics = reqwest::get(format!("{}/metrics", server.url)).await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains("wz_http_requests_total{method=\"GET\",route=\"/readyz\",status=\"200\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("wz_http_request_duration_seconds_bucket"));
    // Benchmarks read the server's CPU time from here (issue #19).
    let cpu = metrics
        .lines()
        .find_map(|l| l.strip_prefix("process_cpu_seconds_total "))
        .and_then(|v| v.parse::<f64>().ok());
    assert!(cpu.is_some_and(|seconds| seconds > 0.0), "{metrics}");
    server.stop().await;
}

#[tokio::test]
async fn openapi_document_describes_every_route() {
    let server = spawn_server().await;
    let document: serde_json::Value = reqwest::get(format!("{}/v1/openapi.json", server.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = document["paths"].as_object().unwrap();
    for path in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/v1/keys",
        "/v1/biometrics/rates",
        "/v1/cards/challenge",
        "/v1/cards/read",
        "/v1/admin/identities/status",
        "/v1/admin/audit/verify",
    ] {
        assert!(paths.contains_key(path), "missing {path}");
    }
    assert!(document["components"]["schemas"]["ErrorBody"].is_object());
}

/// SPEC §6: the measured failure rates are public, per level, with their
/// intervals, the data set and the fallback; L4 is held stricter than L2/L3.
#[tokio::test]
async fn biometric_failure_rates_are_published_per_level_with_the_fallback() {
    let server = spawn_server().await;
    let response = reqwest::get(format!("{}/v1/biometrics/rates", server.url)).await.unwrap();
    assert_eq!(response.status(), 200);
    let rates: wz_proto::BiometricRatesResponse = response.json().await.unwrap();
    assert_eq!(rates.network, "mobilefacenet");
    let [standard, high] = rates.face_mismatch.as_slice() else {
        panic!("expected two strictnesses: {:?}", rates.face_mismatch)
    };
    assert_eq!(
        (standard.levels.clone(), high.levels.clone()),
        (vec!["L2".to_owned(), "L3".into()], vec!["L4".to_owned()])
    );
    assert!(high.threshold < standard.threshold && high.far_target < standard.far_target);
    for rate in [
        &standard.false_accept,
        &standard.false_reject,
        &high.false_accept,
        &high.false_reject,
    ] {
        assert!(rate.total > 0 && rate.interval_95[0] <= rate.rate && rate.rate <= rate.interval_95[1]);
    }
    assert!(rates.data_sets.iter().any(|d| d.name == standard.data_set));
    assert!(rates.fallback.contains("trusted terminal"));
    assert!(["measured", "not_measured"].contains(&rates.liveness.status.as_str()));
    // The spoken digits: English checked, Mandarin said not to be, each
    // rate from a described set.
    let spoken = &rates.spoken_digits.languages;
    let english = spoken.iter().find(|rate| rate.language == "en").unwrap();
    let mandarin = spoken.iter().find(|rate| rate.language == "zh").unwrap();
    assert!(english.digits_checked && !mandarin.digits_checked);
    for rate in [english, mandarin] {
        let misheard = &rate.misheard;
        assert!(misheard.total > 0 && misheard.interval_95[0] <= misheard.rate && misheard.rate <= misheard.interval_95[1]);
        assert!(rates.data_sets.iter().any(|d| d.name == rate.data_set));
    }
    server.stop().await;
}

#[tokio::test]
async fn request_ids_are_issued_propagated_and_quoted_in_errors() {
    let server = spawn_server().await;
    let http = reqwest::Client::new();
    let response = http.get(format!("{}/healthz", server.url)).send().await.unwrap();
    assert_eq!(response.headers()["x-request-id"].to_str().unwrap().len(), 36);
    let response = http
        .get(format!("{}/v1/nothing", server.url))
        .header("x-request-id", "trace-me-1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["x-request-id"], "trace-me-1");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "not_found");
    assert_eq!(body["request_id"], "trace-me-1");
    assert!(!body["message"].as_str().unwrap().is_empty() && !body["message_zh"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn wrong_method_is_a_coded_error() {
    let server = spawn_server().await;
    let response = reqwest::Client::new()
        .delete(format!("{}/v1/keys", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.json::<serde_json::Value>().await.unwrap()["code"], "method_not_allowed");
}

#[tokio::test]
async fn graceful_shutdown_stops_listening() {
    let server = spawn_server().await;
    let url = server.url.clone();
    server.stop().await;
    assert!(reqwest::get(format!("{url}/healthz")).await.is_err());
}

/// Draining (as on SIGTERM): `/readyz` answers 503 so a load balancer
/// takes the instance out of rotation, while requests are still served;
/// afterwards the instance stops.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draining_instance_is_not_ready_but_still_serves() {
    let server = wz_testkit::spawn_server_with(|config| config.server.drain_seconds = 1).await;
    assert_eq!(server.client.ready().await.unwrap().status, "ok");
    let probe = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let ready = reqwest::get(format!("{}/readyz", server.url)).await.unwrap();
        let served = server.client.keys().await;
        (ready.status(), served.is_ok())
    };
    let ((), (ready, served)) = tokio::join!(server.drain(), probe);
    assert_eq!(ready, 503, "not ready while draining");
    assert!(served, "still serving while draining");
    server.stop().await;
}
