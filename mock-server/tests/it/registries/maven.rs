//! Maven against the mock's Maven repository with the settings.xml the AWS user guide shows
//! (server `codeartifact`, user `aws`, the token from `CODEARTIFACT_AUTH_TOKEN`), a mirror
//! sending every download to the mock, and Debian's plugins from `/usr/share/maven-repo` so
//! nothing comes from Maven Central: `mvn deploy` of a release and a snapshot (twice), and a
//! build that depends on each.

use std::path::Path;
use std::process::{Command, Output};

use super::{aws_ok, ok, text, token_of, Scratch, EXAMPLE, LOCALSTACK};
use crate::util::*;

/// `mvn ARGS` in `dir`, offline from everything but the mock, with `token` as the password.
fn mvn(
    home: &Path,
    dir: &Path,
    settings: &Path,
    local: &str,
    token: &str,
    args: &[&str],
) -> Output {
    Command::new("mvn")
        .args([
            "-B",
            "-s",
            settings.to_str().unwrap(),
            &format!("-Dmaven.repo.local={}", home.join(local).display()),
        ])
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("TZ", "UTC")
        .env("CODEARTIFACT_AUTH_TOKEN", token)
        .output()
        .expect("mvn runs")
}

/// The user guide's settings.xml in `home`: server `codeartifact` with the token from
/// `CODEARTIFACT_AUTH_TOKEN`, every download through `endpoint` but Debian's plugins.
fn user_guide_settings(home: &Path, endpoint: &str) -> std::path::PathBuf {
    let settings = home.join("settings.xml");
    std::fs::write(
        &settings,
        format!(
            "<settings>\n  <servers><server><id>codeartifact</id><username>aws</username><password>${{env.CODEARTIFACT_AUTH_TOKEN}}</password></server></servers>\n  <profiles><profile><id>codeartifact</id>\n    <repositories><repository><id>codeartifact</id><url>{endpoint}</url></repository></repositories>\n    <pluginRepositories><pluginRepository><id>debian</id><url>file:///usr/share/maven-repo</url></pluginRepository></pluginRepositories>\n  </profile></profiles>\n  <activeProfiles><activeProfile>codeartifact</activeProfile></activeProfiles>\n  <mirrors><mirror><id>codeartifact</id><url>{endpoint}</url><mirrorOf>*,!debian</mirrorOf></mirror></mirrors>\n</settings>\n"
        ),
    )
    .unwrap();
    settings
}

fn project(dir: &Path, artifact: &str, version: &str, body: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("pom.xml"),
        format!(
            "<project xmlns=\"http://maven.apache.org/POM/4.0.0\"><modelVersion>4.0.0</modelVersion>\n<groupId>com.acme</groupId><artifactId>{artifact}</artifactId><version>{version}</version><packaging>jar</packaging>\n<description>A tiny test artifact</description>\n<properties><maven.compiler.source>11</maven.compiler.source><maven.compiler.target>11</maven.compiler.target><project.build.sourceEncoding>UTF-8</project.build.sourceEncoding></properties>\n{body}\n</project>\n"
        ),
    )
    .unwrap();
}

