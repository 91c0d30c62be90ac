"""A circuit breaker and the retry schedule for calls to an upstream service. Standard library
only: the policy values come from the architecture model (app/upstream.py), the clock is passed
in, so the behaviour is tested without waiting.

Closed: calls go through; ``threshold`` consecutive failures open it. Open: calls fail at once,
without touching the upstream, until ``open_for`` seconds have passed. Half-open: one trial call
goes through; its success closes the breaker, its failure opens it again.
"""

import threading

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half-open"


class Breaker:
    """A circuit breaker for one upstream (safe to share between threads)."""

    def __init__(self, threshold: int, open_for: float) -> None:
        self._threshold = max(1, threshold)
        self._open_for = open_for
        self._failures = 0
        self._state = CLOSED
        self._until = 0.0
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        """Where it is: closed, open or half-open."""
        return self._state

    def allow(self, now: float) -> bool:
        """Whether a call may go to the upstream at ``now`` (half-open: only the trial call)."""
        with self._lock:
            if self._state == CLOSED:
                return True
            if self._state == OPEN and now >= self._until:
                self._state = HALF_OPEN
                return True
            return False

    def success(self) -> None:
        """The call succeeded: the breaker closes."""
        with self._lock:
            self._failures = 0
            self._state = CLOSED

    def failure(self, now: float) -> None:
        """The call failed at ``now``: a failed trial, or the threshold reached, opens it."""
        with self._lock:
            self._failures += 1
            if self._state == HALF_OPEN or self._failures >= self._threshold:
                self._state = OPEN
                self._until = now + self._open_for


def backoff(n: int, base: float, cap: float, jitter: float) -> float:
    """The wait before retry ``n`` (1 for the first): ``base`` doubled each time, at most
    ``cap``, scaled by ``jitter`` in 0..1 (full jitter)."""
    doubled = base * (2 ** min(max(n - 1, 0), 16))
    return min(doubled, cap) * min(max(jitter, 0.0), 1.0)
