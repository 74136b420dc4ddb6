#!/usr/bin/env -S node --no-warnings
// AWS-CLI-compatible CodeArtifact client on top of @aws-sdk/client-codeartifact (see
// ../README.md):
//
//   client.mjs [--endpoint-url URL] [--region R] [--output json] codeartifact OPERATION [--member VALUE ...]
//
// Any operation of the service model, members spelled as the AWS CLI spells them
// (`--domain-owner` for `domainOwner`). The SDK takes typed input, so each value is read by
// its member's type in CodeArtifact's service model (the copy in mock-server/model/), as the
// AWS CLI does.
import { readFileSync } from "node:fs";
import * as sdk from "@aws-sdk/client-codeartifact";

const USAGE = "usage: client.mjs [--endpoint-url URL] [--region R] [--output json] codeartifact OPERATION [--member VALUE ...]";
const model = JSON.parse(readFileSync(new URL("../../../mock-server/model/codeartifact-2018-09-22.json", import.meta.url)));

// `domainOwner` -> `domain-owner`; `GetAuthorizationToken` -> `get-authorization-token`.
const kebab = (name) => name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").replace(/([A-Z])([A-Z][a-z])/g, "$1-$2").toLowerCase();

const globals = { "--endpoint-url": undefined, "--region": undefined, "--output": "json" };
const positionals = [];
const options = [];
const argv = process.argv.slice(2);
while (argv.length) {
  const arg = argv.shift();
  if (arg in globals && argv.length) globals[arg] = argv.shift();
  else if (arg.startsWith("--")) options.push([arg, argv.length && !argv[0].startsWith("--") ? argv.shift() : "true"]);
  else positionals.push(arg);
}
const operationName = Object.keys(model.operations).find((name) => kebab(name) === positionals[1]);
if (positionals.length !== 2 || positionals[0] !== "codeartifact" || !operationName || globals["--output"] !== "json") {
  console.error(USAGE);
  process.exit(252);
}

const operation = model.operations[operationName];
const members = operation.input ? model.shapes[operation.input.shape].members : {};
const input = {};
for (const [option, text] of options) {
  const name = Object.keys(members).find((member) => `--${kebab(member)}` === option);
  if (!name) {
    console.error(`unknown option ${option} for ${positionals[1]}`);
    process.exit(252);
  }
  const type = model.shapes[members[name].shape].type;
  if (type === "integer" || type === "long") input[name] = Number(text);
  else if (type === "boolean") input[name] = text.toLowerCase() === "true";
  else if (type === "list") input[name] = listOf(text);
  else if (type === "structure" || type === "map") input[name] = JSON.parse(text);
  else if (type === "blob") input[name] = readFileSync(text.replace(/^fileb:\/\//, ""));
  else input[name] = text;
}

// CLI v2 prints timestamps as isoformat() in local time; under TZ=UTC that is `+00:00`.
function isoformat(date) {
  const ms = date.getUTCMilliseconds();
  const base = date.toISOString().slice(0, 19);
  return ms ? `${base}.${String(ms * 1000).padStart(6, "0")}+00:00` : `${base}+00:00`;
}

// The output as the AWS CLI prints it: no SDK metadata, timestamps in ISO 8601, no blobs.
function printable(value) {
  if (value instanceof Date) return isoformat(value);
  if (value instanceof Uint8Array) return undefined;
  if (Array.isArray(value)) return value.map(printable);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== "$metadata")
        .map(([key, member]) => [key, printable(member)])
        .filter(([, member]) => member !== undefined),
    );
  }
  return value;
}

const client = new sdk.CodeartifactClient({
  ...(globals["--endpoint-url"] ? { endpoint: globals["--endpoint-url"] } : {}),
  ...(globals["--region"] ? { region: globals["--region"] } : {}),
});
try {
  const out = await client.send(new sdk[`${operationName}Command`](input));
  console.log(JSON.stringify(printable(out), null, 4));
} catch (error) {
  if (error instanceof sdk.CodeartifactServiceException && error.$fault !== undefined && error.$metadata?.httpStatusCode) {
    console.error(`\nAn error occurred (${error.name}) when calling the ${operationName} operation: ${error.message}`);
    process.exit(254);
  }
  console.error(`\n${error.name}: ${error.message}`);
  process.exit(255);
}

// A list member: JSON, or one word, as the AWS CLI reads `--versions 1.0.0` (a list of one).
function listOf(text) {
  try {
    const value = JSON.parse(text);
    if (Array.isArray(value)) return value;
  } catch {
    // not JSON: one word
  }
  return [text];
}
