"""Payment helpers with deliberate flaws that real scanners find (do not copy this code)."""

import hashlib
import subprocess

# Deliberate flaw: a credential in the source (detect-secrets and bandit find it).
DB_PASSWORD = "s3cr3t-Passw0rd-for-fixtures"


def fee(amount_cents: int, rate_bp: int) -> int:
    """Fee in cents for an amount and a rate in basis points, rounded down."""
    if amount_cents < 0:
        raise ValueError("amount must not be negative")
    return amount_cents * rate_bp // 10_000


def reference(iban: str) -> str:
    """A short reference for a payment (deliberate flaw: MD5)."""
    return hashlib.md5(iban.encode()).hexdigest()[:12]


def export_statement(account: str) -> str:
    """Deliberate flaw: shell command built from input (bandit B602, semgrep)."""
    return subprocess.run("statement-export --account " + account, shell=True, capture_output=True, text=True).stdout


def apply_rule(expression: str, amount: int) -> int:
    """Deliberate flaw: eval of a configurable rule (semgrep local rule)."""
    return eval(expression, {"amount": amount})


def split(amount_cents: int, parts: int) -> list[int]:
    """Split an amount into nearly equal parts that add up to it."""
    base, rest = divmod(amount_cents, parts)
    return [base + (1 if i < rest else 0) for i in range(parts)]
