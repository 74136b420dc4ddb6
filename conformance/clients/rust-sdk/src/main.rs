//! AWS-CLI-compatible GetAuthorizationToken client on top of `aws-sdk-codeartifact`
//! (see ../README.md).

use std::process::ExitCode;

use aws_sdk_codeartifact::config::Region;
use aws_sdk_codeartifact::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_codeartifact::primitives::DateTimeFormat;

#[derive(Default)]
struct Args {
    endpoint_url: Option<String>,
    region: Option<String>,
    domain: Option<String>,
    domain_owner: Option<String>,
    duration_seconds: Option<i64>,
    positionals: Vec<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args::default();
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--endpoint-url" => args.endpoint_url = Some(value(&arg)?),
            "--region" => args.region = Some(value(&arg)?),
            "--domain" => args.domain = Some(value(&arg)?),
            "--domain-owner" => args.domain_owner = Some(value(&arg)?),
            "--duration-seconds" => {
                let text = value(&arg)?;
                args.duration_seconds = Some(text.parse().map_err(|_| format!("invalid --duration-seconds '{text}'"))?);
            }
            "--output" => {
                let format = value(&arg)?;
                if format != "json" {
                    return Err(format!("unsupported --output '{format}'"));
                }
            }
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            positional => args.positionals.push(positional.to_owned()),
        }
    }
    if args.positionals != ["codeartifact", "get-authorization-token"] || args.domain.is_none() {
        return Err("usage: rust-sdk-client [--endpoint-url URL] [--region R] codeartifact get-authorization-token --domain D [--domain-owner O] [--duration-seconds N]".into());
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(252);
        }
    };
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
    let result = client
        .get_authorization_token()
        .set_domain(args.domain)
        .set_domain_owner(args.domain_owner)
        .set_duration_seconds(args.duration_seconds)
        .send()
        .await;
    match result {
        Ok(output) => {
            let expiration = output
                .expiration()
                .and_then(|e| e.fmt(DateTimeFormat::DateTime).ok())
                .map(|text| text.replace('Z', "+00:00"));
            let body = format!(
                "{{\n    \"authorizationToken\": \"{}\",\n    \"expiration\": \"{}\"\n}}",
                output.authorization_token().unwrap_or_default(),
                expiration.unwrap_or_default()
            );
            println!("{body}");
            ExitCode::SUCCESS
        }
        Err(SdkError::ServiceError(context)) => {
            let error = context.err();
            eprintln!(
                "\nAn error occurred ({}) when calling the GetAuthorizationToken operation: {}",
                error.code().unwrap_or("Unknown"),
                error.message().unwrap_or_default()
            );
            ExitCode::from(254)
        }
        Err(other) => {
            eprintln!("\n{}", DisplayErrorContext(&other));
            ExitCode::from(255)
        }
    }
}
