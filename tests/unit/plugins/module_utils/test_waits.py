import itertools

import pytest

from ansible_collections.imagecat.glance.plugins.module_utils._waits import (
    DELETE_RETRY,
    IMAGE_POLL,
    IMPORT_POLL,
    delays,
    poll,
    retry,
)


class Clock:
    def __init__(self):
        self.now = 0.0
        self.slept = []

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds

    def __call__(self):
        return self.now


def test_the_named_curves_double_up_to_their_cap():
    assert list(itertools.islice(delays(IMAGE_POLL), 7)) == [0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0]
    assert list(itertools.islice(delays(IMPORT_POLL), 5)) == [0.2, 0.4, 0.8, 1.6, 2.0]
    assert list(itertools.islice(delays(DELETE_RETRY), 5)) == [0.5, 1.0, 2.0, 4.0, 4.0]


def test_poll_returns_the_first_value_that_is_done():
    clock, values = Clock(), iter([1, 2, 3])
    assert poll(lambda: next(values), lambda v: v == 3, 10, IMAGE_POLL, ValueError, clock.sleep, clock) == 3
    assert clock.slept == [0.2, 0.4]


def test_poll_raises_what_timed_out_builds_before_passing_the_timeout():
    clock = Clock()
    with pytest.raises(ValueError) as caught:
        poll(lambda: "busy", lambda v: False, 1.0, IMAGE_POLL, lambda v: ValueError("still " + v), clock.sleep, clock)
    assert str(caught.value) == "still busy"
    assert sum(clock.slept) <= 1.0


def test_retry_retries_only_what_it_is_told_to_and_gives_up_at_the_deadline():
    clock, calls = Clock(), []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise OSError("down")
        return "done"
    assert retry(flaky, lambda e: isinstance(e, OSError), 30, DELETE_RETRY, clock.sleep, clock) == "done"
    assert clock.slept == [0.5, 1.0]
    with pytest.raises(KeyError):
        retry(lambda: {}["x"], lambda e: isinstance(e, OSError), 30, DELETE_RETRY, clock.sleep, clock)

    def down():
        raise OSError("down")
    with pytest.raises(OSError):
        retry(down, lambda e: True, 2, DELETE_RETRY, clock.sleep, clock)
