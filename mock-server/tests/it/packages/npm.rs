//! The npm registry: publish, packuments and tarballs, through an upstream.

use super::*;

#[tokio::test]
async fn npm_publish_then_packument_and_tarball_through_an_upstream() {
    let service = service_at(t0());
    let token = token_of(&service, &everything()).await;
    let tarball = b"\x1f\x8b a tarball";
    let name = "@acme/hello";
    let published = registry(
        &service,
        "PUT",
        &format!("{NPM}@acme%2fhello"),
        &token,
        &[("content-type", "application/json")],
        publish_document(name, "1.0.0", tarball),
    )
    .await;
    assert_eq!(published.status, 200, "{:?}", published.body);

    // Read through `team`, whose upstream is `releases`: the tarball URL is team's own.
    for path in [
        format!("{TEAM_NPM}@acme%2fhello"),
        format!("{TEAM_NPM}@acme/hello"),
    ] {
        let packument = get(&service, &path, &token).await;
        assert_eq!(packument.status, 200, "{path}");
        let body = packument.json();
        assert_eq!(body["dist-tags"]["latest"], "1.0.0");
        let tarball_url = body["versions"]["1.0.0"]["dist"]["tarball"]
            .as_str()
            .unwrap();
        assert_eq!(
            tarball_url,
            format!("http://127.0.0.1:8080{TEAM_NPM}@acme/hello/-/hello-1.0.0.tgz")
        );
        let download = get(
            &service,
            tarball_url.trim_start_matches("http://127.0.0.1:8080"),
            &token,
        )
        .await;
        assert_eq!((download.status, &download.body[..]), (200, &tarball[..]));
    }
    // A second publish of the version, a tarball that is not what its integrity says.
    let again = put(
        &service,
        &format!("{NPM}@acme%2fhello"),
        &token,
        publish_document(name, "1.0.0", tarball),
    )
    .await;
    assert_eq!(again.status, 409);
    let mut forged: Value =
        serde_json::from_slice(&publish_document(name, "1.1.0", tarball)).unwrap();
    forged["_attachments"]["@acme/hello-1.1.0.tgz"]["data"] =
        json!(base64_simd::STANDARD.encode_to_string(b"other bytes"));
    forged["_attachments"]["@acme/hello-1.1.0.tgz"]["length"] = json!(11);
    let refused = registry(
        &service,
        "PUT",
        &format!("{NPM}@acme%2fhello"),
        &token,
        &[],
        Bytes::from(forged.to_string()),
    )
    .await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    // The downloads retained 1.0.0 in team, as CodeArtifact does: team lists it, entered
    // through releases.
    let retained = api(
        &service,
        "POST",
        "/v1/package/versions?domain=acme&repository=team&format=npm&namespace=acme&package=hello",
        b"",
    )
    .await
    .assert_ok();
    assert_eq!(retained["versions"][0]["version"], "1.0.0");
    assert_eq!(
        retained["versions"][0]["origin"]["domainEntryPoint"]["repositoryName"],
        "releases"
    );
    // team blocks upstream versions of the package: what it retained stays; what releases
    // publishes next is not seen through team (CodeArtifact would not take it in).
    api(
        &service,
        "POST",
        "/v1/package?domain=acme&repository=team&format=npm&namespace=acme&package=hello",
        br#"{"restrictions": {"publish": "ALLOW", "upstream": "BLOCK"}}"#,
    )
    .await
    .assert_ok();
    let newer = put(
        &service,
        &format!("{NPM}@acme%2fhello"),
        &token,
        publish_document(name, "1.2.0", tarball),
    )
    .await;
    assert_eq!(newer.status, 200);
    let through_team = get(&service, &format!("{TEAM_NPM}@acme%2fhello"), &token)
        .await
        .json();
    assert!(
        through_team["versions"].get("1.0.0").is_some()
            && through_team["versions"].get("1.2.0").is_none(),
        "{through_team}"
    );
    let direct = get(&service, &format!("{NPM}@acme%2fhello"), &token).await;
    assert!(
        direct.json()["versions"].get("1.2.0").is_some(),
        "releases itself serves it"
    );
    // npm ping and dist-tags.
    let ping = get(&service, &format!("{NPM}-/ping?write=true"), &token).await;
    assert_eq!((ping.status, ping.json()), (200, json!({})));
    let tagged = registry(
        &service,
        "PUT",
        &format!("{NPM}-/package/@acme%2fhello/dist-tags/beta"),
        &token,
        &[],
        Bytes::from_static(b"\"1.0.0\""),
    )
    .await;
    assert_eq!(tagged.status, 200);
    let tags = get(
        &service,
        &format!("{NPM}-/package/@acme%2fhello/dist-tags"),
        &token,
    )
    .await;
    assert_eq!(tags.json(), json!({ "beta": "1.0.0", "latest": "1.2.0" }));
}

