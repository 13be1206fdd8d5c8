"""Values shared by the Python-client interop tests."""

from __future__ import annotations

import itertools
import threading
import urllib.parse

import pytest

# Text that is not ASCII: Latin-1 accents, CJK, a character beyond the BMP (a surrogate pair in
# UTF-16, four bytes in UTF-8), and JSON-significant characters.
NON_ASCII = 'héllo, 世界! Ünïcödé ✓ 🚀 "quoted" \\ back'

# Upper bound for every single wait (connect, one invocation, one message, stop).
TIMEOUT_S = 5.0

# The chat server speaks MessagePack since commit fb961ba ("MessagePack hub protocol ...").
# Set this to False to skip every MessagePack variant (for a server built without it).
MESSAGEPACK_IN_SERVER = True

MESSAGEPACK = pytest.mark.skipif(
    not MESSAGEPACK_IN_SERVER, reason="MessagePack not in the server yet"
)

_counter = itertools.count(1)


def unique(prefix: str) -> str:
    """A message text no other test sends, so that a handler can tell its own broadcast."""
    return f"{prefix} #{next(_counter)} ✓"


def id_in_url(url: str) -> str | None:
    """The `id` query parameter of a transport URL (with negotiate v0, the connection id)."""
    values = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).get("id")
    return values[0] if values else None


class Calls:
    """Records the calls a client method receives, from whichever thread delivers them."""

    def __init__(self) -> None:
        self._calls: list[list] = []
        self._changed = threading.Condition()

    def __call__(self, arguments: list) -> None:
        with self._changed:
            self._calls.append(list(arguments))
            self._changed.notify_all()

    def wait_for(self, expected: list, timeout: float = TIMEOUT_S) -> list:
        """Waits until a call with exactly these arguments has arrived, and returns it."""
        with self._changed:
            if not self._changed.wait_for(lambda: expected in self._calls, timeout):
                raise AssertionError(
                    f"no call with arguments {expected!r} within {timeout} s; got {self._calls!r}"
                )
        return expected
