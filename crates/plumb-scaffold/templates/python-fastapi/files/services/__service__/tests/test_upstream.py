"""Unit tests: the circuit breaker and the upstream clients, standard library only (they run
without the database: python -m unittest discover -s tests -p test_upstream.py)."""

import socket
import time
import unittest

from app import upstream
from app.breaker import CLOSED, HALF_OPEN, OPEN, Breaker, backoff


class BreakerTest(unittest.TestCase):
    def test_opens_after_the_threshold_and_tries_again_after_the_interval(self):
        b = Breaker(3, 30.0)
        for _ in range(2):
            self.assertTrue(b.allow(0.0))
            b.failure(0.0)
        self.assertEqual(b.state, CLOSED)
        b.failure(0.0)
        self.assertEqual(b.state, OPEN)
        self.assertFalse(b.allow(29.0))
        self.assertTrue(b.allow(30.0))
        self.assertEqual(b.state, HALF_OPEN)
        self.assertFalse(b.allow(30.0), "only one trial call")
        b.failure(30.0)
        self.assertFalse(b.allow(31.0), "a failed trial opens it again")
        self.assertTrue(b.allow(60.0))
        b.success()
        self.assertEqual(b.state, CLOSED)

    def test_backoff_doubles_up_to_the_cap_with_jitter(self):
        self.assertAlmostEqual(backoff(1, 0.1, 1.0, 1.0), 0.1)
        self.assertAlmostEqual(backoff(2, 0.1, 1.0, 1.0), 0.2)
        self.assertAlmostEqual(backoff(40, 0.1, 1.0, 1.0), 1.0)
        self.assertAlmostEqual(backoff(2, 0.1, 1.0, 0.5), 0.1)


class UpstreamTest(unittest.TestCase):
    def test_urls_are_checked(self):
        upstream.Upstream("x", "http://identity:8080")
        for bad in ["https://identity", "identity:80", "http://", "http://a/b", "http://u@h"]:
            with self.assertRaises(ValueError, msg=bad):
                upstream.Upstream("x", bad)

    def test_a_live_upstream_answers(self):
        import http.server
        import threading

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the standard library's name)
                if self.path == "/elsewhere":
                    self.send_response(302)
                    self.send_header("Location", "http://198.51.100.1/")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.path == "/huge":
                    body = b"x" * (upstream.MAX_BODY + 1)
                else:
                    body = b"ok" if self.path == "/healthz" else b""
                self.send_response(200 if body else 404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            up = upstream.Upstream("live", f"http://127.0.0.1:{server.server_address[1]}")
            self.assertEqual(up.get_sync("/healthz"), b"ok")
            for _ in range(upstream.FAILURE_THRESHOLD):
                with self.assertRaises(upstream.UpstreamError) as e:
                    up.get_sync("/nothing")
                self.assertEqual(e.exception.kind, "status")
            self.assertEqual(up.breaker.state, CLOSED, "a 404 is the caller's mistake")
            # A redirect is an answer, not followed; an answer over the limit is refused.
            self.assertEqual(up.get_sync("/elsewhere"), b"")
            with self.assertRaises(upstream.UpstreamError) as e:
                up.get_sync("/huge")
            self.assertEqual(e.exception.kind, "unreachable")
        finally:
            server.shutdown()
            server.server_close()

    def test_the_breaker_opens_against_a_dead_upstream(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        up = upstream.Upstream("dead", f"http://127.0.0.1:{port}")
        calls = 0
        while up.breaker.state == CLOSED:
            calls += 1
            with self.assertRaises(upstream.UpstreamError) as e:
                up.get_sync("/healthz")
            self.assertIn(e.exception.kind, ("unreachable", "open"))
            self.assertLessEqual(calls, upstream.FAILURE_THRESHOLD, "the breaker never opened")
        started = time.monotonic()
        with self.assertRaises(upstream.UpstreamError) as e:
            up.get_sync("/healthz")
        self.assertEqual(e.exception.kind, "open")
        self.assertLess(time.monotonic() - started, 0.05, "failed fast")


if __name__ == "__main__":
    unittest.main()
