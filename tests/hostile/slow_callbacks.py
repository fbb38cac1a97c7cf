"""A merchant callback endpoint on loopback that answers some callbacks for ever, a header byte at a time, and the
others at once; it records when each answer was given and when each endless one was given up by the sender."""
from __future__ import annotations

import json
import socket
import socketserver
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

TRICKLE_SECONDS = 0.05  # far inside any read timeout: only a bound on the whole answer ends it


@dataclass
class Seen:
    object_id: str | None
    at: float  # time.monotonic() when it was answered, or when the sender hung up on an endless answer


@dataclass
class SlowCallbackEndpoint:
    """`slow(data)` says, from the callback's `data` object, which callbacks get the endless answer."""
    slow: Callable[[dict], bool]
    answered: list[Seen] = field(default_factory=list)
    hung_up: list[Seen] = field(default_factory=list)
    started: list[Seen] = field(default_factory=list)  # endless answers begun
    changed: threading.Condition = field(default_factory=threading.Condition)

    def __post_init__(self) -> None:
        endpoint = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                endpoint._serve(self.rfile, self.connection)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._stopped = threading.Event()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/callbacks"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        self._stopped.set()
        self._server.shutdown()
        self._server.server_close()

    def wait(self, what: Callable[["SlowCallbackEndpoint"], bool], timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: what(self), timeout)

    def _note(self, into: list[Seen], object_id: str | None) -> None:
        with self.changed:
            into.append(Seen(object_id, time.monotonic()))
            self.changed.notify_all()

    def _serve(self, rfile, connection: socket.socket) -> None:
        length = 0
        while (line := rfile.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        try:
            data = json.loads(rfile.read(length))["data"]
        except (ValueError, KeyError, TypeError):
            data = {}
        object_id = data.get("id")
        if not self.slow(data):
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            self._note(self.answered, object_id)
            return
        self._note(self.started, object_id)
        try:
            connection.sendall(b"HTTP/1.1 200 OK\r\n")
            while not self._stopped.wait(TRICKLE_SECONDS):  # an endless header, one byte at a time
                connection.sendall(b"X")
        except OSError:
            self._note(self.hung_up, object_id)
