//! AWS-CLI-compatible CodeArtifact client on top of `aws-sdk-codeartifact` (see ../README.md):
//!
//! ```text
//! rust-sdk-client [--endpoint-url URL] [--region R] [--output json] codeartifact OPERATION [--member VALUE ...]
//! ```
//!
//! The Rust SDK has a typed builder per operation and no way to call one by name, so this
//! wrapper calls the operations listed in [`OPERATIONS`] (the conformance runner reads the
//! list with `--list-operations` and reports scenarios of other operations as not applicable).

use std::collections::BTreeMap;
use std::process::ExitCode;

use aws_sdk_codeartifact::config::Region;
use aws_sdk_codeartifact::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_codeartifact::primitives::{DateTime, DateTimeFormat};
use serde_json::{json, Value};

/// The operations this wrapper calls, as the AWS CLI names them.
const OPERATIONS: [&str; 6] = [
    "get-authorization-token",
    "get-repository-endpoint",
    "describe-repository",
    "create-domain",
    "describe-domain",
    "list-domains",
];

const USAGE: &str = "usage: rust-sdk-client [--endpoint-url URL] [--region R] [--output json] codeartifact OPERATION [--member VALUE ...]";

#[derive(Default)]
struct Args {
    endpoint_url: Option<String>,
    region: Option<String>,
    positionals: Vec<String>,
    /// The operation's members, by AWS CLI option (`--domain-owner`).
    members: BTreeMap<String, String>,
}

impl Args {
    fn text(&self, option: &str) -> Option<String> {
        self.members.get(option).cloned()
    }

    fn number<T: std::str::FromStr>(&self, option: &str) -> Result<Option<T>, String> {
        self.text(option)
            .map(|text| {
                text.parse()
                    .map_err(|_| format!("invalid {option} '{text}'"))
            })
            .transpose()
    }
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args::default();
    let mut it = std::env::args().skip(1).peekable();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--endpoint-url" => args.endpoint_url = Some(value(&arg)?),
            "--region" => args.region = Some(value(&arg)?),
            "--output" => {
                let format = value(&arg)?;
                if format != "json" {
                    return Err(format!("unsupported --output '{format}'"));
                }
            }
            flag if flag.starts_with("--") => {
                let text = value(&arg)?;
                args.members.insert(flag.to_owned(), text);
            }
            positional => args.positionals.push(positional.to_owned()),
        }
    }
    if args.positionals.len() != 2 || args.positionals[0] != "codeartifact" {
        return Err(USAGE.into());
    }
    if !OPERATIONS.contains(&args.positionals[1].as_str()) {
        return Err(format!(
            "this wrapper does not call {}; it calls {}",
            args.positionals[1],
            OPERATIONS.join(", ")
        ));
    }
    Ok(args)
}

/// A timestamp as AWS CLI v2 prints it under TZ=UTC.
fn iso(time: Option<&DateTime>) -> Value {
    time.and_then(|t| t.fmt(DateTimeFormat::DateTime).ok())
        .map(|text| Value::String(text.replace('Z', "+00:00")))
        .unwrap_or(Value::Null)
}

/// A domain's description as the AWS CLI prints it.
fn describe_domain(d: &aws_sdk_codeartifact::types::DomainDescription) -> Value {
    json!({
        "name": d.name(),
        "owner": d.owner(),
        "arn": d.arn(),
        "status": d.status().map(|s| s.as_str()),
        "createdTime": iso(d.created_time()),
        "encryptionKey": d.encryption_key(),
        "repositoryCount": d.repository_count(),
        "assetSizeBytes": d.asset_size_bytes(),
        "s3BucketArn": d.s3_bucket_arn(),
    })
}

/// An SDK error the way the AWS CLI reports it, and its exit status.
fn report<E, R>(operation: &str, error: SdkError<E, R>) -> ExitCode
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match error {
        SdkError::ServiceError(context) => {
            let error = context.err();
            eprintln!(
                "\nAn error occurred ({}) when calling the {operation} operation: {}",
                error.code().unwrap_or("Unknown"),
                error.message().unwrap_or_default()
            );
            ExitCode::from(254)
        }
        other => {
            eprintln!("\n{}", DisplayErrorContext(&other));
            ExitCode::from(255)
        }
    }
}

/// Prints the output as JSON with four-space indents, as the AWS CLI does; members that are
/// absent are left out.
fn print(output: Value) -> ExitCode {
    fn prune(value: Value) -> Value {
        match value {
            Value::Object(members) => Value::Object(
                members
                    .into_iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k, prune(v)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.into_iter().map(prune).collect()),
            other => other,
        }
    }
    let mut text = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut text, formatter);
    serde::Serialize::serialize(&prune(output), &mut serializer).unwrap_or_default();
    println!("{}", String::from_utf8_lossy(&text));
    ExitCode::SUCCESS
}

