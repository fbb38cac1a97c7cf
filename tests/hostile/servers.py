"""Hostile loopback servers for the attack tests: one raw-socket server on port 0, and the answers attackers give."""
from __future__ import annotations

import gzip
import functools
import json
import socket
import socketserver
import threading
from dataclasses import dataclass, field
from typing import Callable

# How long an endless answer waits between two pieces: short enough to beat any per-read timeout the suite uses.
TRICKLE_SECONDS = 0.1


@dataclass
class Request:
    """What the server was sent: the request line's method and path, the headers (lower-case names), the body."""
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Answering:
    """The connection an answer writes to, raw: anything at all, for as long as `open` says."""
    sock: socket.socket
    stopping: threading.Event

    def send(self, data: bytes) -> bool:
        """False once the client has gone (or the server stops): an endless answer ends there."""
        if self.stopping.is_set():
            return False
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            return False

    def head(self, status: int, headers: dict[str, str]) -> bool:
        lines = [f"HTTP/1.1 {status} Hostile"] + [f"{k}: {v}" for k, v in headers.items()]
        return self.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    def pause(self, seconds: float = TRICKLE_SECONDS) -> bool:
        """Waits on the server's stop event, never a fixed sleep: True while the answer may go on."""
        return not self.stopping.wait(seconds)


Answer = Callable[[Request, Answering], None]


@dataclass
class HostileServer:
    """A loopback HTTP server on a port the OS chooses. Each request is read, recorded in `received`, and handed
    to `answer`, which writes whatever it likes (or nothing) to the connection. Use it as a context manager."""
    answer: Answer
    host: str = "127.0.0.1"
    received: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stopping = threading.Event()
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                request = _read_request(self.request)
                if request is not None:
                    outer.received.append(request)
                    outer.answer(request, Answering(self.request, outer._stopping))

        self._server = socketserver.ThreadingTCPServer((self.host, 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> "HostileServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()


def _read_request(sock: socket.socket) -> Request | None:
    reader = sock.makefile("rb")
    try:
        line = reader.readline(65537).decode("latin-1").split()
        headers = {}
        while (header := reader.readline(65537)) not in (b"\r\n", b"\n", b""):
            name, _, value = header.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = reader.read(int(headers.get("content-length", "0")))
    except (OSError, ValueError):
        return None
    return Request(line[0], line[1], headers, body) if len(line) >= 2 else None


# -- the answers ----------------------------------------------------------------------------------------------------
def json_answer(status: int, body: object) -> Answer:
    """A plain, correct JSON answer (a stand-in for the host a redirect points at, or a well-behaved endpoint)."""
    data = json.dumps(body).encode()

    def answer(request: Request, out: Answering) -> None:
        # This server answers one request per connection, and says so: a client that took the connection for kept
        # alive would send its next request into a socket being closed (a race a loaded machine loses).
        out.head(status, {"Content-Type": "application/json", "Content-Length": str(len(data)), "Connection": "close"})
        out.send(data)
    return answer


def redirect(location: str, status: int = 307) -> Answer:
    """A redirect elsewhere; 307 and 308 tell the client to send the same method and body there."""
    def answer(request: Request, out: Answering) -> None:
        out.head(status, {"Location": location, "Content-Length": "0"})
    return answer


def never_ending(piece: bytes = b" ", pause: float = TRICKLE_SECONDS) -> Answer:
    """A 200 whose body never ends: `piece` after `piece` (a JSON-looking start first), each within any per-read
    timeout, until the client hangs up. pause=0 floods instead (an endless, huge answer)."""
    def answer(request: Request, out: Answering) -> None:
        if not out.head(200, {"Content-Type": "application/json"}) or not out.send(b'{"balances": {'):
            return
        while out.send(piece) and (pause == 0 or out.pause(pause)):
            pass
    return answer


def endless_headers(pause: float = TRICKLE_SECONDS) -> Answer:
    """A status line, then one header byte after another, for ever: the answer never even starts its body."""
    def answer(request: Request, out: Answering) -> None:
        if out.send(b"HTTP/1.1 200 OK\r\nX-Slow: "):
            while out.send(b"a") and out.pause(pause):
                pass
    return answer


@functools.cache
def gzip_bomb(decoded_bytes: int = 1 << 30) -> bytes:
    """`decoded_bytes` of spaces in a few KB: gzip members of 1 MiB each, one after the other (a gzip stream may
    hold many), gzipped once more (Content-Encoding: gzip, gzip)."""
    member = gzip.compress(b" " * (1 << 20), compresslevel=9)
    return gzip.compress(member * (decoded_bytes >> 20), compresslevel=9)


def gzip_bombing(decoded_bytes: int = 1 << 30) -> Answer:
    def answer(request: Request, out: Answering) -> None:
        data = gzip_bomb(decoded_bytes)
        out.head(200, {"Content-Type": "application/json", "Content-Encoding": "gzip, gzip",
                       "Content-Length": str(len(data))})
        out.send(data)
    return answer


def deep_json(depth: int = 200_000) -> Answer:
    """A JSON answer nested `depth` arrays deep: valid JSON no recursive parser reads."""
    data = b"[" * depth + b"]" * depth
    return raw_json(data)


def raw_json(data: bytes, status: int = 200) -> Answer:
    def answer(request: Request, out: Answering) -> None:
        # This server answers one request per connection, and says so: a client that took the connection for kept
        # alive would send its next request into a socket being closed (a race a loaded machine loses).
        out.head(status, {"Content-Type": "application/json", "Content-Length": str(len(data)), "Connection": "close"})
        out.send(data)
    return answer
