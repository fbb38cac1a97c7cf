"""Runs the emulator standalone, like stripe-mock: python -m cryptopay_emulator --port 8080 --callback-url http://..."""
from __future__ import annotations

import argparse
import os
import json
import resource
import secrets
import sys

from waitress.server import create_server

from cryptopay_emulator.app import EmulatorConfig, create_app
from cryptopay_emulator.account import DEFAULT_BALANCES
from cryptopay_emulator.money import parse_amount
from cryptopay_emulator.withdrawals import QUICK_STEP_SECONDS, REALISTIC_STEP_SECONDS

# Bodies between the app's limit and this still get the app's 413 in Cryptopay's envelope; longer ones get
# waitress's plain 413 before any of it is spooled.
WAITRESS_BODY_FACTOR = 64
# Slow or idle clients must not starve everyone else (issue 21). waitress stops accepting past connection_limit (100
# by default) and closes an idle connection only after channel_timeout (120 s), looked for every cleanup_interval
# (30 s): 99 half-sent request headers stopped the server for 150 s. Here a connection that sends nothing for
# IDLE_SECONDS is closed within a second more, and ten times as many connections are let in, watched with poll()
# (select() cannot watch more than 1024) and never more than the process may open files for.
IDLE_SECONDS = 15
CONNECTION_LIMIT = 1000


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m cryptopay_emulator", description=__doc__,
                                     epilog="Write values as --opt=value: a value starting with '-' (a secret can) "
                                            "is otherwise read as an option.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--api-key", default=None, help="default: random")
    parser.add_argument("--api-secret", default=None,
                        help="default: $CRYPTOPAY_EMULATOR_API_SECRET, else random (then printed, so you can sign)")
    parser.add_argument("--callback-secret", default=None,
                        help="default: $CRYPTOPAY_EMULATOR_CALLBACK_SECRET, else random (then printed)")
    parser.add_argument("--callback-url", default=None, help="the account's Callback URL")
    parser.add_argument("--callback-timeout", type=float, default=10.0, help="seconds before a callback fails")
    parser.add_argument("--time-scale", type=float, default=1.0, help="emulated seconds per real second")
    parser.add_argument("--withdrawal-step-seconds", type=float, default=None,
                        help=f"emulated seconds per coin-withdrawal step (pending → processing → sent → completed); "
                             f"default {QUICK_STEP_SECONDS:g}, so a payment by coin withdrawal lands within a second, "
                             f"or {REALISTIC_STEP_SECONDS:g} with --realistic-delays")
    parser.add_argument("--realistic-delays", action="store_true",
                        help=f"the sandbox's own pace: {REALISTIC_STEP_SECONDS:g} s a withdrawal step (an invoice sees "
                             "a payment by coin withdrawal 20 s after it is made, as the sandbox's 18 s+ lag)")
    parser.add_argument("--driven-time", action="store_true",
                        help="objects stand still until POST /_emulator/objects/<id>/advance moves them (a test clock "
                             "per object); the go-live suite switches this on itself through the control API")
    parser.add_argument("--coin-withdrawal-callbacks", action="store_true",
                        help="send CoinWithdrawal callbacks (opt-in on the real dashboard too)")
    parser.add_argument("--no-control", action="store_true", help="disable the /_emulator control API")
    parser.add_argument("--rate-limit", type=int, default=200, help="requests per minute per key (0: off)")
    parser.add_argument("--balance", action="append", default=[], metavar="CUR=AMOUNT",
                        help="starting balance, e.g. --balance BTC=10.0 (repeatable)")
    parser.add_argument("--threads", type=int, default=8, help="request threads (they share one account)")
    parser.add_argument("--idle-timeout", type=int, default=IDLE_SECONDS,
                        help="seconds a connection may send nothing (half a request included) before it is closed")
    parser.add_argument("--print-secrets", action="store_true",
                        help="also print secrets given on the command line (generated ones are always printed)")
    return parser.parse_args(argv)


def new_secret(nbytes: int) -> str:
    """A random secret that never starts with "-": `--callback-secret VALUE` would read one as an option."""
    while True:
        value = secrets.token_urlsafe(nbytes)
        if not value.startswith("-"):
            return value


