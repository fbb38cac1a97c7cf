"""Hostile input on the emulator: oversized bodies refused unread (413 in the envelope), a busy port, safe secrets."""
from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from cryptopay_emulator import EmulatorConfig, create_app
from cryptopay_emulator import state
from tests.emulator.conftest import CALLBACK_SECRET, KEY, SECRET

pytestmark = pytest.mark.negative
ROOT = Path(__file__).resolve().parents[2]
HUNDRED_MB = 100 * 1024 * 1024


class CountingStream(io.RawIOBase):
    """An endless request body that counts what the app reads of it."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        self.read_bytes += len(buffer)
        buffer[:] = b"x" * len(buffer)
        return len(buffer)


def call(app, path: str, headers: dict[str, str], stream: io.RawIOBase) -> tuple[str, dict]:
    """Calls the emulator's WSGI app directly, so the test sees exactly how much of the body it read."""
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": path, "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
               "wsgi.url_scheme": "http", "wsgi.input": stream, "wsgi.errors": sys.stderr, **headers}
    status: list[str] = []
    body = b"".join(app.wsgi(environ, lambda s, h, exc=None: status.append(s)))
    return status[0], json.loads(body)


def emulator(max_body_bytes: int | None = None):
    extra = {} if max_body_bytes is None else {"max_body_bytes": max_body_bytes}
    return create_app(EmulatorConfig(api_key=KEY, api_secret=SECRET, callback_secret=CALLBACK_SECRET,
                                     rate_limit_per_minute=0, **extra))


@pytest.mark.parametrize("path", ["/api/invoices", "/_emulator/payments"])
def test_a_100_mb_unsigned_body_is_413_in_the_envelope_and_never_read(path: str) -> None:
    stream = CountingStream()
    status, body = call(emulator(), path, {"CONTENT_LENGTH": str(HUNDRED_MB),
                                          "CONTENT_TYPE": "application/json"}, stream)
    assert status.startswith("413") and body["error"]["code"] == "payload_too_large"
    assert set(body) == {"error", "meta"} and body["error"]["details"] == []
    assert stream.read_bytes == 0


def test_a_chunked_body_is_cut_off_at_the_limit() -> None:
    stream = CountingStream()
    status, body = call(emulator(4096), "/api/invoices", {"HTTP_TRANSFER_ENCODING": "chunked",
                                                          "wsgi.input_terminated": True}, stream)
    assert status.startswith("413") and body["error"]["code"] == "payload_too_large"
    assert stream.read_bytes <= 4096 + 64 * 1024  # the limit plus at most one read buffer


def test_a_body_at_the_limit_is_still_read_and_judged_on_its_signature() -> None:
    status, body = call(emulator(1000), "/api/invoices", {"CONTENT_LENGTH": "1000"}, io.BytesIO(b" " * 1000))
    assert status.startswith("401") and body["error"]["code"] == "unauthenticated"


def test_a_port_in_use_is_one_line_not_a_traceback() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "cryptopay_emulator", f"--port={port}", "--no-state-file"],
                              cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [f"cryptopay_emulator: cannot listen on 127.0.0.1:{port}: "
                                                "Address already in use"]


def test_generated_secrets_never_start_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    made = iter(["-looks-like-an-option", "-again", "fine-secret"])
    monkeypatch.setattr(state.secrets, "token_urlsafe", lambda n: next(made))
    assert state.new_secret(32) == "fine-secret"


def test_the_readme_documents_opt_equals_value() -> None:
    readme = (ROOT / "cryptopay_emulator" / "README.md").read_text(encoding="utf-8")
    assert "--callback-secret=" in readme and "starts with `-`" in readme
