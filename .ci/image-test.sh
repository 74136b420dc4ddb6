#!/usr/bin/env bash
# Tests the image `just image` built (codeartifact-mock:latest) with podman: its size and
# configuration, then two containers run as docs/ci.md describes (published settings through
# the environment): the AWS CLI against them, the image's health check, and the SIGTERM stop
# path (exit 0). Fails with podman's own message when a container cannot start.
set -euo pipefail

image=codeartifact-mock:latest
# This machine's VM: crun refuses its cgroup set-up and there is no bridge network. These
# flags belong to this test only, not to the user documentation.
podman=(podman --runtime /usr/sbin/runc --cgroup-manager=cgroupfs)
run_flags=(--network host --ulimit nofile=20000:20000 --ulimit nproc=4096:4096)
export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE \
       AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY \
       AWS_DEFAULT_REGION=us-east-1
HOME=$(mktemp -d)
export HOME
# Nor systemd, whose timers podman asks for a container with a health check: it complains
# on stderr and goes on. Its stderr is kept here and shown when a step fails.
podman_errors=$HOME/podman.err
containers=()
cleanup() {
    for name in "${containers[@]}"; do
        "${podman[@]}" rm --force --time 0 "$name" > /dev/null 2>&1 || true
    done
}
trap cleanup EXIT

