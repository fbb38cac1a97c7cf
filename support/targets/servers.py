"""Runs a WSGI app on a loopback port chosen by the OS (port 0) in a background thread."""
from __future__ import annotations

import threading

from werkzeug.serving import make_server

# A stop waits for the serving loop's next poll: short, so tearing down a pair of targets takes no noticeable time.
POLL_SECONDS = 0.1


class ServerThread:
    def __init__(self, app, name: str, host: str = "127.0.0.1"):
        self._server = make_server(host, 0, app, threaded=True)
        self.url = f"http://{host}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(POLL_SECONDS,), name=name,
                                        daemon=True)

    def start(self) -> "ServerThread":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()
