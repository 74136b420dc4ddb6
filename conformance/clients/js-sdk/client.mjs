#!/usr/bin/env -S node --no-warnings
// AWS-CLI-compatible GetAuthorizationToken client on top of @aws-sdk/client-codeartifact
// (see ../README.md).
import { parseArgs } from "node:util";
import { CodeartifactClient, GetAuthorizationTokenCommand, CodeartifactServiceException } from "@aws-sdk/client-codeartifact";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    "endpoint-url": { type: "string" },
    region: { type: "string" },
    output: { type: "string", default: "json" },
    domain: { type: "string" },
    "domain-owner": { type: "string" },
    "duration-seconds": { type: "string" },
  },
});
if (positionals.join(" ") !== "codeartifact get-authorization-token" || !values.domain || values.output !== "json") {
  console.error("usage: client.mjs [--endpoint-url URL] [--region R] codeartifact get-authorization-token --domain D [--domain-owner O] [--duration-seconds N]");
  process.exit(252);
}

// CLI v2 prints timestamps as isoformat() in local time; under TZ=UTC that is `+00:00`.
function isoformat(date) {
  const ms = date.getUTCMilliseconds();
  const base = date.toISOString().slice(0, 19);
  return ms ? `${base}.${String(ms * 1000).padStart(6, "0")}+00:00` : `${base}+00:00`;
}

const client = new CodeartifactClient({
  ...(values["endpoint-url"] ? { endpoint: values["endpoint-url"] } : {}),
  ...(values.region ? { region: values.region } : {}),
});
const input = { domain: values.domain };
if (values["domain-owner"] !== undefined) input.domainOwner = values["domain-owner"];
if (values["duration-seconds"] !== undefined) input.durationSeconds = Number(values["duration-seconds"]);

try {
  const out = await client.send(new GetAuthorizationTokenCommand(input));
  console.log(JSON.stringify({ authorizationToken: out.authorizationToken, expiration: isoformat(out.expiration) }, null, 4));
} catch (error) {
  if (error instanceof CodeartifactServiceException && error.$fault !== undefined && error.$metadata?.httpStatusCode) {
    console.error(`\nAn error occurred (${error.name}) when calling the GetAuthorizationToken operation: ${error.message}`);
    process.exit(254);
  }
  console.error(`\n${error.name}: ${error.message}`);
  process.exit(255);
}
