"""Prometheus metrics. Each application has its own registry (not the process-wide default), so
tests can build many applications in one process and each counts only its own requests."""

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

router = APIRouter()

#: Upper bounds of the latency histogram, in seconds.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The service's metrics. Labels are bounded: routes are patterns, never raw paths."""

    def __init__(self, onboarding: bool) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests by method, route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.durations = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency.",
            ["method", "route"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.logins = Counter("auth_logins_total", "Sign-in attempts by result.", ["result"], registry=self.registry)
        # Both results show from the start, so an alert on failures has a series to watch.
        for result in ("success", "failure"):
            self.logins.labels(result=result)
        self.registrations = Counter("auth_registrations_total", "Accounts registered.", registry=self.registry)
        self.transitions = (
            Counter(
                "onboarding_transitions_total",
                "Onboarding steps taken, by transition.",
                ["transition"],
                registry=self.registry,
            )
            if onboarding
            else None
        )

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Counts a request to a route."""
        self.requests.labels(method=method, route=route, status=str(status)).inc()
        self.durations.labels(method=method, route=route).observe(seconds)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """The exposition text."""
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
