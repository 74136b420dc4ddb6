//! The server's idea of now. Signature-skew checks, token and session expirations and the
//! `Date` header all read it, so scripting it (an offset, or frozen) moves all of them together.

use std::sync::RwLock;
use std::time::{Duration, SystemTime};

/// How the clock relates to the machine's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockMode {
    /// The machine's clock.
    Real,
    /// The machine's clock shifted by this many seconds (negative: behind).
    Offset(i64),
    /// Stopped at this instant.
    Frozen(SystemTime),
}

/// A settable clock, shared by every request.
#[derive(Debug)]
pub struct Clock {
    mode: RwLock<ClockMode>,
}

impl Default for Clock {
    fn default() -> Self {
        Self::new(ClockMode::Real)
    }
}

impl Clock {
    /// A clock in the given mode.
    pub fn new(mode: ClockMode) -> Self {
        Self {
            mode: RwLock::new(mode),
        }
    }

    /// Now, as the server sees it.
    pub fn now(&self) -> SystemTime {
        let mode = *self
            .mode
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match mode {
            ClockMode::Real => SystemTime::now(),
            ClockMode::Offset(seconds) if seconds >= 0 => {
                SystemTime::now() + Duration::from_secs(seconds.unsigned_abs())
            }
            ClockMode::Offset(seconds) => {
                SystemTime::now() - Duration::from_secs(seconds.unsigned_abs())
            }
            ClockMode::Frozen(at) => at,
        }
    }

    /// The current mode.
    pub fn mode(&self) -> ClockMode {
        *self
            .mode
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Changes the mode.
    pub fn set(&self, mode: ClockMode) {
        *self
            .mode
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = mode;
    }
}

/// Whole seconds since the Unix epoch (floor), as AWS writes `expiration`.
pub fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => {
            -i64::try_from(before.duration().as_secs_f64().ceil() as u64).unwrap_or(i64::MAX)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_clock_stands_still_and_offset_clock_moves() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_000_000);
        let clock = Clock::new(ClockMode::Frozen(at));
        assert_eq!(clock.now(), at);
        clock.set(ClockMode::Offset(1200));
        let ahead = clock.now().duration_since(SystemTime::now()).unwrap();
        assert!(ahead > Duration::from_secs(1190) && ahead <= Duration::from_secs(1200));
        clock.set(ClockMode::Real);
        assert_eq!(clock.mode(), ClockMode::Real);
    }

    #[test]
    fn unix_seconds_floors() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_500);
        assert_eq!(unix_seconds(t), 1);
    }
}

/// The clock as the control API and scenario files write it: `{"offset_seconds": N}`,
/// `{"frozen_at": "RFC 3339"}`, or `{}` for the real clock.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockSpec {
    /// Seconds ahead of the machine's clock (negative: behind).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset_seconds: Option<i64>,
    /// A fixed instant, e.g. `2026-01-01T00:00:00Z`, or `now` (the second it is applied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frozen_at: Option<String>,
}

impl ClockSpec {
    /// The mode this spec asks for; `frozen_at = "now"` freezes at `now`, to the second.
    pub fn to_mode(&self, now: SystemTime) -> Result<ClockMode, String> {
        match (self.offset_seconds, &self.frozen_at) {
            (Some(_), Some(_)) => Err("give either offset_seconds or frozen_at, not both".into()),
            (Some(offset), None) => Ok(ClockMode::Offset(offset)),
            (None, Some(at)) if at == "now" => {
                let whole = Duration::from_secs(u64::try_from(unix_seconds(now)).unwrap_or(0));
                Ok(ClockMode::Frozen(SystemTime::UNIX_EPOCH + whole))
            }
            (None, Some(at)) => humantime::parse_rfc3339_weak(at)
                .map(ClockMode::Frozen)
                .map_err(|_| {
                    format!(
                        "invalid frozen_at '{at}': expected RFC 3339, e.g. 2026-01-01T00:00:00Z"
                    )
                }),
            (None, None) => Ok(ClockMode::Real),
        }
    }

    /// The spec of a mode.
    pub fn of(mode: ClockMode) -> Self {
        match mode {
            ClockMode::Real => Self::default(),
            ClockMode::Offset(seconds) => Self {
                offset_seconds: Some(seconds),
                frozen_at: None,
            },
            ClockMode::Frozen(at) => Self {
                offset_seconds: None,
                frozen_at: Some(humantime::format_rfc3339(at).to_string()),
            },
        }
    }
}