#[tokio::test]
async fn npm_deprecate_changes_metadata_and_every_form_of_unpublish_is_refused() {
    let (service, token) = with_left_pad().await;
    let packument = |service: &codeartifact_mock::MockService, token: &str| {
        let (service, token) = (service.clone(), token.to_owned());
        async move {
            get(&service, &format!("{NPM}left-pad"), &token)
                .await
                .json()
        }
    };
    // What npm deprecate sends: the packument it read, `deprecated` on one version, no
    // attachments.
    let mut document = packument(&service, &token).await;
    document["versions"]["1.3.0"]["deprecated"] = json!("use 2.0.0");
    let changed = put(
        &service,
        &format!("{NPM}left-pad"),
        &token,
        Bytes::from(document.to_string()),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.message());
    let read = packument(&service, &token).await;
    assert_eq!(read["versions"]["1.3.0"]["deprecated"], "use 2.0.0");
    // Through `team`, the upstream's deprecation shows too.
    let through = get(&service, &format!("{TEAM_NPM}left-pad"), &token)
        .await
        .json();
    assert_eq!(through["versions"]["1.3.0"]["deprecated"], "use 2.0.0");
    // An empty message removes it.
    let mut document = read.clone();
    document["versions"]["1.3.0"]["deprecated"] = json!("");
    assert_eq!(
        put(
            &service,
            &format!("{NPM}left-pad"),
            &token,
            Bytes::from(document.to_string())
        )
        .await
        .status,
        200
    );
    assert!(packument(&service, &token).await["versions"]["1.3.0"]
        .get("deprecated")
        .is_none());
    // A version the repository does not have is refused, and changes nothing.
    let mut document = read.clone();
    document["versions"]["9.9.9"] =
        json!({ "name": "left-pad", "version": "9.9.9", "deprecated": "no" });
    let refused = put(
        &service,
        &format!("{NPM}left-pad"),
        &token,
        Bytes::from(document.to_string()),
    )
    .await;
    assert_eq!(refused.status, 404, "{}", refused.message());
    // The reader may not deprecate.
    let reader = token_of(
        &service,
        &Signing::key("AKIAREADEREXAMPLE001", "reader/secret/EXAMPLEKEY", t0()),
    )
    .await;
    assert_eq!(
        put(
            &service,
            &format!("{NPM}left-pad"),
            &reader,
            Bytes::from(read.to_string())
        )
        .await
        .status,
        403
    );

    // npm 7+ unpublish (one version, then the whole package) and older npm's deletes: 405.
    let mut less = read.clone();
    less["versions"].as_object_mut().unwrap().remove("1.3.0");
    for (method, path, body) in [
        (
            "PUT",
            format!("{NPM}left-pad/-rev/undefined"),
            Bytes::from(less.to_string()),
        ),
        (
            "DELETE",
            format!("{NPM}left-pad/-rev/undefined"),
            Bytes::new(),
        ),
        (
            "DELETE",
            format!("{NPM}left-pad/-/left-pad-1.3.0.tgz/-rev/undefined"),
            Bytes::new(),
        ),
        ("DELETE", format!("{NPM}left-pad"), Bytes::new()),
    ] {
        let answer = registry(&service, method, &path, &token, &[], body).await;
        assert_eq!(answer.status, 405, "{method} {path}");
        assert!(
            answer.message().contains("not supported"),
            "{}",
            answer.message()
        );
    }
    assert!(
        packument(&service, &token).await["versions"]["1.3.0"].is_object(),
        "nothing was removed"
    );
}
