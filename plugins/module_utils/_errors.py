# -*- coding: utf-8 -*-
# Copyright: imagecat.glance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to imagecat.glance: the collection's exceptions, in one file that imports nothing else.

``GlanceError`` is any failed call to the Image service; ``InputError`` is bad user input found
before any request. Pure planners import them from here, not from the REST layer.
"""

from __future__ import annotations


class GlanceError(Exception):
    """Any failed call to the Image service, with what a user needs to act on it."""

    def __init__(self, message, status=None, request_id=None, method=None, url=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.request_id = request_id
        self.method = method
        self.url = url
        # True when this answer came to a repeat of the request: an earlier try may have landed.
        self.replayed = False

    def __str__(self):
        return self.message


class InputError(GlanceError):
    """Bad user input, found before any request is sent."""
