# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: waiting and retrying, each delay curve named once.

(The REST client's retry of idempotent requests keeps its jittered backoff in ``_glance``.)
"""

from __future__ import annotations

import time
from collections import namedtuple

# A capped exponential curve: start, start * factor, ... up to cap (seconds).
Curve = namedtuple("Curve", ("start", "factor", "cap"))

# Waiting for an image's status (an upload, another run's upload, a deactivation).
IMAGE_POLL = Curve(0.2, 2.0, 5.0)
# Waiting for an import: a GET every 2 s at most, so a finished import is noticed within about 1 s.
IMPORT_POLL = Curve(0.2, 2.0, 2.0)
# Retrying the delete of an incomplete image while Glance is unreachable (restarting).
DELETE_RETRY = Curve(0.5, 2.0, 4.0)
# Waiting for Glance's cache worker to store a queued image (GET /v2/cache).
CACHE_POLL = Curve(0.2, 2.0, 2.0)
# Waiting for the location_import task of an added location (the image's tasks).
LOCATION_POLL = Curve(0.2, 2.0, 2.0)
# Waiting for the tags of an image another request is creating (Glance stores them just after the image).
TAGS_POLL = Curve(0.05, 2.0, 0.5)


def delays(curve):
    delay = curve.start
    while True:
        yield delay
        delay = min(curve.cap, delay * curve.factor)


def poll(fetch, done, timeout, curve, timed_out, sleep=time.sleep, clock=time.monotonic):
    """``fetch()`` along ``curve`` until ``done(value)``; returns that value.

    When the next wait would pass ``timeout`` seconds, raises ``timed_out(value)``.
    """
    deadline = clock() + timeout
    for delay in delays(curve):
        value = fetch()
        if done(value):
            return value
        if clock() + delay > deadline:
            raise timed_out(value)
        sleep(delay)


def retry(action, should_retry, seconds, curve, sleep=time.sleep, clock=time.monotonic):
    """``action()`` until it returns; an exception for which ``should_retry(error)`` holds is retried
    along ``curve`` for ``seconds`` at most, then re-raised, like any other."""
    deadline = clock() + seconds
    for delay in delays(curve):
        try:
            return action()
        except Exception as error:
            if not should_retry(error) or clock() + delay > deadline:
                raise
        sleep(delay)
