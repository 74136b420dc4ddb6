#!/usr/bin/env python3
"""AWS-CLI-compatible GetAuthorizationToken client on top of boto3 (see ../README.md)."""

import argparse
import json
import sys

import boto3
import botocore.exceptions


def main() -> int:
    parser = argparse.ArgumentParser(prog="boto3-client")
    parser.add_argument("--endpoint-url")
    parser.add_argument("--region")
    parser.add_argument("--output", default="json", choices=["json"])
    parser.add_argument("service", choices=["codeartifact"])
    parser.add_argument("operation", choices=["get-authorization-token"])
    parser.add_argument("--domain", required=True)
    parser.add_argument("--domain-owner")
    parser.add_argument("--duration-seconds", type=int)
    args = parser.parse_args()

    client = boto3.client("codeartifact", endpoint_url=args.endpoint_url, region_name=args.region)
    kwargs = {"domain": args.domain}
    if args.domain_owner is not None:
        kwargs["domainOwner"] = args.domain_owner
    if args.duration_seconds is not None:
        kwargs["durationSeconds"] = args.duration_seconds
    try:
        result = client.get_authorization_token(**kwargs)
    except botocore.exceptions.ClientError as error:
        info = error.response.get("Error", {})
        print(
            f"\nAn error occurred ({info.get('Code')}) when calling the GetAuthorizationToken "
            f"operation: {info.get('Message')}",
            file=sys.stderr,
        )
        return 254
    except Exception as error:  # connection, timeout, unparsable response
        print(f"\n{error}", file=sys.stderr)
        return 255
    print(
        json.dumps(
            {
                "authorizationToken": result["authorizationToken"],
                "expiration": result["expiration"].isoformat(),
            },
            indent=4,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