def listen(app: object, host: str, port: int, threads: int, max_body: int, idle_seconds: int = IDLE_SECONDS):
    """The waitress server, or exit with one line when the port cannot be had (no traceback for a busy port)."""
    try:
        # waitress spools bodies to disk before the app sees them; past this it answers 413 without reading.
        return create_server(app, host=host, port=port, threads=threads, max_request_body_size=max_body,
                             channel_timeout=idle_seconds, cleanup_interval=1, connection_limit=connection_limit(),
                             asyncore_use_poll=True)
    except OSError as exc:
        sys.exit(f"cryptopay_emulator: cannot listen on {host}:{port}: {exc.strerror or exc}")


def connection_limit() -> int:
    """CONNECTION_LIMIT, or fewer when the process may not open that many files (a few kept for everything else)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return CONNECTION_LIMIT if soft == resource.RLIM_INFINITY else max(100, min(CONNECTION_LIMIT, soft - 64))


def build_config(args: argparse.Namespace) -> EmulatorConfig:
    # Secrets may come from the environment, so they never show in the process list (/proc/*/cmdline).
    args.api_secret = args.api_secret or os.environ.get("CRYPTOPAY_EMULATOR_API_SECRET") or None
    args.callback_secret = args.callback_secret or os.environ.get("CRYPTOPAY_EMULATOR_CALLBACK_SECRET") or None
    return EmulatorConfig(
        api_key=args.api_key or new_secret(16), api_secret=args.api_secret or new_secret(32),
        callback_secret=args.callback_secret or new_secret(32), callback_url=args.callback_url,
        control_enabled=not args.no_control, time_scale=args.time_scale, rate_limit_per_minute=args.rate_limit,
        callback_timeout_seconds=args.callback_timeout, starting_balances=starting_balances(args.balance),
        withdrawal_step_seconds=step_seconds(args), driven_time=args.driven_time,
        coin_withdrawal_callbacks=args.coin_withdrawal_callbacks)


def step_seconds(args: argparse.Namespace) -> float:
    if args.withdrawal_step_seconds is not None:
        return args.withdrawal_step_seconds
    return REALISTIC_STEP_SECONDS if args.realistic_delays else QUICK_STEP_SECONDS


def starting_balances(items: list[str]) -> dict[str, str]:
    balances = dict(DEFAULT_BALANCES)
    for item in items:
        currency, _, amount = item.partition("=")
        if parse_amount(amount, allow_zero=True) is None:
            sys.exit(f"--balance {item}: expected CUR=AMOUNT with a non-negative decimal amount")
        balances[currency.upper()] = amount
    return balances


def announce(args: argparse.Namespace, config: EmulatorConfig, base: str) -> None:
    """One JSON line on stdout for the process that started it, a readable banner on stderr."""
    info = {"api_url": base, "control_url": f"{base}/_emulator" if config.control_enabled else None,
            "api_key": config.api_key, "callback_url": config.callback_url, "time_scale": config.time_scale}
    # Secrets the emulator made up are useless unless shown; secrets you chose are only echoed on request.
    if args.print_secrets or not args.api_secret:
        info["api_secret"] = config.api_secret
    if args.print_secrets or not args.callback_secret:
        info["callback_secret"] = config.callback_secret
    print(json.dumps(info), flush=True)
    print(f"Cryptopay sandbox emulator on {base}\n  API (HMAC-signed)  {base}/api\n"
          f"  control (no auth)  {info['control_url']}\n  api_key            {config.api_key}\n"
          f"  callbacks to       {config.callback_url or '(none yet: PUT /_emulator/settings callback_url)'}\n"
          "Ctrl-C stops it.", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    config = build_config(args)
    emulator = create_app(config)
    # waitress, not werkzeug's development server: about twice the signed creates per second on 2 cores
    server = listen(emulator.wsgi, args.host, args.port, args.threads, WAITRESS_BODY_FACTOR * config.max_body_bytes,
                    args.idle_timeout)
    base = f"http://{args.host}:{server.effective_port}"
    emulator.set_public_url(base)
    announce(args, config, base)
    emulator.start()
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