#[test]
#[ignore = "real clients: run by `just test` (just clients)"]
fn maven_deploys_a_release_and_a_snapshot_and_builds_against_them_with_the_users_guide_settings() {
    let mock = MockProcess::start(&[]);
    let url = mock.url.clone();
    let home = Scratch::new("maven");
    let h = home.0.as_path();
    let endpoint = super::endpoint_of(h, &url, "my-repo", "maven");
    let token = token_of(h, &url, EXAMPLE);
    let settings = user_guide_settings(h, &endpoint);
    let distribution = format!(
        "<distributionManagement><repository><id>codeartifact</id><url>{endpoint}</url></repository><snapshotRepository><id>codeartifact</id><url>{endpoint}</url></snapshotRepository></distributionManagement>"
    );
    let lib = home.join("lib/.keep");
    let lib = lib.parent().unwrap();
    std::fs::create_dir_all(lib.join("src/main/java/com/acme")).unwrap();
    std::fs::write(lib.join("src/main/java/com/acme/Tiny.java"), "package com.acme; public class Tiny { public static int add(int a, int b) { return a + b; } }\n").unwrap();
    project(lib, "tiny", "1.0.0", &distribution);
    ok(
        mvn(h, lib, &settings, "m2-lib", &token, &["deploy"]),
        "mvn deploy 1.0.0",
    );
    project(lib, "tiny", "1.1-SNAPSHOT", &distribution);
    ok(
        mvn(h, lib, &settings, "m2-lib", &token, &["deploy"]),
        "mvn deploy 1.1-SNAPSHOT",
    );
    ok(
        mvn(h, lib, &settings, "m2-lib", &token, &["deploy"]),
        "mvn deploy 1.1-SNAPSHOT again",
    );

    let versions = super::list_versions(h, &url, "my-repo", "maven", "com.acme:tiny");
    let mut listed: Vec<(String, String)> = versions["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_str().unwrap().to_owned(),
                v["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            ("1.0.0".into(), "Published".into()),
            ("1.1-SNAPSHOT".into(), "Published".into())
        ]
    );
    let assets = aws_ok(
        h,
        &url,
        &[
            "list-package-version-assets",
            "--domain",
            "test-domain",
            "--repository",
            "my-repo",
            "--format",
            "maven",
            "--namespace",
            "com.acme",
            "--package",
            "tiny",
            "--package-version",
            "1.1-SNAPSHOT",
        ],
    );
    let jars = String::from_utf8_lossy(&assets.stdout)
        .matches(".jar\"")
        .count();
    assert_eq!(jars, 2, "two timestamped snapshot jars: {}", text(&assets));

    let app = home.join("app/.keep");
    let app = app.parent().unwrap();
    std::fs::create_dir_all(app.join("src/main/java/app")).unwrap();
    std::fs::write(app.join("src/main/java/app/App.java"), "package app; public class App { public static void main(String[] a) { System.out.println(com.acme.Tiny.add(2, 2)); } }\n").unwrap();
    for version in ["[1.0,2.0)", "1.1-SNAPSHOT"] {
        project(app, "app", "1.0.0", &format!("<dependencies><dependency><groupId>com.acme</groupId><artifactId>tiny</artifactId><version>{version}</version></dependency></dependencies>"));
        let local = format!("m2-app-{}", version.len());
        ok(
            mvn(h, app, &settings, &local, &token, &["compile"]),
            &format!("mvn compile against {version}"),
        );
        assert!(app.join("target/classes/app/App.class").exists());
        std::fs::remove_dir_all(app.join("target")).unwrap();
    }
    assert!(
        mock.logs().contains("status=401"),
        "Maven sent the token after the challenge"
    );

    // Another domain's token, then the same token past its expiry, are refused.
    let foreign = token_of(h, &url, LOCALSTACK);
    let refused = mvn(h, app, &settings, "m2-foreign", &foreign, &["compile"]);
    assert!(
        !refused.status.success() && text(&refused).contains("401"),
        "{}",
        text(&refused)
    );
    let (status, _) = control_http(&url, "PUT", "/_mock/clock", r#"{"offset_seconds": 46800}"#);
    assert_eq!(status, 200, "13 hours ahead");
    let expired = mvn(h, app, &settings, "m2-expired", &token, &["compile"]);
    assert!(
        !expired.status.success() && text(&expired).contains("401"),
        "{}",
        text(&expired)
    );
}

#[test]
#[ignore = "real clients: run by `just test` (just clients)"]
fn maven_resolves_a_dependency_through_public_maven_central_from_a_folder_in_maven_layout() {
    let home = Scratch::new("maven-external");
    let h = home.0.as_path();
    // The mirror: a local repository `mvn install` filled (Maven's layout, as
    // `dependency:go-offline` leaves one), with Debian's plugins as the only remote.
    let plain = home.join("plain-settings.xml");
    std::fs::write(&plain, "<settings><profiles><profile><id>debian</id><repositories><repository><id>debian</id><url>file:///usr/share/maven-repo</url></repository></repositories><pluginRepositories><pluginRepository><id>debian</id><url>file:///usr/share/maven-repo</url></pluginRepository></pluginRepositories></profile></profiles><activeProfiles><activeProfile>debian</activeProfile></activeProfiles><mirrors><mirror><id>debian</id><url>file:///usr/share/maven-repo</url><mirrorOf>*</mirrorOf></mirror></mirrors></settings>\n").unwrap();
    let lib = home.join("extlib/.keep");
    let lib = lib.parent().unwrap();
    std::fs::create_dir_all(lib.join("src/main/java/com/acme")).unwrap();
    std::fs::write(
        lib.join("src/main/java/com/acme/Ext.java"),
        "package com.acme; public class Ext { public static int twice(int a) { return 2 * a; } }\n",
    )
    .unwrap();
    project(lib, "extlib", "1.0.0", "");
    ok(
        mvn(h, lib, &plain, "mirror", "", &["install"]),
        "mvn install into the mirror folder",
    );
    let mirror = h.join("mirror");
    assert!(mirror
        .join("com/acme/extlib/1.0.0/extlib-1.0.0.jar")
        .is_file());

    // The same artifact under a name a package group keeps from the connection.
    let blocked = mirror.join("com/acme/ext-blocked/1.0.0");
    std::fs::create_dir_all(&blocked).unwrap();
    let pom =
        std::fs::read_to_string(mirror.join("com/acme/extlib/1.0.0/extlib-1.0.0.pom")).unwrap();
    std::fs::write(
        blocked.join("ext-blocked-1.0.0.pom"),
        pom.replace(
            "<artifactId>extlib</artifactId>",
            "<artifactId>ext-blocked</artifactId>",
        ),
    )
    .unwrap();
    std::fs::copy(
        mirror.join("com/acme/extlib/1.0.0/extlib-1.0.0.jar"),
        blocked.join("ext-blocked-1.0.0.jar"),
    )
    .unwrap();

    let config = super::upstream::fixture(h);
    let mock = super::upstream::mock_with(
        &config,
        "public:maven-central",
        &format!("file://{}", mirror.display()),
        &[],
    );
    let url = mock.url.clone();
    let endpoint = super::endpoint_of(h, &url, "app", "maven");
    let token = token_of(h, &url, EXAMPLE);
    let settings = user_guide_settings(h, &endpoint);
    let app = home.join("app/.keep");
    let app = app.parent().unwrap();
    std::fs::create_dir_all(app.join("src/main/java/app")).unwrap();
    std::fs::write(app.join("src/main/java/app/App.java"), "package app; public class App { public static void main(String[] a) { System.out.println(com.acme.Ext.twice(21)); } }\n").unwrap();
    project(app, "app", "1.0.0", "<dependencies><dependency><groupId>com.acme</groupId><artifactId>extlib</artifactId><version>1.0.0</version></dependency></dependencies>");
    ok(
        mvn(h, app, &settings, "m2-app", &token, &["compile"]),
        "mvn compile through public:maven-central",
    );
    let versions = super::list_versions(h, &url, "maven-store", "maven", "com.acme:extlib");
    assert_eq!(
        versions["versions"][0]["origin"]["originType"], "EXTERNAL",
        "{versions}"
    );
    // A package group that blocks EXTERNAL_UPSTREAM keeps ext-blocked out; no token, no file.
    let blocked_app = home.join("blocked-app/.keep");
    let blocked_app = blocked_app.parent().unwrap();
    project(blocked_app, "blocked-app", "1.0.0", "<dependencies><dependency><groupId>com.acme</groupId><artifactId>ext-blocked</artifactId><version>1.0.0</version></dependency></dependencies>");
    let refused = mvn(
        h,
        blocked_app,
        &settings,
        "m2-blocked",
        &token,
        &["compile"],
    );
    assert!(!refused.status.success(), "{}", text(&refused));
    let pom_path =
        "/d/test-domain-111122223333/us-east-1/maven/app/com/acme/extlib/1.0.0/extlib-1.0.0.pom";
    assert_eq!(super::upstream::without_token(&url, pom_path), 401);

    // The mirror folder goes away: a build with an empty local repository still resolves.
    std::fs::remove_dir_all(&mirror).unwrap();
    ok(
        mvn(h, app, &settings, "m2-again", &token, &["compile"]),
        "mvn compile with the mirror gone",
    );

    // A registry that is not there: Maven fails in time, the mock serves on.
    let nowhere = super::upstream::mock_with(
        &config,
        "public:maven-central",
        &super::upstream::nowhere(),
        &["--external-connect-timeout-seconds", "2"],
    );
    let endpoint = super::endpoint_of(h, &nowhere.url, "app", "maven");
    let settings = user_guide_settings(h, &endpoint);
    let token = token_of(h, &nowhere.url, EXAMPLE);
    let started = std::time::Instant::now();
    let failed = mvn(h, app, &settings, "m2-nowhere", &token, &["compile"]);
    assert!(!failed.status.success(), "{}", text(&failed));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(120),
        "in time"
    );
    assert!(super::upstream::alive(&nowhere.url), "the mock serves on");
}
