#!/usr/bin/env python3
"""Waits until URL answers 200, for at most SECONDS: exit 0 when it does, 1 when the time is up.

Used by the Chaos Toolkit experiments in resilience/ as their steady-state probe: before the
method the service answers at once; after it, it must answer again within its RTO.

    python3 resilience/wait-until-healthy.py http://payments/healthz 7200
"""

import sys
import time
import urllib.error
import urllib.request


def answers(url: str) -> bool:
    try:
        # The URL comes from the experiment's configuration, not from users (bandit B310).
        with urllib.request.urlopen(url, timeout=2) as response:  # nosec B310
            return response.status == 200
    except (OSError, ValueError, urllib.error.URLError):
        return False


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[0].startswith(("http://", "https://")):
        print("usage: wait-until-healthy.py http(s)://URL SECONDS", file=sys.stderr)
        return 2
    try:
        limit = float(argv[1])
    except ValueError:
        print(f"SECONDS must be a number, not {argv[1]!r}", file=sys.stderr)
        return 2
    started = time.monotonic()
    while True:
        if answers(argv[0]):
            print(f"{argv[0]} answered after {time.monotonic() - started:.1f} s")
            return 0
        if time.monotonic() - started >= limit:
            print(f"{argv[0]} did not answer within {limit:g} s")
            return 1
        time.sleep(1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
