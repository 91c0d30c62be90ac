import pytest

from app.payments import fee, split


def test_fee_rounds_down():
    assert fee(10_001, 150) == 150


def test_fee_rejects_negative_amounts():
    with pytest.raises(ValueError):
        fee(-1, 10)


def test_split_adds_up():
    assert sum(split(1_000, 3)) == 1_000


def test_split_is_fair():
    assert split(1_000, 3) == [334, 333, 333]


def test_fee_for_large_amounts_deliberately_fails():
    # Deliberately wrong expectation, so the fixture has a failing test for the gate to deny.
    assert fee(1_000_000, 25) == 2_600
