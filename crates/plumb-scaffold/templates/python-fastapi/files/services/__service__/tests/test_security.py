"""Unit tests: password hashing, tokens and input checks."""

from argon2 import PasswordHasher

from app import security


def test_hashes_are_argon2id_salted_and_verify():
    a = security.hash_password("correct horse battery")
    b = security.hash_password("correct horse battery")
    assert a.startswith("$argon2id$v=19$m=19456,t=2,p=1$"), a
    assert a != b, "each hash has its own salt"
    assert "correct horse battery" not in a
    assert security.verify_password(a, "correct horse battery")
    assert not security.needs_rehash(a)


def test_hashes_with_other_parameters_still_verify_and_are_renewed():
    older = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("correct horse battery")
    assert security.verify_password(older, "correct horse battery")
    assert security.needs_rehash(older)


def test_wrong_passwords_and_malformed_hashes_are_rejected():
    h = security.hash_password("correct horse battery")
    assert not security.verify_password(h, "correct horse battery!")
    assert not security.verify_password(h, "")
    assert not security.verify_password("not a hash", "correct horse battery")
    security.waste_verification("anything")  # must not raise


def test_tokens_are_random_and_stored_hashed():
    a, b = security.new_token(), security.new_token()
    assert a != b
    assert len(a) == 43, "32 bytes in unpadded URL-safe base64"
    h = security.token_hash(a)
    assert len(h) == 64 and int(h, 16) >= 0
    assert h == security.token_hash(a) != security.token_hash(b)


def test_csrf_tokens_are_compared_exactly():
    t = security.new_token()
    assert security.tokens_match(t, str(t))
    assert not security.tokens_match(t, security.new_token())
    assert not security.tokens_match(t, "")
    assert not security.tokens_match(t, t[:-1])
    assert not security.tokens_match(t, t + "x")


def test_email_checks():
    assert security.email_problem("a@b.eu") is None
    for bad in ["", "ab.eu", "@b.eu", "a@", "a b@c.eu", "a@" + "b" * 260 + ".eu"]:
        assert security.email_problem(bad), bad


def test_password_length_is_bounded():
    assert security.password_problem("x" * 11)
    assert security.password_problem("x" * 12) is None
    assert security.password_problem("x" * 256) is None
    assert security.password_problem("x" * 257)
