"""Slow clients for the servers' tests: connections that send half a request header and then nothing at all."""
from __future__ import annotations

import select
import socket
import time
from contextlib import contextmanager
from typing import Iterator
from urllib.parse import urlsplit

HALF_A_HEADER = b"GET /_emulator/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Still-Typing: "


def address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname, parts.port


@contextmanager
def idle_connections(url: str, count: int) -> Iterator[list[socket.socket]]:
    """`count` connections to the server at `url`, each with half a header sent, closed on the way out."""
    opened: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.create_connection(address(url), timeout=10)
            sock.sendall(HALF_A_HEADER)
            opened.append(sock)
        yield opened
    finally:
        for sock in opened:
            sock.close()


def closed_by_server(sockets: list[socket.socket], timeout: float) -> int:
    """Waits up to `timeout` for the server to close them; returns how many it closed."""
    open_ones, deadline = list(sockets), time.monotonic() + timeout
    while open_ones and (left := deadline - time.monotonic()) > 0:
        readable, _, _ = select.select(open_ones, [], [], left)
        for sock in readable:
            try:
                ended = sock.recv(1024) == b""
            except OSError:
                ended = True
            if ended:
                open_ones.remove(sock)
    return len(sockets) - len(open_ones)
