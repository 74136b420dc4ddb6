#!/usr/bin/env bash
# Makes every client the tests drive ready: AWS CLI v1 (pip), AWS CLI v2 (Debian package),
# boto3, twine and uv, Maven with Debian's plugins, Ruby and Bundler (Debian), pnpm (npm
# registry), Yarn 4 for corepack, the JS SDK client (npm ci) and the Rust SDK client (cargo
# build --release). cargo is this project's own; npm comes with Node.js.
# As root (CI, and machines of this project's kind) it installs what is missing; otherwise it
# stops and prints the exact command to run.
set -euo pipefail
cd "$(dirname "$0")"

need_root() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing: $1; install it with: $2" >&2
        exit 2
    fi
    echo "installing $1: $2"
    eval "$2"
}

if ! python3 -c 'import awscli, boto3' 2>/dev/null; then
    need_root "AWS CLI v1 and boto3 (pip)" "python3 -m pip install --quiet awscli boto3"
fi
if ! command -v twine >/dev/null || ! command -v uv >/dev/null; then
    need_root "twine and uv (pip), for the registry tests" "python3 -m pip install --quiet twine uv && { ! command -v pyenv >/dev/null || pyenv rehash; }"
fi
if [ ! -x /usr/bin/aws ] && [ -z "${AWS_CLI_V2:-}" ]; then
    need_root "AWS CLI v2 (Debian package awscli)" \
        "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq awscli >/dev/null"
fi
if ! command -v mvn >/dev/null || ! command -v javac >/dev/null \
    || [ ! -d /usr/share/maven-repo/org/apache/maven/plugins/maven-deploy-plugin ]; then
    need_root "Maven, a JDK and Debian's Maven plugins, for the Maven registry test" \
        "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jdk-headless maven libmaven-deploy-plugin-java libmaven-install-plugin-java libmaven-jar-plugin-java libmaven-resources-plugin-java libmaven-compiler-plugin-java libsurefire-java junit4 junit5 >/dev/null"
fi
if ! command -v ruby >/dev/null || ! command -v gem >/dev/null || ! command -v bundle >/dev/null; then
    need_root "Ruby and Bundler (Debian packages), for the RubyGems registry test" \
        "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ruby bundler >/dev/null"
fi
if ! command -v pnpm >/dev/null; then
    need_root "pnpm 9 (npm registry), for the npm commands test" "npm install --global --silent pnpm@9"
fi
# Yarn 4 through corepack, fetched once from the npm registry into a folder of its own: the
# tests run it with the network off for corepack.
yarn_version=4.18.1
if [ ! -d "corepack/v1/yarn/$yarn_version" ]; then
    echo "preparing Yarn $yarn_version for corepack (npm registry)"
    COREPACK_HOME="$PWD/corepack" COREPACK_NPM_REGISTRY=https://registry.npmjs.org COREPACK_ENABLE_DOWNLOAD_PROMPT=0 \
        corepack install --global "yarn@$yarn_version" >/dev/null
fi
if [ ! -d js-sdk/node_modules/@aws-sdk/client-codeartifact ]; then
    echo "preparing the JS SDK client: npm ci"
    npm ci --prefix js-sdk --no-audit --no-fund --loglevel=error
fi
echo "preparing the Rust SDK client: cargo build --release (first build takes a few minutes)"
# Its own target folder, whatever CARGO_TARGET_DIR says: the tests look for it there.
cargo build --release --locked --quiet --manifest-path rust-sdk/Cargo.toml --target-dir rust-sdk/target
