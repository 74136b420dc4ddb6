//! The path of one AWS request, in the order AWS applies it: decode the query, authenticate
//! (SigV4), route (the service model), validate the input (the model), run the operation
//! (authorize the caller, look the resources up, act). Scripted faults are matched before any
//! of that answers (they imitate AWS's front door and network on a bad day), but the
//! signature is still checked so the journal can say whether each request was signed right.
//! Every AWS request ends in exactly one [`Exchange`], the source of the log line and the
//! journal entry.

use std::time::{Instant, SystemTime};

use http::{header, Request};

use super::response::{aws_response, request_id, Answer, AMZ_SDK_REQUEST, MALFORMED_BODY};
use super::{MockService, Reply, World};
use crate::api::{self, Operation};
use crate::body::MockBody;
use crate::error::{ErrorCode, ServiceError};
use crate::exchange::{claimed_access_key, Exchange};
use crate::faults::{FaultAction, FaultTarget};
use crate::endpoint::Scheme;
use crate::sigv4::{normalized_path, AuthError, Query, RequestParts, Verified};
use crate::files::spool::Piece;
use crate::upload::RequestBody;

impl MockService {
    /// Answers one AWS request (not a control call), journals and logs it.
    pub(crate) async fn serve_aws(&self, request: Request<RequestBody>) -> Reply {
        let started = Instant::now();
        let operation = Operation::route(request.method(), &normalized_path(request.uri().path()));
        let (reply, exchange, delay) = if operation.is_some_and(Operation::changes_state) {
            match self.writing(|| self.respond_to(request, operation)).await {
                (answered, Ok(())) => answered,
                (answered, Err(error)) => self.commit_failed(answered, &error),
            }
        } else {
            let _read = crate::state::ReadOnly::begin();
            self.respond_to(request, operation)
        };
        tracing::info!(
            method = %exchange.method,
            path = %exchange.path,
            operation = %exchange.operation.unwrap_or("-"),
            access_key_id = %exchange.access_key_id.as_deref().unwrap_or("-"),
            status = exchange.status,
            error = %exchange.error.map_or("-", ErrorCode::as_str),
            fault = exchange.fault.unwrap_or(0),
            delay_ms = delay.map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            "request"
        );
        // Journaled on arrival, so a client that gives up during a scripted delay still
        // leaves its request in the journal.
        self.shared.journal.record(exchange);
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
        }
        reply
    }

    /// The answer to a request whose change could not be committed: `500
    /// InternalServerException`, whatever the handler answered.
    fn commit_failed(
        &self,
        (_, mut exchange, delay): (Reply, Exchange, Option<std::time::Duration>),
        error: &crate::state::StoreError,
    ) -> (Reply, Exchange, Option<std::time::Duration>) {
        let failure = ServiceError::new(ErrorCode::InternalServerException, crate::state::commit_failure_message(error));
        let answer = Answer::from(Err(failure));
        exchange.status = answer.status.as_u16();
        exchange.error = answer.error;
        let response = aws_response(answer.status, MockBody::full(answer.body), &exchange, None, self.shared.clock.now());
        (Reply::Respond(response), exchange, delay)
    }

    /// Decides the answer to one AWS request, says what happened, and how long a scripted
    /// fault wants the answer held back.
    pub fn respond(
        &self,
        request: Request<impl Into<RequestBody>>,
    ) -> (Reply, Exchange, Option<std::time::Duration>) {
        let request = request.map(Into::into);
        let operation = Operation::route(request.method(), &normalized_path(request.uri().path()));
        self.respond_to(request, operation)
    }

    /// [`MockService::respond`] to a request already routed to `operation`.
    fn respond_to(
        &self,
        request: Request<RequestBody>,
        operation: Option<Operation>,
    ) -> (Reply, Exchange, Option<std::time::Duration>) {
        let now = self.shared.clock.now();
        let (parts, body) = request.into_parts();
        // Every AWS body is whole: JSON in memory, or PublishPackageVersion's asset spooled.
        let body = body.piece();
        let header_text = |name: &header::HeaderName| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let query = Query::parse(parts.uri.query().unwrap_or(""));
        let mut exchange = Exchange {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            query: Query::default(),
            operation: operation.map(Operation::name),
            access_key_id: claimed_access_key(&parts.headers, query.as_ref().ok()),
            authenticated: false,
            status: 0,
            error: None,
            fault: None,
            request_id: request_id(),
            received_at: now,
            user_agent: header_text(&header::USER_AGENT),
            amz_sdk_request: header_text(&AMZ_SDK_REQUEST),
        };
        let world = self.world();
        // Authentication, carrying the decoded query on to the operation.
        let auth = match &query {
            Err(e) => Err(ServiceError::new(
                ErrorCode::MalformedQueryStringException,
                e.to_string(),
            )),
            Ok(query) => {
                let request_parts = RequestParts {
                    method: parts.method.as_str(),
                    path: parts.uri.path(),
                    query,
                    headers: &parts.headers,
                };
                let verified = match &body {
                    Piece::Bytes(bytes) => self.shared.verifier.verify(request_parts, bytes, now, &world.directory),
                    Piece::File(_) => self.shared.verifier.verify_hashed(request_parts, &body.sha256(), now, &world.directory),
                };
                verified
                    .map(|verified| (verified, query))
                    .map_err(|e| {
                        if let AuthError::SignatureMismatch { canonical_request, string_to_sign } = &e {
                            tracing::debug!(%canonical_request, %string_to_sign, "signature mismatch: this is what the server signed");
                        }
                        e.to_service_error()
                    })
            }
        };
        exchange.authenticated = auth.is_ok();

        let domain = query.as_ref().ok().and_then(|q| q.first("domain"));
        let fault = self.shared.faults.fire(&FaultTarget {
            operation: exchange.operation,
            domain: domain.as_deref(),
            access_key_id: exchange.access_key_id.as_deref(),
            repository: None,
        });
        let delay = fault.as_ref().and_then(|f| f.delay);
        exchange.fault = fault.as_ref().map(|f| f.rule_id);

        let mut answer = match fault.as_ref().and_then(Answer::injected) {
            Some(answer) => answer,
            None => match auth {
                Ok((verified, query)) => Answer::from(self.run(
                    operation,
                    query,
                    &parts,
                    &body,
                    &verified,
                    &world,
                    now,
                )),
                Err(error) => Answer::from(Err(error)),
            },
        };
        if let Ok(query) = query {
            exchange.query = query.without_secrets();
        }
        let action = fault.and_then(|f| f.action);
        if action == Some(FaultAction::ResetConnection) {
            return (Reply::CloseConnection, exchange, delay);
        }
        let content = self.answer_body(&mut answer);
        exchange.status = answer.status.as_u16();
        exchange.error = answer.error;
        let body = match action {
            Some(FaultAction::MalformedBody) => MockBody::full(MALFORMED_BODY),
            Some(FaultAction::TruncateBody) => content.truncate(),
            _ => content,
        };
        let mut response = aws_response(answer.status, body, &exchange, answer.retry_after, now);
        answer.add_headers(&mut response);
        (
            Reply::Respond(response),
            exchange,
            delay,
        )
    }

    /// The body of `answer`: its bytes, or its asset's file streamed. A file that cannot be
    /// opened turns the answer into a `500 InternalServerException` naming the asset.
    fn answer_body(&self, answer: &mut Answer) -> MockBody {
        let Some(asset) = answer.file.take() else {
            return MockBody::full(answer.body.clone());
        };
        self.asset_body(&asset).unwrap_or_else(|| {
            let failure = ServiceError::new(ErrorCode::InternalServerException, format!("The asset '{}' cannot be read", asset.name));
            *answer = Answer::from(Err(failure));
            MockBody::full(answer.body.clone())
        })
    }

    /// Counts an authenticated call against its operation's quota and its account's reads or
    /// writes (`--enforce-quotas`): `ThrottlingException` with `Retry-After: 1` past one.
    fn admit_operation(&self, operation: Operation, account: &str, region: &str) -> Result<(), ServiceError> {
        use crate::quotas::Counter;
        let kind = if operation.changes_state() { Counter::Writes(account.to_owned(), region.to_owned()) } else { Counter::Reads(account.to_owned(), region.to_owned()) };
        let counters: Vec<Counter> = Counter::operation(operation.name(), account, region).into_iter().chain([kind]).collect();
        self.admit(&counters)
            .map_err(|message| ServiceError::new(ErrorCode::ThrottlingException, message).with_retry_after(1))
    }

    /// Runs an authenticated request through its operation: the model validates its input,
    /// then its handler runs, or the documented `NotImplementedException` answers.
    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        operation: Option<Operation>,
        query: &Query,
        parts: &http::request::Parts,
        body: &Piece,
        verified: &Verified,
        world: &World,
        now: SystemTime,
    ) -> Result<api::Output, ServiceError> {
        let operation = operation.ok_or_else(|| {
            ServiceError::new(ErrorCode::UnknownOperationException, "Unknown operation")
        })?;
        let caller = world
            .directory
            .identity(&verified.access_key_id)
            .ok_or_else(|| AuthError::UnknownAccessKey.to_service_error())?;
        self.admit_operation(operation, &caller.account, &verified.region)?;
        let request = api::Request {
            operation,
            query,
            headers: &parts.headers,
            body,
            scheme: parts.extensions.get::<Scheme>().copied().unwrap_or_default(),
        };
        let Some(handler) = operation.handler() else {
            // Validated like any other, then refused by name.
            request.input(None)?;
            return Err(api::not_implemented(operation.name()));
        };
        let ctx = api::Context {
            world,
            sealer: &self.shared.sealer,
            now,
            region: &verified.region,
            zero_duration: self.shared.config.zero_duration,
            expiration_format: self.expiration_format(),
        };
        handler.handle.run(&ctx, caller, &request)
    }
}
