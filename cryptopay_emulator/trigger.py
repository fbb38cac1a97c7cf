"""`python -m cryptopay_emulator trigger ...`: what the control API does, from the command line, against a running
emulator (like `stripe trigger`): pay or expire an invoice, fail or hold a payout, resend a notification, move time."""
from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from typing import Callable
from urllib.parse import quote, urlencode

from cryptopay_emulator.state import DEFAULT_PORT

CONTROL_ENV = "EMULATOR_CONTROL_URL"
DEFAULT_CONTROL_URL = f"http://127.0.0.1:{DEFAULT_PORT}/_emulator"
TIMEOUT_SECONDS = 15


class Refused(Exception):
    """The emulator answered with an error: its HTTP status, and its code and text as the message."""

    def __init__(self, status: int, said: str):
        super().__init__(f"{status} {said}")
        self.status = status


class Unreachable(Exception):
    """Nothing usable answered at the control URL."""


class Control:
    """The running emulator's control API (no authentication: a sandbox-only surface)."""

    def __init__(self, url: str):
        self.url = url.rstrip("/")

    def has_control(self) -> bool:
        """Whether the emulator behind the URL runs with its control API (its /health says so either way)."""
        try:
            with urllib.request.urlopen(self.url.rsplit("/_emulator", 1)[0] + "/health",
                                        timeout=TIMEOUT_SECONDS) as answer:
                return bool(json.loads(answer.read()).get("control", True))
        except (urllib.error.URLError, OSError, ValueError, AttributeError):
            return True  # nothing to add to what the refusal says

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            raise Refused(exc.code, _said(exc.read())) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or type(exc).__name__
            raise Unreachable(f"no control API answers at {self.url} ({reason}): is the emulator running, with its "
                              f"control API? Name it with --control-url or ${CONTROL_ENV}") from None


def _said(raw: bytes) -> str:
    """The emulator's error envelope as one line: code, message and the details' messages."""
    try:
        error = json.loads(raw)["error"]
        details = "; ".join(f"{d.get('target', '')} {d.get('message', '')}".strip() for d in error.get("details", []))
        return f"{error['code']}: {error['message']}" + (f" ({details})" if details else "")
    except (ValueError, KeyError, TypeError, AttributeError):
        return raw[:200].decode("utf-8", "replace")


# -- the triggers: each takes the control API and its parsed arguments, and returns what to print ------------------
# The ones that are one POST about one object: name -> (help, the object's argument, the control API path).
ONE_POST = {
    "confirm": ("confirm a payment's transaction", "txid", "/transactions/{}/confirm"),
    "expire": ("move an unpaid invoice's time to its expiry; what falls due then happens", "invoice_id",
               "/invoices/{}/expire"),
    "fail-payout": ("fail a coin withdrawal (cancelled one step later, the charge returned)", "withdrawal_id",
                    "/coin_withdrawals/{}/fail"),
    "hold-payout": ("hold a coin withdrawal (on_hold, until released)", "withdrawal_id", "/coin_withdrawals/{}/hold"),
    "release-payout": ("release a held coin withdrawal (processing, then sent and completed)", "withdrawal_id",
                       "/coin_withdrawals/{}/release"),
}


def one_post(control: Control, args: argparse.Namespace) -> dict:
    _, argument, path = ONE_POST[args.trigger]
    return control.call("POST", path.format(quote(getattr(args, argument), safe="")))


def pay(control: Control, args: argparse.Namespace) -> dict:
    body: dict = {"risk_level": args.risk, "confirmed": not args.unconfirmed}
    body.update({"invoice_id": args.invoice_id} if args.invoice_id else {"address": args.address})
    if args.amount is not None:
        body["amount"] = args.amount
    return control.call("POST", "/payments", body)


def advance(control: Control, args: argparse.Namespace) -> dict:
    body = {"seconds": args.seconds} if args.seconds is not None else {"until": args.until} if args.until else {}
    return control.call("POST", f"/objects/{quote(args.object_id, safe='')}/advance", body)


