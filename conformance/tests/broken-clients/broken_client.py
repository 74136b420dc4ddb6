#!/usr/bin/env python3
"""A boto3 client with one deliberate bug, to prove the conformance suite catches it.

usage: broken_client.py BUG [AWS CLI arguments...]

BUG is one of:
  ignore-domain-owner   drops --domain-owner
  lie-about-expiration  prints an expiration an hour later than the service's
  never-retry           makes exactly one attempt, whatever AWS_MAX_ATTEMPTS says
  exit-zero-on-errors   prints service errors but exits 0
"""

import argparse
import datetime
import json
import sys

import boto3
import botocore.config
import botocore.exceptions

BUGS = ["ignore-domain-owner", "lie-about-expiration", "never-retry", "exit-zero-on-errors"]


def main() -> int:
    bug = sys.argv[1]
    if bug not in BUGS:
        print(f"unknown bug {bug!r}; one of {BUGS}", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint-url")
    parser.add_argument("service")
    parser.add_argument("operation")
    parser.add_argument("--domain", required=True)
    parser.add_argument("--domain-owner")
    parser.add_argument("--duration-seconds", type=int)
    args = parser.parse_args(sys.argv[2:])

    config = botocore.config.Config(retries={"total_max_attempts": 1}) if bug == "never-retry" else None
    client = boto3.client("codeartifact", endpoint_url=args.endpoint_url, config=config)
    kwargs = {"domain": args.domain}
    if args.domain_owner is not None and bug != "ignore-domain-owner":
        kwargs["domainOwner"] = args.domain_owner
    if args.duration_seconds is not None:
        kwargs["durationSeconds"] = args.duration_seconds
    try:
        result = client.get_authorization_token(**kwargs)
    except botocore.exceptions.ClientError as error:
        info = error.response["Error"]
        print(f"\nAn error occurred ({info['Code']}) when calling the GetAuthorizationToken operation: {info['Message']}", file=sys.stderr)
        return 0 if bug == "exit-zero-on-errors" else 254
    expiration = result["expiration"]
    if bug == "lie-about-expiration":
        expiration += datetime.timedelta(hours=1)
    print(json.dumps({"authorizationToken": result["authorizationToken"], "expiration": expiration.isoformat()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
