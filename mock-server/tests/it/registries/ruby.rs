//! Ruby gems with Debian's `ruby` and `bundler`, set up as CodeArtifact's user guide says:
//! `gem push` with the key `Bearer TOKEN` (from `~/.gem/credentials` with `--key`, and from
//! `GEM_HOST_API_KEY`), `gem install --source` with `aws:TOKEN` in the URL, Bundler with
//! `bundle config set ENDPOINT aws:TOKEN`. Two gems built on the spot, one needing the
//! other: pushed, installed with their dependency, bundled, listed by the package API; the
//! Dependencies API read back by Ruby's own Marshal; a repush, another domain's token and an
//! expired one refused.

use std::path::Path;

use super::{
    aws_ok, endpoint_of, list_versions, must, ok, run, run_with, text, token_of, Scratch, EXAMPLE,
    LOCALSTACK,
};
use crate::util::*;

/// Writes `NAME.gemspec` and its one library file in `dir/NAME`, builds it with `gem build`
/// and answers the `.gem`'s path.
fn build_gem(
    home: &Path,
    name: &str,
    version: &str,
    dependency: Option<(&str, &str)>,
) -> std::path::PathBuf {
    let dir = home.join(name);
    std::fs::create_dir_all(dir.join("lib")).unwrap();
    let module = name.replace('-', "_");
    std::fs::write(
        dir.join(format!("lib/{module}.rb")),
        format!("module M_{module}; VERSION = {version:?}; end\n"),
    )
    .unwrap();
    let needs = dependency.map_or_else(String::new, |(gem, requirement)| {
        format!("  s.add_runtime_dependency {gem:?}, {requirement:?}\n")
    });
    std::fs::write(
        dir.join(format!("{name}.gemspec")),
        format!(
            "Gem::Specification.new do |s|\n  s.name = {name:?}\n  s.version = {version:?}\n  s.summary = \"A tiny test gem\"\n  s.authors = [\"Acme\"]\n  s.license = \"MIT\"\n  s.files = [\"lib/{module}.rb\"]\n  s.required_ruby_version = \">= 2.7\"\n{needs}  s.add_development_dependency \"rake\", \">= 13\"\nend\n"
        ),
    )
    .unwrap();
    must(home, &dir, "gem", &["build", &format!("{name}.gemspec")]);
    dir.join(format!("{name}-{version}.gem"))
}

/// `url` with `aws:TOKEN@` before its host, as `gem install --source` takes credentials.
fn with_credentials(url: &str, token: &str) -> String {
    url.replacen("://", &format!("://aws:{token}@"), 1)
}

/// `gem install NAME` from `source` into `gem_home`, without any other source.
fn gem_install(home: &Path, gem_home: &Path, source: &str, name: &str) -> std::process::Output {
    let gem_home = gem_home.to_string_lossy().into_owned();
    let args = [
        "install",
        name,
        "--clear-sources",
        "--source",
        source,
        "--no-document",
    ];
    run_with(
        home,
        home,
        EXAMPLE,
        "gem",
        &args,
        &[("GEM_HOME", &gem_home)],
    )
}