fail() {
    echo "image test: FAIL: $*" >&2
    exit 1
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts a container of the image named $1 listening on port $2, with more `-e` settings.
start() {
    local name=$1 port=$2
    shift 2
    containers+=("$name")
    "${podman[@]}" rm --force --time 0 "$name" > /dev/null 2>&1 || true
    "${podman[@]}" run --detach --name "$name" "${run_flags[@]}" \
        -e "CODEARTIFACT_MOCK_LISTEN=0.0.0.0:$port" "$@" "$image" > /dev/null 2> "$podman_errors" \
        || fail "podman could not start $name: $(cat "$podman_errors")"
    for _ in $(seq 100); do
        if [[ "$("${podman[@]}" logs "$name" 2> /dev/null)" == *"listening on "* ]]; then
            return
        fi
        [ "$("${podman[@]}" inspect --format '{{.State.Running}}' "$name")" = true ] \
            || fail "$name stopped at start: $("${podman[@]}" logs "$name" 2>&1)"
        sleep 0.1
    done
    fail "$name did not announce its address: $("${podman[@]}" logs "$name" 2>&1)"
}

# Stops container $1 as a runtime does (SIGTERM) and expects exit 0.
stop_cleanly() {
    local name=$1
    "${podman[@]}" stop --time 10 "$name" > /dev/null 2> "$podman_errors" \
        || fail "podman could not stop $name: $(cat "$podman_errors")"
    local code
    code=$("${podman[@]}" inspect --format '{{.State.ExitCode}}' "$name")
    [ "$code" = 0 ] || fail "$name exited $code on SIGTERM: $("${podman[@]}" logs "$name" 2>&1)"
    [[ "$("${podman[@]}" logs "$name" 2>&1)" == *"shutting down"* ]] || fail "$name did not drain"
}

echo "--- the image"
size=$("${podman[@]}" image inspect --format '{{.Size}}' "$image")
echo "size: $size bytes"
[ "$size" -lt $((20 * 1024 * 1024)) ] || fail "the image is $size bytes, over 20 MiB"
user=$("${podman[@]}" image inspect --format '{{.Config.User}}' "$image")
[[ "$user" =~ ^[1-9][0-9]*(:[0-9]+)?$ ]] || fail "the image runs as '$user', not a numeric non-root user"
health=$("${podman[@]}" image inspect --format '{{.Config.Healthcheck.Test}}' "$image")
[[ "$health" == *"/codeartifact-mock healthcheck"* ]] || fail "no HEALTHCHECK in the image: '$health'"
ports=$("${podman[@]}" image inspect --format '{{.Config.ExposedPorts}}' "$image")
[[ "$ports" == *8080/tcp* ]] || fail "the image exposes '$ports', not 8080"
layers=$("${podman[@]}" image inspect --format '{{len .RootFS.Layers}}' "$image")
version=$("${podman[@]}" run --rm "${run_flags[@]}" "$image" --version 2> "$podman_errors") \
    || fail "the image does not run: $(cat "$podman_errors")"
[[ "$version" == codeartifact-mock* ]] || fail "the binary in the image answered '$version' to --version"
echo "$version: user $user, health check '$health', exposed $ports, $layers layers"

echo "--- the default settings: control API off on 0.0.0.0, no admin token"
port=$(free_port)
start ca-mock-image-default "$port"
url="http://127.0.0.1:$port"
# Each output is read whole before it is searched: `aws ... | grep -q` fails under pipefail
# whenever grep has its match and exits before the CLI has written the rest (broken pipe).
token=$(aws --endpoint-url "$url" codeartifact get-authorization-token --domain test-domain \
    --query authorizationToken --output text) || fail "get-authorization-token failed"
[[ "$token" == eyJ* ]] || fail "no token from the container"
dry_run=$(aws --endpoint-url "$url" codeartifact login --tool pip --domain test-domain \
    --repository my-repo --dry-run) || fail "login --dry-run failed"
[[ "$dry_run" == *"127.0.0.1:$port/d/test-domain-111122223333/us-east-1/pypi/my-repo/simple/"* ]] \
    || fail "login --tool pip --dry-run did not name the container's repository endpoint: $dry_run"
"${podman[@]}" healthcheck run ca-mock-image-default || fail "the image's health check failed"
# The probe itself, run in the container as the runtime runs it: its verdict and reason.
probe=$("${podman[@]}" exec ca-mock-image-default /codeartifact-mock healthcheck)
[ "$probe" = "healthy: HTTP/1.1 403 Forbidden" ] || fail "the probe said '$probe'"
status=$(curl -s -o /dev/null -w '%{http_code}' "$url/_mock/config")
[ "$status" = 403 ] || fail "the control API answered $status on 0.0.0.0 without a token"
stop_cleanly ca-mock-image-default
echo "ok: token, login --dry-run, health check, control API off, SIGTERM exit 0"

echo "--- an admin token and TLS through the environment"
port=$(free_port)
start ca-mock-image-admin "$port" -e CODEARTIFACT_MOCK_ADMIN_TOKEN=image-test-token \
    -e CODEARTIFACT_MOCK_TLS=true
url="https://127.0.0.1:$port"
status=$(curl -sk -o /dev/null -w '%{http_code}' "$url/_mock/health")
[ "$status" = 401 ] || fail "the control API answered $status without the admin token"
curl -skf -H 'Authorization: Bearer image-test-token' "$url/_mock/faults" \
    -d '{"error": "ThrottlingException", "times": 1}' > /dev/null || fail "no fault rule with the admin token"
"${podman[@]}" healthcheck run ca-mock-image-admin || fail "the health check failed over TLS with the token"
probe=$("${podman[@]}" exec ca-mock-image-admin /codeartifact-mock healthcheck)
[ "$probe" = "healthy: HTTP/1.1 200 OK" ] || fail "the probe said '$probe'"
stop_cleanly ca-mock-image-admin
echo "ok: control API behind the token, a fault rule, health check over TLS, SIGTERM exit 0"

echo "--- a data volume: what was published survives a new container, for the same token"
volume=$HOME/volume
mkdir -p "$volume" && chmod 0777 "$volume"
port=$(free_port)
data_env=(-v "$volume:/data" -e CODEARTIFACT_MOCK_DATA_DIR=/data -e CODEARTIFACT_MOCK_TOKEN_KEY_FILE=/data/token.key)
start ca-mock-image-data "$port" "${data_env[@]}"
url="http://127.0.0.1:$port"
token=$(aws --endpoint-url "$url" codeartifact get-authorization-token --domain test-domain \
    --query authorizationToken --output text)
npm=/d/test-domain-111122223333/us-east-1/npm/my-repo
tarball=$(printf 'kept across containers' | base64 -w0)
document='{"name": "kept", "versions": {"1.0.0": {"name": "kept", "version": "1.0.0"}}, "dist-tags": {"latest": "1.0.0"}, "_attachments": {"kept-1.0.0.tgz": {"data": "'$tarball'"}}}'
curl -sf -X PUT -H "Authorization: Bearer $token" -H 'content-type: application/json' \
    "$url$npm/kept" -d "$document" > /dev/null || fail "npm publish to the container was refused"
stop_cleanly ca-mock-image-data
start ca-mock-image-data-again "$port" "${data_env[@]}"
kept=$(curl -sf -H "Authorization: Bearer $token" "$url$npm/kept/-/kept-1.0.0.tgz") \
    || fail "the new container did not serve the published tarball to the same token"
[ "$kept" = "kept across containers" ] || fail "the new container served '$kept'"
stop_cleanly ca-mock-image-data-again
echo "ok: published, stopped, served by a new container to the same token"
