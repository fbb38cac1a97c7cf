"""HTTP for one configured address: no redirect followed, each answer whole within a time and a decoded-size bound."""
from __future__ import annotations

import ipaddress
import re
import socket
import threading
import time
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import poolmanager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from cryptopay_client.errors import TransportError

# Read in steps of this many decoded bytes: a gzip bomb is inflated one step at a time, never whole.
_STEP = 64 * 1024
_current = threading.local()


class RefusedAnswer(TransportError):
    """An answer the suite does not take in: a redirect, one that never ends in time, one too big. The message
    names the setting the address came from and the request; `why` is the reason alone."""

    def __init__(self, setting: str, method: str, path: str, why: str):
        super().__init__(f"{setting}: {method} {path} {why}")
        self.setting, self.method, self.path, self.why = setting, method, path, why


class RedirectRefused(RefusedAnswer):
    pass


class AnswerTooSlow(RefusedAnswer):
    pass


class AnswerTooBig(RefusedAnswer):
    pass


class GuardedSession(requests.Session):
    """A session for the address one setting names. It never follows a redirect: the request (its body, its
    credentials) is never sent anywhere else, and a redirect is an error naming the setting. Every answer is read
    whole before it is returned, within `seconds` from connecting to its last byte (not per read), and at most
    `max_bytes` once decoded, so a merchant or a "Cryptopay" that never stops answering cannot hang or fill the run.
    `redirects_are_answers` returns a 3xx as it came (nothing followed) for callers that judge the status."""

    def __init__(self, setting: str, *, seconds: float, max_bytes: int, redirects_are_answers: bool = False):
        super().__init__()
        self.setting, self.seconds, self.max_bytes = setting, seconds, max_bytes
        self.redirects_are_answers = redirects_are_answers
        adapter = _WatchedAdapter()
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.update(allow_redirects=False, stream=True, timeout=self.seconds)
        path = _path(url)
        # A loopback target is reached directly, never through a proxy the environment names, and requests skips
        # reading the environment's proxy, CA and netrc settings on every call (a third of a loopback request's
        # time); a remote one (the sandbox, a staging) keeps them: a corporate proxy or CA bundle may be needed.
        self.trust_env = not _loopback(url)
        with _Deadline(self.seconds) as deadline:
            try:
                response = super().request(method, url, *args, **kwargs)
                if response.is_redirect and not self.redirects_are_answers:
                    response.close()
                    raise RedirectRefused(self.setting, method, path, _redirect_words(response, url))
                _read_whole(response, self.max_bytes, lambda why: AnswerTooBig(self.setting, method, path, why))
            except (requests.RequestException, OSError):
                if not deadline.expired:
                    raise
        if deadline.expired:  # a shut socket may also read as the end of an answer without a length
            raise AnswerTooSlow(self.setting, method, path, f"did not answer whole within {self.seconds:g} s")
        return response

    def get_redirect_target(self, resp: requests.Response) -> None:
        """No next hop, ever: requests never prepares one (nor parses a hostile Location); request() judges it."""
        return None


def _path(url: str) -> str:
    return urlsplit(url).path or "/"


def _loopback(url: str) -> bool:
    try:
        host = urlsplit(url).hostname or ""
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:  # not a URL, or a name other than localhost
        return False


def _redirect_words(response: requests.Response, url: str) -> str:
    """What the redirect asked for, in words: the target's host only (plain characters), never its whole text."""
    try:
        target, here = urlsplit(urljoin(url, response.headers.get("Location", ""))), urlsplit(url)
        same = (target.scheme, target.hostname, target.port) == (here.scheme, here.hostname, here.port)
        host = target.hostname or ""
    except ValueError:
        same, host = False, ""
    if not re.fullmatch(r"[a-z0-9.:\[\]-]{1,100}", host):
        host = "an address not shown"
    where = "elsewhere on the same host" if same else f"to another address ({host})"
    return (f"answered {response.status_code}, a redirect {where}; the suite follows no redirect, so nothing was "
            "sent there: configure the address that answers itself")


def _read_whole(response: requests.Response, limit: int, too_big) -> None:  # noqa: ANN001
    """The body, decoded step by step and given up as soon as it passes `limit` bytes."""
    if response._content is not False:  # an adapter that answers without a network (tests) has it already
        return
    body = bytearray()
    for step in response.iter_content(_STEP):
        body += step
        if len(body) > limit:
            response.close()
            raise too_big(f"answered more than {limit:,} bytes (decoded); the answer was cut off there")
    response._content = bytes(body)
    response.close()  # the connection goes back to the pool: everything was read


class _Deadline:
    """Shuts down the socket a request is using when the whole answer has not arrived by the deadline: a blocked
    read ends at once, whatever the per-read timeout. The socket is kept, not the connection: a connection hands
    its socket over to an answer that closes the connection when it ends, and forgets it."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expired = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> "_Deadline":
        _current.deadline = self
        _WATCHDOG.watch(self, time.monotonic() + self.seconds)
        return self

    def __exit__(self, *exc: object) -> None:
        _WATCHDOG.forget(self)
        _current.deadline = None

    def watch(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._sock = sock or self._sock
            if self.expired:
                _shut(self._sock)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            _shut(self._sock)


class _Watchdog:
    """One thread for every request's deadline (a thread per request cost more than a loopback request itself): it
    sleeps until the earliest deadline still watched and expires the requests that reached theirs."""

    def __init__(self) -> None:
        self._due: dict[_Deadline, float] = {}
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, deadline: _Deadline, at: float) -> None:
        with self._changed:
            sooner = at < min(self._due.values(), default=float("inf"))
            self._due[deadline] = at
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="http-deadlines", daemon=True)
                self._thread.start()
            if sooner:  # otherwise the thread already wakes in time: no wake-up per request
                self._changed.notify()

    def forget(self, deadline: _Deadline) -> None:
        with self._changed:
            self._due.pop(deadline, None)

    def _run(self) -> None:
        while True:
            with self._changed:
                now = time.monotonic()
                reached = [d for d, at in self._due.items() if at <= now]
                for deadline in reached:
                    del self._due[deadline]
                if not reached:
                    self._changed.wait(min(self._due.values(), default=now + 60.0) - now)
            for deadline in reached:  # outside the lock: shutting a socket down never holds up a new request
                deadline.expire()


_WATCHDOG = _Watchdog()


def _shut(sock: socket.socket | None) -> None:
    if sock is not None:
        try:
            socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain socket's: safe beside a reading TLS layer
        except OSError:
            pass


def _watch(conn: HTTPConnection) -> None:
    deadline = getattr(_current, "deadline", None)
    if deadline is not None:
        deadline.watch(conn.sock)


class _Watched:
    """A connection that tells the request's deadline which socket to shut down."""

    def connect(self) -> None:
        _watch(self)  # type: ignore[arg-type]
        super().connect()  # type: ignore[misc]
        _watch(self)  # type: ignore[arg-type]  # expired while connecting: shut now

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self)  # type: ignore[arg-type]  # a kept-alive connection is not connected again
        super().request(*args, **kwargs)  # type: ignore[misc]


class _WatchedHTTP(_Watched, HTTPConnection):
    pass


class _WatchedHTTPS(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTP


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPS


_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class _WatchedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        if manager.pool_classes_by_scheme is poolmanager.pool_classes_by_scheme:  # not SOCKS: its own connections
            manager.pool_classes_by_scheme = _POOLS
        return manager
