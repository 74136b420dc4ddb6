#!/usr/bin/env bash
# A plain shell job: start codeartifact-mock, wait until it serves, use it, stop it.
# Needs `codeartifact-mock` on PATH (`cargo install --path mock-server`) and the AWS CLI.
set -euo pipefail

port=${MOCK_PORT:-8080}
export MOCK=http://127.0.0.1:$port
export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE \
       AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY \
       AWS_DEFAULT_REGION=us-east-1
logs=$(mktemp -d)

codeartifact-mock --listen "127.0.0.1:$port" > "$logs/mock.out" 2> "$logs/mock.log" &
mock=$!
# SIGTERM drains and exits 0: the job fails if the mock did not stop cleanly.
trap 'kill -TERM "$mock"; wait "$mock"' EXIT
until codeartifact-mock --listen "127.0.0.1:$port" healthcheck > /dev/null 2>&1; do
    kill -0 "$mock" || { cat "$logs/mock.log" >&2; exit 1; }
    sleep 0.1
done

aws --endpoint-url "$MOCK" codeartifact get-authorization-token --domain test-domain \
    --query expiration --output text
aws --endpoint-url "$MOCK" codeartifact login --tool pip --domain test-domain \
    --repository my-repo
