"""Cryptopay as seen through a loopback proxy that passes every request on to the emulator except the commits of
coin withdrawals, which it holds, answers, or drops as a test chooses: how a test stops a payout between the
merchant's debit and Cryptopay's commit."""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

import requests

from support.targets.servers import ServerThread

COMMIT = re.compile(r"^/api/coin_withdrawals/(?P<id>[^/]+)/commit$")
PASSED_HEADERS = ("Authorization", "Date", "Content-Type", "Accept")  # what the signature covers, and the rest


@dataclass
class HoldingCryptopay:
    """`commits`: "pass" (forwarded), "hold" (kept from Cryptopay until `release` is set, then forwarded: meanwhile a
    test kills the merchant or looks at it half-way), "late" (forwarded at once, its answer withheld until
    `release`: the commit happened, and the merchant's request times out without hearing of it) or "fails"
    (forwarded, then answered 500 in Cryptopay's envelope: the commit happened, and Cryptopay says it failed)."""
    target: str
    commits: str = "hold"
    held: list[str] = field(default_factory=list)  # ids of withdrawals whose commit arrived
    arrived: threading.Condition = field(default_factory=threading.Condition)
    _released: threading.Event = field(default_factory=threading.Event)
    _forward_held: bool = True  # a held commit goes on to Cryptopay when released; at stop(), it never does

    def __post_init__(self) -> None:
        self._server = ServerThread(self.wsgi, "holding-cryptopay").start()
        self.url = self._server.url

    def release(self) -> None:
        """Held commits go on to Cryptopay; withheld answers go back."""
        self._released.set()

    def stop(self) -> None:
        self._forward_held = False
        self._released.set()
        self._server.stop()

    def wait_for_commit(self, timeout: float) -> str:
        with self.arrived:
            if not self.arrived.wait_for(lambda: self.held, timeout):
                raise AssertionError(f"no withdrawal commit reached Cryptopay within {timeout:g} s")
            return self.held[0]

    def wsgi(self, environ, start_response):
        path = environ.get("RAW_URI") or environ["PATH_INFO"]
        commit = COMMIT.match(path.split("?", 1)[0]) if environ["REQUEST_METHOD"] == "POST" else None
        if commit and self.commits != "pass":
            with self.arrived:
                self.held.append(commit["id"])
                self.arrived.notify_all()
            if self.commits == "hold":
                self._released.wait()
                if not self._forward_held:
                    start_response("503 Service Unavailable", [("Content-Type", "application/json")])
                    return [b'{"error":{"code":"unavailable","message":"held until the test ended"}}']
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(size) if size else None
        headers = {name: environ[f"HTTP_{name.upper().replace('-', '_')}"] for name in PASSED_HEADERS
                   if f"HTTP_{name.upper().replace('-', '_')}" in environ}
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        answer = requests.request(environ["REQUEST_METHOD"], self.target + path, data=body, headers=headers,
                                  timeout=30, allow_redirects=False)
        if commit and self.commits == "late":
            self._released.wait()
        if commit and self.commits == "fails":
            start_response("500 Internal Server Error", [("Content-Type", "application/json")])
            return [b'{"error":{"code":"internal_error","message":"internal error","details":[]},'
                    b'"meta":{"request_id":"00000000000000000000000000000000"}}']
        start_response(f"{answer.status_code} {answer.reason}",
                       [(k, v) for k, v in answer.headers.items() if k in ("Content-Type", "Date")])
        return [answer.content]
