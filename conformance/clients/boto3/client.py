#!/usr/bin/env python3
"""AWS-CLI-compatible CodeArtifact client on top of boto3 (see ../README.md).

usage: client.py [--endpoint-url URL] [--region R] [--output json] codeartifact OPERATION [--member VALUE ...]

Any operation of the service model, with its members as the AWS CLI spells them
(`--domain-owner` for `domainOwner`); numbers, booleans and JSON (lists, structures) are
read by the member's type in botocore's model, as the AWS CLI reads them (a list also as
one word: `--versions 1.0.0`).
"""

import datetime
import json
import sys

import boto3
import botocore.exceptions
from botocore import xform_name

USAGE = __doc__.strip().splitlines()[2]


def option_name(member: str) -> str:
    """The AWS CLI's option for a member: `domainOwner` -> `--domain-owner`."""
    return "--" + xform_name(member, "-")


def read_value(shape, text: str):
    if shape.type_name in ("integer", "long"):
        return int(text)
    if shape.type_name == "boolean":
        return text.lower() == "true"
    if shape.type_name == "list":
        # JSON, or one word: the AWS CLI reads `--versions 1.0.0` as a list of one.
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        return value if isinstance(value, list) else [text]
    if shape.type_name in ("structure", "map"):
        return json.loads(text)
    if shape.type_name == "blob":
        with open(text.removeprefix("fileb://"), "rb") as file:
            return file.read()
    return text


def printable(value):
    """The output as AWS CLI v2 prints it under TZ=UTC: timestamps in ISO 8601."""
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: printable(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [printable(v) for v in value]
    if isinstance(value, bytes):
        return None
    return value


def main() -> int:
    argv = sys.argv[1:]
    globals_ = {"--endpoint-url": None, "--region": None, "--output": "json"}
    positionals, options = [], []
    while argv:
        arg = argv.pop(0)
        if arg in globals_ and argv:
            globals_[arg] = argv.pop(0)
        elif arg.startswith("--") and argv:
            options.append((arg, argv.pop(0)))
        elif arg.startswith("--"):
            options.append((arg, "true"))
        else:
            positionals.append(arg)
    if len(positionals) != 2 or positionals[0] != "codeartifact" or globals_["--output"] != "json":
        print(USAGE, file=sys.stderr)
        return 252

    client = boto3.client(
        "codeartifact", endpoint_url=globals_["--endpoint-url"], region_name=globals_["--region"]
    )
    model = client.meta.service_model
    names = {xform_name(name, "-"): name for name in model.operation_names}
    operation_name = names.get(positionals[1])
    if operation_name is None:
        print(f"unknown operation {positionals[1]}\n{USAGE}", file=sys.stderr)
        return 252
    operation = model.operation_model(operation_name)
    members = operation.input_shape.members if operation.input_shape else {}
    by_option = {option_name(name): (name, shape) for name, shape in members.items()}
    kwargs = {}
    for option, text in options:
        if option not in by_option:
            print(f"unknown option {option} for {positionals[1]}", file=sys.stderr)
            return 252
        name, shape = by_option[option]
        kwargs[name] = read_value(shape, text)

    try:
        result = getattr(client, xform_name(operation_name))(**kwargs)
    except botocore.exceptions.ParamValidationError as error:
        print(f"\nParameter validation failed:\n{error}", file=sys.stderr)
        return 252
    except botocore.exceptions.ClientError as error:
        info = error.response.get("Error", {})
        print(
            f"\nAn error occurred ({info.get('Code')}) when calling the {operation_name} "
            f"operation: {info.get('Message')}",
            file=sys.stderr,
        )
        return 254
    except Exception as error:  # connection, timeout, unparsable response
        print(f"\n{error}", file=sys.stderr)
        return 255
    print(json.dumps(printable(result), indent=4))
    return 0


if __name__ == "__main__":
    sys.exit(main())
