# codeartifact-mock: `just test` is what CI runs, and what developers run.

set shell := ["bash", "-euo", "pipefail", "-c"]

export TZ := "UTC"

# The real-client cases of the mock's tests, which a plain `cargo test` leaves out.
real_clients := "cargo test --locked -p codeartifact-mock --test it -- --ignored clients:: login:: registries::"

default:
    @just --list

# Serve the mock (embedded default fixture unless --config is given).
serve *ARGS:
    cargo run --release --locked -p codeartifact-mock -- {{ARGS}}

# Everything CI checks: formatting, lints, every test, then the conformance suite with every
# real client.
test: prepare-clients lint
    cargo test --workspace --all-targets --locked
    cargo test --workspace --doc --locked
    {{real_clients}}
    just conformance
    just wheel-test
    just package image-test

# The mock's cases through every real client (AWS CLI v1 and v2, boto3, the JS and Rust
# SDKs) and `aws codeartifact login` with pip, npm and twine: ignored by a plain
# `cargo test`, which needs Rust alone.
clients: prepare-clients
    {{real_clients}}

# The conformance suite for AWS CLI v1 and v2, boto3, the JS and Rust SDKs, in process and
# against a separately started mock; reports in target/conformance/.
conformance:
    bash conformance/run-all.sh

# The declared MSRV (`rust-version` in Cargo.toml) is the toolchain building this: the one
# version the tests prove. When the toolchain moves, move the declaration with it.
msrv:
    #!/usr/bin/env bash
    set -euo pipefail
    declared=$(awk -F'"' '/^rust-version/ { print $2 }' Cargo.toml)
    actual=$(rustc --version | cut -d' ' -f2)
    if [ "$(echo "$actual" | cut -d. -f1,2)" != "$(echo "$declared" | cut -d. -f1,2)" ]; then
        echo "rust-version in Cargo.toml is $declared, but this toolchain is rustc $actual: the MSRV is the toolchain CI tests, so update rust-version" >&2
        exit 1
    fi
    echo "MSRV $declared: building with rustc $actual"

# Formatting and clippy, warnings as errors; then each crate as a user builds it, without
# the test-only `internals` feature that a workspace-wide build turns on: the binary, the
# library without its `cli` feature (an embedder's), the conformance runner.
lint: msrv
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets --locked -- -D warnings
    cargo clippy --locked -p codeartifact-mock --bins -- -D warnings
    cargo clippy --locked -p codeartifact-mock --no-default-features --lib -- -D warnings
    cargo clippy --locked -p codeartifact-conformance --bins --lib -- -D warnings

# Install or build the clients the tests drive; says what to run where it cannot.
prepare-clients:
    bash conformance/clients/prepare.sh

# The container image codeartifact-mock:latest (see Containerfile and docs/ci.md): the release
# binary, linked statically and installed as `cargo install --path mock-server` does, then
# stripped, alone in a docker-format image (which keeps its HEALTHCHECK). Needs podman
# (installed as root when missing).
image:
    #!/usr/bin/env bash
    set -euo pipefail
    if ! command -v podman >/dev/null; then
        if [ "$(id -u)" -ne 0 ]; then
            echo "just image needs podman: sudo apt-get install podman runc" >&2
            exit 2
        fi
        echo "installing podman and runc (Debian packages)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc >/dev/null
    fi
    target=$(rustc -vV | sed -n 's/^host: //p')
    RUSTFLAGS="-C target-feature=+crt-static" cargo install --locked --force --quiet \
        --path mock-server --root target/image/install --target "$target" --target-dir target/image/build
    context=target/image/context
    rm -rf "$context" && mkdir -p "$context/tmp" && chmod 1777 "$context/tmp"
    strip -o "$context/codeartifact-mock" target/image/install/bin/codeartifact-mock
    file "$context/codeartifact-mock" | grep -q 'static' || { echo "the image binary is not static" >&2; exit 1; }
    podman build --quiet --format docker -f Containerfile -t codeartifact-mock:latest "$context"

# The image run as docs/ci.md says (podman), then the CI recipes of docs/ci.md checked and
# the plain shell job run.
image-test: image
    bash .ci/image-test.sh
    python3 .ci/check-recipes.py target/image/install/bin/codeartifact-mock

# The crate as `cargo publish` would upload it: its file list, without a warning, then a
# build of the package alone (uncommitted changes included, so it runs mid-work too).
package:
    #!/usr/bin/env bash
    set -euo pipefail
    cargo package --locked -p codeartifact-mock --allow-dirty --list 2> target/package-list.log
    if grep -i 'warning' target/package-list.log; then exit 1; fi
    cargo package --locked -p codeartifact-mock --allow-dirty --quiet

# The Python distribution (python/pyproject.toml): a wheel of the stripped, statically linked
# binary with the pytest plugin, and an sdist, into target/wheels/. It builds in the image's
# target folder with the image's flags, so either build reuses the other's compiled crates.
wheel:
    #!/usr/bin/env bash
    set -euo pipefail
    command -v maturin >/dev/null || python3 -m pip install --quiet --disable-pip-version-check 'maturin>=1.5,<2'
    target=$(rustc -vV | sed -n 's/^host: //p')
    rm -rf target/wheels
    cd python
    RUSTFLAGS="-C target-feature=+crt-static" CARGO_TARGET_DIR=../target/image/build \
        maturin build --quiet --locked --release --target "$target" --out ../target/wheels
    maturin sdist --out ../target/wheels
    ls -l ../target/wheels

# The wheel as a Python team gets it: installed with pytest and boto3 into a fresh virtual
# environment, where python/tests drives both pytest fixtures (the AWS CLI comes from PATH).
wheel-test: wheel
    #!/usr/bin/env bash
    set -euo pipefail
    wheel=$(ls "$PWD"/target/wheels/codeartifact_mock-*.whl)
    venv=$PWD/target/wheel-test/venv
    rm -rf "$venv" && python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$wheel" pytest boto3
    # From a folder outside the source tree, so the installed package is the one imported.
    cd target/wheel-test
    CODEARTIFACT_MOCK_WHEEL="$wheel" "$venv/bin/python" -m pytest -p no:cacheprovider -q ../../python/tests

# Refresh the vendored service model from the installed botocore (see
# mock-server/model/PROVENANCE.md).
model:
    python3 -c "import botocore, gzip, os; src = os.path.join(os.path.dirname(botocore.__file__), 'data/codeartifact/2018-09-22/service-2.json.gz'); open('mock-server/model/codeartifact-2018-09-22.json', 'wb').write(gzip.open(src).read()); print('botocore', botocore.__version__)"

# Throughput, latency, start-up and memory against a bare hyper server (needs wrk); see
# docs/performance.md.
bench:
    bash bench/run.sh

# Criterion micro-benchmarks of the hot paths.
bench-micro:
    cargo bench --locked -p codeartifact-mock --bench hot_paths

# Coverage-guided fuzzing of the whole request path (cargo-fuzz; libFuzzer needs the
# nightly-only sanitizer flags, which RUSTC_BOOTSTRAP enables on this stable toolchain).
fuzz SECONDS="60":
    command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
    RUSTC_BOOTSTRAP=1 cargo fuzz run respond -- -max_total_time={{SECONDS}}
