//! CodeArtifact's request-rate quotas, when asked (`--enforce-quotas`): each counted in the
//! second of the server's clock a request arrives in, so a team can see whether its parallel
//! CI survives the real limits, and a test with the clock stopped sees the same answer every
//! run. Figures from the user guide's quotas page (English; translations lag behind).
//!
//! A request counts against every quota it falls under (its operation's, its account's reads
//! or writes, its token's, or its address's without a token); the first one it would break
//! refuses it, and a refused request counts against none.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::SystemTime;

use crate::clock::unix_seconds;

/// Per-operation quotas (calls per second, per account and region).
pub const OPERATION_QUOTAS: [(&str, u32); 7] = [
    ("GetAuthorizationToken", 40),
    ("GetPackageVersionAsset", 50),
    ("ListPackageVersionAssets", 200),
    ("ListPackageVersions", 200),
    ("ListPackages", 200),
    ("PublishPackageVersion", 10),
    ("CopyPackageVersions", 5),
];
/// Read requests from one account, per second.
pub const ACCOUNT_READS: u32 = 800;
/// Write requests from one account, per second.
pub const ACCOUNT_WRITES: u32 = 100;
/// Requests with one authorization token, per second.
pub const TOKEN_REQUESTS: u32 = 1_200;
/// Requests without a token from one IP address, per second.
pub const ANONYMOUS_REQUESTS: u32 = 600;

/// What a request is counted as.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Counter {
    /// One operation of one account in one region.
    Operation(&'static str, String, String),
    /// An account's reads in a region.
    Reads(String, String),
    /// An account's writes in a region.
    Writes(String, String),
    /// One token (by a digest of it: the token itself is never kept).
    Token([u8; 32]),
    /// Requests without a token from one address.
    Anonymous(IpAddr),
}

impl Counter {
    /// The quota this counter is held to, per second.
    fn limit(&self) -> u32 {
        match self {
            Self::Operation(name, ..) => OPERATION_QUOTAS.iter().find(|(n, _)| n == name).map_or(u32::MAX, |(_, q)| *q),
            Self::Reads(..) => ACCOUNT_READS,
            Self::Writes(..) => ACCOUNT_WRITES,
            Self::Token(_) => TOKEN_REQUESTS,
            Self::Anonymous(_) => ANONYMOUS_REQUESTS,
        }
    }

    /// The counter of requests made with `token`.
    pub fn token(token: &str) -> Self {
        use sha2::Digest;
        Self::Token(sha2::Sha256::digest(token.as_bytes()).into())
    }

    /// The counter of `operation` (when it has a quota of its own) for an account.
    pub fn operation(operation: &str, account: &str, region: &str) -> Option<Self> {
        let (name, _) = OPERATION_QUOTAS.iter().find(|(n, _)| *n == operation)?;
        Some(Self::Operation(name, account.to_owned(), region.to_owned()))
    }

    /// What the quota is called in the refusal.
    fn describe(&self) -> String {
        match self {
            Self::Operation(name, ..) => format!("{name} requests per second ({})", self.limit()),
            Self::Reads(..) => format!("read requests per second from one account ({ACCOUNT_READS})"),
            Self::Writes(..) => format!("write requests per second from one account ({ACCOUNT_WRITES})"),
            Self::Token(_) => format!("requests per second with one authorization token ({TOKEN_REQUESTS})"),
            Self::Anonymous(_) => format!("requests per second without a token from one address ({ANONYMOUS_REQUESTS})"),
        }
    }
}

/// The address a request came from (the server sets it; a request handed to
/// `MockService::handle` without one counts as the loopback address's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// The account of an ARN (`arn:aws:iam::ACCOUNT:...`).
pub fn account_of(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap_or("")
}

/// The counts of the current second.
#[derive(Debug, Default)]
pub struct Quotas {
    window: Mutex<(i64, HashMap<Counter, u32>)>,
}

impl Quotas {
    /// Forgets every count (a reset).
    pub fn clear(&self) {
        *self.window.lock().unwrap_or_else(|p| p.into_inner()) = (0, HashMap::new());
    }

    /// Counts `requests` already made at `now` against `counter` (its count in that second
    /// becomes at least `requests`).
    pub fn spend(&self, now: SystemTime, counter: &Counter, requests: u32) {
        let second = unix_seconds(now);
        let mut window = self.window.lock().unwrap_or_else(|p| p.into_inner());
        if window.0 != second {
            *window = (second, HashMap::new());
        }
        let count = window.1.entry(counter.clone()).or_default();
        *count = (*count).max(requests);
    }

    /// Counts a request at `now` against `counters`; the quota it would break, if any (then it
    /// is not counted).
    pub fn admit(&self, now: SystemTime, counters: &[Counter]) -> Result<(), String> {
        let second = unix_seconds(now);
        let mut window = self.window.lock().unwrap_or_else(|p| p.into_inner());
        if window.0 != second {
            *window = (second, HashMap::new());
        }
        if let Some(full) = counters.iter().find(|c| window.1.get(*c).copied().unwrap_or(0) >= c.limit()) {
            return Err(format!("Rate exceeded: CodeArtifact's quota of {}", full.describe()));
        }
        for counter in counters {
            *window.1.entry(counter.clone()).or_default() += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_quota_holds_within_a_second_of_the_servers_clock_and_a_refusal_counts_nothing() {
        let quotas = Quotas::default();
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let token = Counter::operation("GetAuthorizationToken", "111122223333", "us-east-1").unwrap();
        let reads = Counter::Reads("111122223333".into(), "us-east-1".into());
        for _ in 0..40 {
            quotas.admit(at, &[token.clone(), reads.clone()]).unwrap();
        }
        let refused = quotas.admit(at, &[reads.clone(), token.clone()]).unwrap_err();
        assert!(refused.contains("GetAuthorizationToken requests per second (40)"), "{refused}");
        // The account's other reads still have room: the refused one took none of it.
        for _ in 0..(ACCOUNT_READS - 40) {
            quotas.admit(at, std::slice::from_ref(&reads)).unwrap();
        }
        assert!(quotas.admit(at, std::slice::from_ref(&reads)).is_err());
        // The next second starts afresh.
        quotas.admit(at + Duration::from_secs(1), &[token, reads]).unwrap();
        assert_eq!(Counter::operation("DescribeDomain", "1", "r"), None);
        assert_eq!(Counter::token("a"), Counter::token("a"));
    }
}
