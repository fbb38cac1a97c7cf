"""What a person watching a real-mode run sees: payment instructions with a QR code, and progress while waiting."""
from __future__ import annotations

import io
import re
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, TextIO

import qrcode
import qrcode.image.svg

SPINNER = "|/-\\"


@dataclass(frozen=True)
class QrCode:
    payload: str
    text: str  # block characters, for a terminal
    svg: str   # for the report (attach as image/svg+xml)


def make_qr(payload: str) -> QrCode:
    code = qrcode.QRCode(border=1, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(payload)
    code.make(fit=True)
    text = io.StringIO()
    # invert=True draws dark modules as blank on a light-on-dark terminal, which is how phone cameras read it.
    code.print_ascii(out=text, invert=True)
    svg = code.make_image(image_factory=qrcode.image.svg.SvgPathImage).to_string(encoding="unicode")
    return QrCode(payload, text.getvalue(), svg)


def payment_payload(invoice: dict, amount: Decimal) -> str:
    """The invoice's own payment URI when it asks for this amount; its amount swapped in where the URI carries
    a plain `amount=`; otherwise the bare address (the amount is shown beside the code)."""
    uri = invoice.get("uri") or ""
    if uri and Decimal(invoice["pay_amount"]) == amount:
        return uri
    if re.search(r"[?&]amount=[0-9.]+", uri):
        return re.sub(r"([?&]amount=)[0-9.]+", lambda m: f"{m.group(1)}{amount}", uri, count=1)
    return invoice["address"]


def instructions(invoice: dict, amount: Decimal, timeout: float, qr: QrCode, can_abort: bool) -> str:
    rule = "=" * 72
    lines = [rule, f" PAYMENT NEEDED for invoice {invoice['id']}",
             f"   send exactly  {amount} {invoice['pay_currency']}",
             f"   network       {invoice['network']}",
             f"   to address    {invoice['address']}",
             f"   within        {timeout:.0f} s" + ("   (type q and Enter to give up)" if can_abort else ""),
             "", qr.text, rule]
    return "\n".join(lines) + "\n"


class Progress:
    """Prints one line per `every` seconds while a wait goes on, so a long wait never looks like a hang."""

    def __init__(self, out: TextIO, what: str, timeout: float, every: float = 5.0,
                 clock: Callable[[], float] = time.monotonic):
        self._out, self._what, self._timeout, self._every, self._clock = out, what, timeout, every, clock
        self._start = clock()
        self._next = self._start + every
        self._turn = 0

    def say(self, text: str) -> None:
        self._out.write(text + "\n")
        self._out.flush()

    def tick(self, seen: str) -> None:
        now = self._clock()
        if now < self._next:
            return
        self._next = now + self._every
        self._turn += 1
        self.say(f"  {SPINNER[self._turn % 4]} waiting {now - self._start:4.0f}/{self._timeout:.0f} s for "
                 f"{self._what}; {seen}")

    def done(self, seen: str, always: bool = False) -> None:
        """Closes a wait the reader saw progress for (or any wait, `always`); an instant success stays quiet."""
        if always or self._turn:
            self.say(f"  done after {self._clock() - self._start:.1f} s: {self._what}; {seen}")


class TerminalOut:
    """A stream that writes past pytest's output capture, so the operator sees instructions while the test runs.
    Pass it `config.pluginmanager.getplugin("capturemanager")`; without one it writes to the real stderr."""

    def __init__(self, capture_manager=None):
        self._capman = capture_manager

    def write(self, text: str) -> int:
        if self._capman is None:
            sys.__stderr__.write(text)
        else:
            with self._capman.global_and_fixture_disabled():
                sys.__stderr__.write(text)
                sys.__stderr__.flush()
        return len(text)

    def flush(self) -> None:
        sys.__stderr__.flush()
