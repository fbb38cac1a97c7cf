"""One callback POST inside a total time limit: connecting, sending and the whole answer, however slowly it comes."""
from __future__ import annotations

import http.client
import socket
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

# Only the status counts; a merchant's page of text is read no further than this, and the connection is closed.
ANSWER_READ_LIMIT = 64 * 1024


class AnswerTimeout(Exception):
    """The whole answer did not arrive within the limit."""


@dataclass(frozen=True)
class Answered:
    status_code: int


class DeadlineSession:
    """What the deliverer posts callbacks with: like requests.Session.post, except that `timeout` bounds the whole
    exchange. requests' timeout is per socket read, so an answer trickled a byte at a time never ended, and every
    delivery queued behind it (issue 21). At the limit a watchdog shuts the socket down, which ends any connect,
    write or read in progress; the attempt then raises AnswerTimeout."""

    def post(self, url: str, data: bytes, timeout: float, headers: dict[str, str]) -> Answered:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("the callback URL must be http:// or https:// with a host")
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        connection = kind(parts.hostname, parts.port, timeout=timeout)
        expired = threading.Event()
        watchdog = threading.Timer(timeout, _shut, args=(connection, expired))
        watchdog.daemon = True
        watchdog.start()
        try:
            connection.connect()
            if expired.is_set():  # the limit passed while connecting: nothing may start after it
                raise AnswerTimeout()
            connection.request("POST", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), body=data,
                               headers=headers)
            response = connection.getresponse()
            response.read(ANSWER_READ_LIMIT)
        except (OSError, http.client.HTTPException):
            if expired.is_set():  # the watchdog's shutdown is what broke the exchange
                raise AnswerTimeout() from None
            raise
        finally:
            watchdog.cancel()
            connection.close()
        if expired.is_set():
            raise AnswerTimeout()
        return Answered(response.status)


def _shut(connection: http.client.HTTPConnection, expired: threading.Event) -> None:
    expired.set()
    sock = connection.sock  # None until connected: then connect() is bounded by its own timeout, checked after
    if sock is not None:
        try:
            # The plain socket's shutdown, also under TLS: it ends a read blocked in another thread at once.
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        except OSError:
            pass  # already closed
