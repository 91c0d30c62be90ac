//! A circuit breaker and the retry schedule for calls to an upstream service. Standard library
//! only: the policy values come from the architecture model (src/upstream.rs), the clock is
//! passed in, so the behaviour is tested without waiting.
//!
//! Closed: calls go through; `threshold` consecutive failures open it. Open: calls fail at
//! once, without touching the upstream, until `open_for` has passed. Half-open: one trial call
//! goes through; its success closes the breaker, its failure opens it again.

use std::time::{Duration, Instant};

/// Where a breaker is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Calls go through.
    Closed,
    /// Calls fail fast until the instant given.
    Open(Instant),
    /// One trial call is in flight since the instant given.
    HalfOpen(Instant),
}

/// A circuit breaker for one upstream.
#[derive(Debug)]
pub struct Breaker {
    threshold: u32,
    open_for: Duration,
    failures: u32,
    state: State,
}

impl Breaker {
    /// A closed breaker opening after `threshold` consecutive failures for `open_for`.
    pub fn new(threshold: u32, open_for: Duration) -> Breaker {
        Breaker {
            threshold: threshold.max(1),
            open_for,
            failures: 0,
            state: State::Closed,
        }
    }

    /// Where it is now.
    pub fn state(&self) -> State {
        self.state
    }

    /// Whether a call may go to the upstream at `now` (in the half-open state, only the one
    /// trial call).
    pub fn allow(&mut self, now: Instant) -> bool {
        match self.state {
            State::Closed => true,
            State::Open(until) if now >= until => {
                self.state = State::HalfOpen(now);
                true
            }
            // A trial that never reported (its caller went away) does not hold the breaker
            // half-open for good: after the open interval another trial goes.
            State::HalfOpen(since) if now >= since + self.open_for => {
                self.state = State::HalfOpen(now);
                true
            }
            State::Open(_) | State::HalfOpen(_) => false,
        }
    }

    /// The call succeeded: the breaker closes.
    pub fn success(&mut self) {
        self.failures = 0;
        self.state = State::Closed;
    }

    /// The call failed at `now`: a failed trial, or the threshold reached, opens the breaker.
    pub fn failure(&mut self, now: Instant) {
        self.failures = self.failures.saturating_add(1);
        if matches!(self.state, State::HalfOpen(_)) || self.failures >= self.threshold {
            self.state = State::Open(now + self.open_for);
        }
    }
}

/// The wait before retry `n` (1 for the first retry): `base` doubled each time, at most `cap`,
/// scaled by `jitter` in 0..=1 (full jitter, so callers that failed together do not retry
/// together).
pub fn backoff(n: u32, base: Duration, cap: Duration, jitter: f64) -> Duration {
    let doubled = base.saturating_mul(1u32 << n.saturating_sub(1).min(16));
    doubled.min(cap).mul_f64(jitter.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn opens_after_the_threshold_and_tries_again_after_the_interval() {
        let t0 = Instant::now();
        let mut b = Breaker::new(3, Duration::from_secs(30));
        for _ in 0..2 {
            assert!(b.allow(t0));
            b.failure(t0);
        }
        assert_eq!(b.state(), State::Closed, "two failures of three");
        assert!(b.allow(t0));
        b.failure(t0);
        assert!(matches!(b.state(), State::Open(_)));
        assert!(
            !b.allow(t0 + Duration::from_secs(29)),
            "fails fast while open"
        );
        assert!(b.allow(t0 + Duration::from_secs(30)), "one trial call");
        assert!(!b.allow(t0 + Duration::from_secs(30)), "only one");
        b.failure(t0 + Duration::from_secs(30));
        assert!(
            !b.allow(t0 + Duration::from_secs(31)),
            "a failed trial opens it again"
        );
        assert!(b.allow(t0 + Duration::from_secs(60)));
        b.success();
        assert_eq!(b.state(), State::Closed);
        assert!(b.allow(t0 + Duration::from_secs(60)));
    }

    #[test]
    fn a_trial_that_never_reports_does_not_hold_the_breaker_half_open() {
        let t0 = Instant::now();
        let mut b = Breaker::new(1, Duration::from_secs(10));
        b.failure(t0);
        assert!(b.allow(t0 + Duration::from_secs(10)), "the trial");
        // Its caller was cancelled: neither success nor failure is reported.
        assert!(!b.allow(t0 + Duration::from_secs(15)));
        assert!(
            b.allow(t0 + Duration::from_secs(20)),
            "another trial after the interval"
        );
    }

    #[test]
    fn a_success_resets_the_count() {
        let t0 = Instant::now();
        let mut b = Breaker::new(2, Duration::from_secs(5));
        b.failure(t0);
        b.success();
        b.failure(t0);
        assert_eq!(b.state(), State::Closed);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter() {
        let (base, cap) = (Duration::from_millis(100), Duration::from_secs(1));
        assert_eq!(backoff(1, base, cap, 1.0), Duration::from_millis(100));
        assert_eq!(backoff(2, base, cap, 1.0), Duration::from_millis(200));
        assert_eq!(backoff(5, base, cap, 1.0), cap);
        assert_eq!(backoff(40, base, cap, 1.0), cap, "no overflow");
        assert_eq!(backoff(2, base, cap, 0.5), Duration::from_millis(100));
        assert_eq!(backoff(2, base, cap, 7.0), Duration::from_millis(200));
    }

    /// Against a dead upstream (a port nothing listens on), the breaker opens after the
    /// threshold and the calls that follow never reach the network.
    #[test]
    fn opens_against_a_dead_upstream_and_stops_calling_it() {
        let dead = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let mut b = Breaker::new(5, Duration::from_secs(30));
        let mut attempts = 0;
        let mut refused_fast = 0;
        for _ in 0..20 {
            let now = Instant::now();
            if !b.allow(now) {
                refused_fast += 1;
                continue;
            }
            attempts += 1;
            match TcpStream::connect_timeout(&dead, Duration::from_secs(2)) {
                Ok(_) => b.success(),
                Err(_) => b.failure(Instant::now()),
            }
        }
        assert_eq!(
            attempts, 5,
            "only the threshold's calls reached the dead upstream"
        );
        assert_eq!(refused_fast, 15);
        assert!(matches!(b.state(), State::Open(_)));
    }
}
