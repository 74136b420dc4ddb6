#!/usr/bin/env bash
# Runs the conformance suite for every real client (AWS CLI v1 and v2, boto3, the JS SDK, the
# Rust SDK), twice each: against the in-process mock, and against a codeartifact-mock started
# separately and named with --endpoint-url. Clients run in parallel; reports (JUnit and JSON)
# and logs go to target/conformance/. Exits non-zero if any run failed.
set -euo pipefail
cd "$(dirname "$0")/.."

out=target/conformance
rm -rf "$out" && mkdir -p "$out"
cargo build --quiet --locked -p codeartifact-mock -p codeartifact-conformance
# Where cargo put them: CARGO_TARGET_DIR (or build.target-dir) may move the target folder.
target_dir=$(cargo metadata --format-version 1 --no-deps --locked | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
bin=$target_dir/debug

# name=command line
clients=(
    "aws-cli-v1=python3 -m awscli"
    "aws-cli-v2=${AWS_CLI_V2:-/usr/bin/aws}"
    "boto3=boto3"
    "js-sdk=js-sdk"
    "rust-sdk=rust-sdk"
)

# Starts a mock on an ephemeral port and prints its URL, read from its `listening on` line.
start_mock() {
    local name=$1 fifo
    fifo=$(mktemp -u)
    mkfifo "$fifo"
    "$bin/codeartifact-mock" --listen 127.0.0.1:0 >"$fifo" 2>"$out/$name.mock.log" &
    echo $! >"$out/$name.mock.pid"
    local line
    read -r line <"$fifo"
    rm -f "$fifo"
    echo "${line#listening on }"
}

run_client() {
    local name=$1 command=$2 status=0 url
    "$bin/codeartifact-conformance" run --client "$command" --jobs 1 \
        --junit "$out/$name-in-process.xml" --json "$out/$name-in-process.json" \
        >"$out/$name-in-process.txt" 2>&1 || status=1
    url=$(start_mock "$name")
    "$bin/codeartifact-conformance" run --client "$command" --endpoint-url "$url" \
        --junit "$out/$name-endpoint.xml" --json "$out/$name-endpoint.json" \
        >"$out/$name-endpoint.txt" 2>&1 || status=1
    kill "$(cat "$out/$name.mock.pid")" 2>/dev/null || true
    return $status
}

pids=()
for entry in "${clients[@]}"; do
    run_client "${entry%%=*}" "${entry#*=}" &
    pids+=($!)
done
failed=0
for i in "${!clients[@]}"; do
    wait "${pids[$i]}" || failed=1
done

for entry in "${clients[@]}"; do
    name=${entry%%=*}
    for mode in in-process endpoint; do
        printf '%-11s %-10s %s\n' "$name" "$mode" "$(tail -n 1 "$out/$name-$mode.txt")"
        grep -E '^(FAIL|ERROR|XFAIL) ' "$out/$name-$mode.txt" | sed 's/^/    /' || true
    done
done
total=$(cat "$out"/*.txt | grep -cE '^PASS ' || true)
bad=$(cat "$out"/*.txt | grep -cE '^(FAIL|ERROR) ' || true)
echo "conformance: $total passed, $bad failed"
exit $failed
