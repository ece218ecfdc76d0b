"""The decoding thread: order kept, errors raised where they happened, bounded, stops with its consumer."""

from __future__ import annotations

import threading
import time

import pytest

from formcheck.io.prefetch import prefetch


def test_items_come_in_order_and_all_of_them():
    assert list(prefetch(iter(range(1000)), ahead=3)) == list(range(1000))


def test_a_producer_error_is_raised_after_the_items_before_it():
    def items():
        yield 1
        yield 2
        raise OSError("disk gone")

    got = []
    with pytest.raises(OSError, match="disk gone"):
        for x in prefetch(items(), ahead=4):
            got.append(x)
    assert got == [1, 2]


def test_the_producer_runs_at_most_ahead_items_early_and_stops_with_the_consumer():
    made = []
    finished = threading.Event()

    def items():
        try:
            for i in range(10_000):
                made.append(i)
                yield i
        finally:
            finished.set()

    stream = prefetch(items(), ahead=2)
    assert next(stream) == 0
    time.sleep(0.3)  # give the producer time to run ahead as far as it may
    assert len(made) <= 1 + 2 + 1  # the one consumed, the queue, the one waiting to be put
    stream.close()
    assert finished.wait(5.0)  # the source was closed (its clean-up ran) and the thread ended
    assert not any(t.name == "formcheck-prefetch" and t.is_alive() for t in threading.enumerate())
    assert len(made) < 10


def test_ahead_must_be_positive():
    with pytest.raises(ValueError):
        next(prefetch(iter([1]), ahead=0))