#[tokio::main]
async fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some("--list-operations") {
        println!("{}", OPERATIONS.join("\n"));
        return ExitCode::SUCCESS;
    }
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(252);
        }
    };
    match run(&args).await {
        Ok(code) => code,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::from(252)
        }
    }
}

async fn run(args: &Args) -> Result<ExitCode, String> {
    let mut loader = aws_config::from_env();
    if let Some(region) = args.region.clone() {
        loader = loader.region(Region::new(region));
    }
    let shared = loader.load().await;
    let mut config = aws_sdk_codeartifact::config::Builder::from(&shared);
    if let Some(url) = args.endpoint_url.clone() {
        config = config.endpoint_url(url);
    }
    let client = aws_sdk_codeartifact::Client::from_conf(config.build());
    let domain = args.text("--domain");
    let domain_owner = args.text("--domain-owner");
    Ok(match args.positionals[1].as_str() {
        "get-authorization-token" => match client
            .get_authorization_token()
            .set_domain(domain)
            .set_domain_owner(domain_owner)
            .set_duration_seconds(args.number("--duration-seconds")?)
            .send()
            .await
        {
            Ok(out) => print(json!({
                "authorizationToken": out.authorization_token(),
                "expiration": iso(out.expiration()),
            })),
            Err(error) => report("GetAuthorizationToken", error),
        },
        "get-repository-endpoint" => match client
            .get_repository_endpoint()
            .set_domain(domain)
            .set_domain_owner(domain_owner)
            .set_repository(args.text("--repository"))
            .set_format(args.text("--format").map(|f| f.as_str().into()))
            .set_endpoint_type(args.text("--endpoint-type").map(|t| t.as_str().into()))
            .send()
            .await
        {
            Ok(out) => print(json!({ "repositoryEndpoint": out.repository_endpoint() })),
            Err(error) => report("GetRepositoryEndpoint", error),
        },
        "describe-repository" => match client
            .describe_repository()
            .set_domain(domain)
            .set_domain_owner(domain_owner)
            .set_repository(args.text("--repository"))
            .send()
            .await
        {
            Ok(out) => {
                let repository = out.repository().map(|r| {
                    json!({
                        "name": r.name(),
                        "administratorAccount": r.administrator_account(),
                        "domainName": r.domain_name(),
                        "domainOwner": r.domain_owner(),
                        "arn": r.arn(),
                        "description": r.description(),
                        "upstreams": r.upstreams().iter().map(|u| json!({"repositoryName": u.repository_name()})).collect::<Vec<_>>(),
                        "externalConnections": r.external_connections().iter().map(|c| json!({
                            "externalConnectionName": c.external_connection_name(),
                            "packageFormat": c.package_format().map(|f| f.as_str()),
                            "status": c.status().map(|s| s.as_str()),
                        })).collect::<Vec<_>>(),
                        "createdTime": iso(r.created_time()),
                    })
                });
                print(json!({ "repository": repository }))
            }
            Err(error) => report("DescribeRepository", error),
        },
        "create-domain" => match client
            .create_domain()
            .set_domain(domain)
            .set_encryption_key(args.text("--encryption-key"))
            .send()
            .await
        {
            Ok(out) => print(json!({ "domain": out.domain().map(describe_domain) })),
            Err(error) => report("CreateDomain", error),
        },
        "describe-domain" => match client
            .describe_domain()
            .set_domain(domain)
            .set_domain_owner(domain_owner)
            .send()
            .await
        {
            Ok(out) => print(json!({ "domain": out.domain().map(describe_domain) })),
            Err(error) => report("DescribeDomain", error),
        },
        "list-domains" => match client
            .list_domains()
            .set_max_results(args.number("--max-results")?)
            .set_next_token(args.text("--next-token"))
            .send()
            .await
        {
            Ok(out) => {
                let domains: Vec<Value> = out
                    .domains()
                    .iter()
                    .map(|d| {
                        json!({
                            "name": d.name(),
                            "owner": d.owner(),
                            "arn": d.arn(),
                            "status": d.status().map(|s| s.as_str()),
                            "createdTime": iso(d.created_time()),
                            "encryptionKey": d.encryption_key(),
                        })
                    })
                    .collect();
                print(json!({ "domains": domains, "nextToken": out.next_token() }))
            }
            Err(error) => report("ListDomains", error),
        },
        other => return Err(format!("this wrapper does not call {other}")),
    })
}