#[test]
#[ignore = "real clients: run by `just test` (just clients)"]
fn gem_push_install_and_bundler_through_the_mocks_tokens() {
    let mock = MockProcess::start(&[]);
    let home = Scratch::new("ruby");
    let h = home.0.as_path();
    let token = token_of(h, &mock.url, EXAMPLE);
    let endpoint = endpoint_of(h, &mock.url, "my-repo", "ruby");
    assert!(endpoint.ends_with("/ruby/my-repo/"), "{endpoint}");

    // Pushed with GEM_HOST_API_KEY, then with a key of ~/.gem/credentials.
    let dependency = build_gem(h, "tiny-dep", "1.2.0", None);
    let bearer = format!("Bearer {token}");
    let pushed = run_with(
        h,
        h,
        EXAMPLE,
        "gem",
        &["push", &dependency.to_string_lossy(), "--host", &endpoint],
        &[("GEM_HOST_API_KEY", &bearer)],
    );
    let pushed = ok(pushed, "gem push with GEM_HOST_API_KEY");
    assert!(
        text(&pushed).contains("Successfully registered gem: tiny-dep (1.2.0)"),
        "{}",
        text(&pushed)
    );
    let gem = build_gem(h, "tiny-app", "0.1.0", Some(("tiny-dep", "~> 1.0")));
    let credentials = h.join(".gem/credentials");
    std::fs::create_dir_all(credentials.parent().unwrap()).unwrap();
    std::fs::write(
        &credentials,
        format!("---\n:codeartifact_api_key: Bearer {token}\n"),
    )
    .unwrap();
    std::fs::set_permissions(
        &credentials,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let push_app = [
        "push",
        &*gem.to_string_lossy(),
        "--key",
        "codeartifact_api_key",
        "--host",
        &endpoint,
    ]
    .map(str::to_owned);
    let push_app: Vec<&str> = push_app.iter().map(String::as_str).collect();
    must(h, h, "gem", &push_app);
    let again = run(h, h, EXAMPLE, "gem", &push_app);
    assert!(
        !again.status.success() && text(&again).contains("Repushing"),
        "a version is pushed once: {}",
        text(&again)
    );

    // gem install resolves the dependency through the compact index and the gemspecs.
    let gem_home = h.join("gems");
    let source = with_credentials(&endpoint, &token);
    let installed = ok(
        gem_install(h, &gem_home, &source, "tiny-app"),
        "gem install",
    );
    assert!(
        text(&installed).contains("2 gems installed"),
        "{}",
        text(&installed)
    );
    for name in ["tiny-app-0.1.0", "tiny-dep-1.2.0"] {
        assert!(
            gem_home.join("gems").join(name).join("lib").is_dir(),
            "{name} installed"
        );
    }

    // Bundler with the user guide's `bundle config set ENDPOINT aws:TOKEN`.
    let app = h.join("app");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(
        app.join("Gemfile"),
        format!("source {endpoint:?}\ngem \"tiny-app\", \"~> 0.1\"\n"),
    )
    .unwrap();
    must(
        h,
        &app,
        "bundle",
        &["config", "set", "--local", "path", "vendor/bundle"],
    );
    must(
        h,
        &app,
        "bundle",
        &["config", "set", &endpoint, &format!("aws:{token}")],
    );
    must(h, &app, "bundle", &["install"]);
    let ran = must(h, &app, "bundle", &["exec", "ruby", "-e", "require 'tiny_app'; require 'tiny_dep'; puts M_tiny_app::VERSION + ' ' + M_tiny_dep::VERSION"]);
    assert_eq!(String::from_utf8_lossy(&ran.stdout).trim(), "0.1.0 1.2.0");
    let lock = std::fs::read_to_string(app.join("Gemfile.lock")).unwrap();
    assert!(
        lock.contains("tiny-dep (~> 1.0)") && lock.contains("tiny-dep (1.2.0)"),
        "{lock}"
    );

    // The Dependencies API, read by Ruby's own Marshal.
    let script = format!(
        "require 'net/http'; u = URI({:?}); r = Net::HTTP::Get.new(u); r.basic_auth('aws', {token:?}); \
         body = Net::HTTP.start(u.host, u.port) {{ |h| h.request(r) }}.body; \
         Marshal.load(body).each {{ |g| puts [g[:name], g[:number], g[:platform], g[:dependencies].inspect].join(' ') }}",
        format!("{endpoint}api/v1/dependencies?gems=tiny-app,tiny-dep")
    );
    let listed = must(h, h, "ruby", &["-e", &script]);
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout),
        "tiny-app 0.1.0 ruby [[\"tiny-dep\", \"~> 1.0\"]]\ntiny-dep 1.2.0 ruby []\n"
    );

    // The package API reports the gems and their dependencies.
    let versions = list_versions(h, &mock.url, "my-repo", "ruby", "tiny-app");
    assert_eq!(versions["versions"][0]["version"], "0.1.0", "{versions}");
    let dependencies = aws_ok(
        h,
        &mock.url,
        &[
            "list-package-version-dependencies",
            "--domain",
            "test-domain",
            "--repository",
            "my-repo",
            "--format",
            "ruby",
            "--package",
            "tiny-app",
            "--package-version",
            "0.1.0",
        ],
    );
    let dependencies: serde_json::Value = serde_json::from_slice(&dependencies.stdout).unwrap();
    assert_eq!(
        dependencies["dependencies"],
        serde_json::json!([
            { "package": "tiny-dep", "dependencyType": "runtime", "versionRequirement": "~> 1.0" },
            { "package": "rake", "dependencyType": "development", "versionRequirement": ">= 13" },
        ])
    );

    // Another domain's token, then an expired one: refused, nothing installed.
    let foreign = token_of(h, &mock.url, LOCALSTACK);
    let elsewhere = h.join("elsewhere");
    let refused = gem_install(
        h,
        &elsewhere,
        &with_credentials(&endpoint, &foreign),
        "tiny-dep",
    );
    assert!(
        !refused.status.success() && text(&refused).contains("401"),
        "{}",
        text(&refused)
    );
    let (status, _) = control_http(
        &mock.url,
        "PUT",
        "/_mock/clock",
        r#"{"offset_seconds": 46800}"#,
    );
    assert_eq!(status, 200);
    let expired = gem_install(h, &elsewhere, &source, "tiny-dep");
    assert!(
        !expired.status.success() && text(&expired).contains("401"),
        "{}",
        text(&expired)
    );
    assert!(!elsewhere.join("gems/tiny-dep-1.2.0").exists());
}