def resend(control: Control, args: argparse.Namespace) -> dict:
    """The object's latest notification (of `--event`, when given) sent again, as Cryptopay's dashboard resends."""
    sent = control.call("GET", f"/deliveries?{urlencode({'object_id': args.object_id})}")["data"]
    chosen = [d for d in sent if args.event in (None, d["event"])]
    if not chosen:
        about = f" {args.event}" if args.event else ""
        raise Refused(404, f"no{about} notification was sent about {args.object_id}")
    return control.call("POST", f"/deliveries/{chosen[-1]['id']}/resend")


def decide(control: Control, args: argparse.Namespace) -> dict:
    """The monitoring team's decision on a held invoice or channel payment."""
    body, object_id = {"outcome": args.outcome}, quote(args.object_id, safe="")
    try:
        return control.call("POST", f"/invoices/{object_id}/monitoring_decision", body)
    except Refused as exc:
        if exc.status != 404:
            raise
    return control.call("POST", f"/channel_payments/{object_id}/monitoring_decision", body)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m cryptopay_emulator trigger", description=__doc__,
                                     epilog="Prints the control API's answer as JSON. Exit status: 0 done, 1 the "
                                            "emulator refused (its code and message on stderr), 2 not reachable.")
    parser.add_argument("--control-url", default=os.environ.get(CONTROL_ENV) or DEFAULT_CONTROL_URL,
                        help=f"the emulator's control API; default ${CONTROL_ENV}, else {DEFAULT_CONTROL_URL}")
    steps = parser.add_subparsers(dest="trigger", required=True, metavar="TRIGGER")

    one = steps.add_parser("pay", help="pay an invoice (what it still asks for, unless --amount) or a channel address")
    target = one.add_mutually_exclusive_group(required=True)
    target.add_argument("invoice_id", nargs="?")
    target.add_argument("--address", help="a channel's deposit address (or an invoice's) instead of an invoice id")
    one.add_argument("--amount", help="in the pay currency, e.g. 0.00123; required for a channel address")
    one.add_argument("--risk", choices=("low", "medium", "high"), default="low",
                     help="the payment's risk level (high: held as illicit_resource)")
    one.add_argument("--unconfirmed", action="store_true", help="broadcast only; confirm it later with `confirm`")
    one.set_defaults(run=pay)

    for name, (what, argument, _) in ONE_POST.items():
        one = steps.add_parser(name, help=what)
        one.add_argument(argument)
        one.set_defaults(run=one_post)

    one = steps.add_parser("advance", help="move an object's time (invoice, coin withdrawal, channel payment)")
    one.add_argument("object_id")
    when = one.add_mutually_exclusive_group()
    when.add_argument("--seconds", type=float, help="this far on (default: to its next deadline)")
    when.add_argument("--until", help="to this ISO 8601 time, with its offset")
    one.set_defaults(run=advance)

    one = steps.add_parser("resend", help="send an object's latest notification again")
    one.add_argument("object_id", help="an invoice, channel payment or coin withdrawal id")
    one.add_argument("--event", help="the latest of this event, e.g. status_changed")
    one.set_defaults(run=resend)

    one = steps.add_parser("decide", help="the monitoring team's decision on a held invoice or channel payment")
    one.add_argument("object_id")
    one.add_argument("outcome", choices=("completed", "refunded"))
    one.set_defaults(run=decide)
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    run: Callable[[Control, argparse.Namespace], dict] = args.run
    try:
        answer = run(Control(args.control_url), args)
    except Refused as exc:
        control = Control(args.control_url)
        if exc.status == 404 and not control.has_control():
            print(f"cryptopay_emulator trigger {args.trigger}: the emulator at {control.url} runs without its "
                  "control API (started with --no-control): nothing can be triggered there", file=sys.stderr)
            return 1
        print(f"cryptopay_emulator trigger {args.trigger}: the emulator refused: {exc}", file=sys.stderr)
        return 1
    except Unreachable as exc:
        print(f"cryptopay_emulator trigger {args.trigger}: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(answer, indent=2, sort_keys=True))
    return 0
