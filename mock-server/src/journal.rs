//! The request journal: what arrived and what was answered, newest last, in a bounded ring so
//! a long load test cannot grow memory without limit. Entries never hold a secret, a session
//! token, a signature or an issued token.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::Serialize;

use crate::exchange::Exchange;

/// Entries kept by default.
pub const DEFAULT_CAPACITY: usize = 1000;

/// One journaled request, as `GET /_mock/requests` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct JournalEntry {
    /// Arrival time by the server clock, RFC 3339 with milliseconds.
    pub timestamp: String,
    /// `x-amzn-RequestId` sent.
    pub request_id: String,
    /// HTTP method.
    pub method: String,
    /// Raw path.
    pub path: String,
    /// Query parameters (first value of each), signature and session token removed.
    pub query: serde_json::Map<String, serde_json::Value>,
    /// Routed operation.
    pub operation: Option<&'static str>,
    /// Access key id named by the request.
    pub access_key_id: Option<String>,
    /// Whether the SigV4 signature verified.
    pub authenticated: bool,
    /// HTTP status sent; null when the connection was closed without a response.
    pub status: Option<u16>,
    /// Error code sent.
    pub error: Option<&'static str>,
    /// Id of the fault rule that fired.
    pub fault: Option<u64>,
    /// `User-Agent`, which names the client and command.
    pub user_agent: Option<String>,
    /// `amz-sdk-request` (`attempt=N; max=M`), which SDKs send on every attempt.
    pub amz_sdk_request: Option<String>,
}

impl JournalEntry {
    /// The entry of an exchange.
    pub fn from_exchange(exchange: &Exchange) -> Self {
        let mut query = serde_json::Map::new();
        for param in exchange.query.params() {
            query
                .entry(String::from_utf8_lossy(&param.key))
                .or_insert_with(|| String::from_utf8_lossy(&param.value).into());
        }
        Self {
            timestamp: humantime::format_rfc3339_millis(exchange.received_at).to_string(),
            request_id: exchange.request_id.clone(),
            method: exchange.method.clone(),
            path: exchange.path.clone(),
            query,
            operation: exchange.operation,
            access_key_id: exchange.access_key_id.clone(),
            authenticated: exchange.authenticated,
            status: (exchange.status != 0).then_some(exchange.status),
            error: exchange.error.map(|e| e.as_str()),
            fault: exchange.fault,
            user_agent: exchange.user_agent.clone(),
            amz_sdk_request: exchange.amz_sdk_request.clone(),
        }
    }
}

/// A bounded, ordered journal. It keeps the compact [`Exchange`] of each request and renders
/// [`JournalEntry`] only when read, so recording costs one short lock and no formatting.
#[derive(Debug)]
pub struct Journal {
    capacity: usize,
    entries: Mutex<VecDeque<Exchange>>,
}

impl Journal {
    /// A journal keeping the newest `capacity` entries (0 keeps none).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(VecDeque::with_capacity(capacity.min(4096))),
        }
    }

    /// Records an exchange, dropping the oldest when full.
    pub fn record(&self, exchange: Exchange) {
        if self.capacity == 0 {
            return;
        }
        let dropped = {
            let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            let dropped = (entries.len() == self.capacity).then(|| entries.pop_front());
            entries.push_back(exchange);
            dropped
        };
        // The oldest entry is freed outside the lock.
        drop(dropped);
    }

    /// All entries, oldest first.
    pub fn entries(&self) -> Vec<JournalEntry> {
        let exchanges: Vec<Exchange> = self
            .entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect();
        exchanges.iter().map(JournalEntry::from_exchange).collect()
    }

    /// Empties the journal.
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Entries kept at most.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}
