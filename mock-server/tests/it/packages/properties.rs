//! Whatever a client with a good token sends, the registry answers and the store stays consistent.

use super::*;

#[test]
fn any_request_with_a_good_token_gets_a_registry_answer_and_leaves_the_store_consistent() {
    use proptest::prelude::*;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let service = service_at(t0());
    let token = runtime.block_on(token_of(&service, &everything()));
    // Some packages with odd but valid names and versions, for the random requests to meet.
    runtime.block_on(async {
        for (name, version) in [("@acme/x.y", "1.0.0-rc.1+build"), ("a_b", "0.0.1")] {
            let path = format!("{NPM}{}", name.replace('/', "%2f"));
            let answer = put(
                &service,
                &path,
                &token,
                publish_document(name, version, b"t"),
            )
            .await;
            assert_eq!(answer.status, 200, "{name}");
        }
        for (name, version) in [("Weird.Name_X", "1!2.0+local"), ("z", "0")] {
            let file = format!("{}-{version}.tar.gz", name.to_lowercase());
            let form = upload_form(name, version, &file, b"sdist", None);
            assert_eq!(
                upload(&service, PYPI, &token, form).await.status,
                200,
                "{name}"
            );
        }
    });
    let segment = prop_oneof![
        Just("simple".to_owned()),
        Just("-".to_owned()),
        Just("@acme".to_owned()),
        Just("%2f".to_owned()),
        Just("..".to_owned()),
        Just(String::new()),
        // RubyGems' and Swift's paths.
        prop_oneof![
            Just("info"),
            Just("versions"),
            Just("gems"),
            Just("api"),
            Just("v1"),
            Just("dependencies"),
            Just("quick"),
            Just("Marshal.4.8"),
            Just("identifiers"),
            Just("Package.swift"),
            Just("1.0.0.zip"),
            Just("login"),
        ]
        .prop_map(str::to_owned),
        "[a-zA-Z0-9._~%@!*'()-]{1,12}",
        "\\PC{1,6}",
    ];
    let body = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200).prop_map(Bytes::from),
        // A publish document with arbitrary name, version and tarball.
        (
            "[a-z@/%-]{0,12}",
            "[0-9.a-z-]{0,8}",
            prop::collection::vec(any::<u8>(), 0..40)
        )
            .prop_map(|(name, version, tarball)| publish_document(&name, &version, &tarball)),
        // A gem whose specification is arbitrary text.
        "[ a-z:\\-\\[\\]{}!'\n0-9.]{0,200}"
            .prop_map(|yaml| Bytes::from(codeartifact_mock::gems::build_gem(&yaml))),
        // twine's form with arbitrary fields.
        (
            "[A-Za-z_.-]{0,10}",
            "[0-9.]{0,6}",
            "[ -~]{0,20}",
            prop::collection::vec(any::<u8>(), 0..40)
        )
            .prop_map(|(name, version, file, content)| upload_form(
                &name, &version, &file, &content, None
            )
            .1),
    ];
    let strategy = (
        prop_oneof![
            Just("GET"),
            Just("PUT"),
            Just("POST"),
            Just("DELETE"),
            Just("HEAD")
        ],
        prop_oneof![
            Just("pypi"),
            Just("npm"),
            Just("maven"),
            Just("cargo"),
            Just("nuget"),
            Just("ruby"),
            Just("swift")
        ],
        prop::collection::vec(segment, 0..5),
        body,
        prop_oneof![
            Just("application/json".to_owned()),
            Just("multipart/form-data; boundary=----twine-boundary-7MA4YWxkTrZu0gW".to_owned()),
            "[ -~]{0,30}",
        ],
        prop_oneof![
            Just("*/*"),
            Just("application/vnd.pypi.simple.v1+json"),
            Just("text/plain")
        ],
    );
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(400));
    runner
        .run(
            &strategy,
            |(method, format, segments, body, content_type, accept)| {
                let path = format!(
                    "/d/acme-111122223333/us-east-1/{format}/releases/{}",
                    segments.join("/")
                );
                let Ok(uri) = path.parse::<http::Uri>() else {
                    return Ok(());
                };
                let request = Request::builder()
                    .method(method)
                    .uri(uri)
                    .header("host", "127.0.0.1:8080")
                    .header("authorization", format!("Bearer {token}"))
                    .header("content-type", content_type.as_str())
                    .header("accept", accept)
                    .body(body)
                    .unwrap();
                let answer = runtime.block_on(call(&service, request));
                prop_assert!(
                    [200, 201, 204, 301, 304, 400, 403, 404, 405, 406, 409, 422]
                        .contains(&answer.status)
                        || (answer.status == 501 && format == "swift"),
                    "{method} {path}: {}",
                    answer.status
                );
                Ok(())
            },
        )
        .unwrap();
    // Whatever was stored reads back through the API and the registries.
    let list = runtime
        .block_on(api(
            &service,
            "POST",
            "/v1/packages?domain=acme&repository=releases",
            b"",
        ))
        .assert_ok();
    assert!(list["packages"].as_array().unwrap().len() >= 4, "{list}");
    let page = runtime.block_on(get(
        &service,
        &format!("{PYPI}simple/weird-name-x/"),
        &token,
    ));
    assert_eq!(
        page.status, 200,
        "nothing a client sends deletes a Python package"
    );
    let link = String::from_utf8_lossy(&page.body)
        .split("href=\"http://127.0.0.1:8080")
        .nth(1)
        .unwrap()
        .split('#')
        .next()
        .unwrap()
        .to_owned();
    let file = runtime.block_on(get(&service, &link, &token));
    assert_eq!(
        (file.status, &file.body[..]),
        (200, &b"sdist"[..]),
        "{link}"
    );
    for package in list["packages"].as_array().unwrap() {
        let (format, name) = (
            package["format"].as_str().unwrap(),
            package["package"].as_str().unwrap(),
        );
        let namespace = package["namespace"]
            .as_str()
            .map(|n| format!("&namespace={n}"))
            .unwrap_or_default();
        let path = format!("/v1/package/versions?domain=acme&repository=releases&format={format}{namespace}&package={}", percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC));
        let mut req = request("POST", &path, b"");
        sign_request(&mut req, &everything());
        let answer = runtime.block_on(call(&service, req));
        assert_eq!(answer.status, 200, "{package}: {:?}", answer.body);
    }
}
