"""Runs the emulator standalone, like stripe-mock: python -m cryptopay_emulator (port 12112) --merchant-url http://...

Its secrets stay the same across restarts (kept in a state file), and --env-file PATH writes the settings the go-live
suite and the reference merchant read. `python -m cryptopay_emulator trigger ...` drives a running one."""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
from pathlib import Path

from waitress.server import create_server

from cryptopay_emulator import trigger
from cryptopay_emulator.account import DEFAULT_BALANCES
from cryptopay_emulator.app import EmulatorConfig, create_app
from cryptopay_emulator.money import parse_amount
from cryptopay_emulator.state import (ACCOUNT, DEFAULT_PORT, KEPT, STATE_ENV, Identity, StateError,
                                      default_state_file, env_lines, resolve, write_env_file)
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
MERCHANT_CALLBACK_PATH = "/callbacks/cryptopay"  # the reference merchant's callback endpoint under its base URL


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m cryptopay_emulator", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Write values as --opt=value: a value starting with '-' (a secret can) is otherwise read as an option."
               "\nAgainst a running emulator: python -m cryptopay_emulator trigger --help")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"default {DEFAULT_PORT} (as stripe-mock listens on 12111); 0 picks a free port")
    parser.add_argument("--api-key", default=None,
                        help="default: $CRYPTOPAY_EMULATOR_API_KEY, else the state file's, else new (then kept there)")
    parser.add_argument("--api-secret", default=None,
                        help="default: $CRYPTOPAY_EMULATOR_API_SECRET, else the state file's, else new (then kept "
                             "there and printed, so you can sign)")
    parser.add_argument("--callback-secret", default=None,
                        help="default: $CRYPTOPAY_EMULATOR_CALLBACK_SECRET, else the state file's, else new (then "
                             "kept there and printed)")
    parser.add_argument("--state-file", default=None, metavar="PATH",
                        help=f"where secrets the emulator makes are kept, so they stay the same across restarts; "
                             f"default ${STATE_ENV}, else ~/.cache/cryptopay_emulator/state.json ($XDG_CACHE_HOME "
                             f"honoured), and with --port=0 only when named")
    parser.add_argument("--no-state-file", action="store_true", help="new secrets at every start, kept nowhere")
    parser.add_argument("--new-secrets", action="store_true",
                        help="make new secrets now and keep them in the state file instead of the old ones")
    parser.add_argument("--env-file", default=None, metavar="PATH",
                        help="once listening, write the .env lines for the go-live suite (CERTIFY_ENV_FILE) and the "
                             "reference merchant (its --env-file) to PATH, readable by you alone")
    parser.add_argument("--print-env", action="store_true",
                        help="print those lines for the next start on the same port and state file, and exit")
    parser.add_argument("--merchant-url", default=None, metavar="BASE",
                        help="the reference merchant's base URL: callbacks go to BASE/callbacks/cryptopay and the .env "
                             "lines name BASE/probe as MERCHANT_PROBE_URL")
    parser.add_argument("--callback-url", default=None, help="the account's Callback URL (overrides --merchant-url's)")
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
                        help="also print secrets you chose (flags, environment) on stdout; the ones the emulator made "
                             "are always printed")
    return parser.parse_args(argv)


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


def state_file(args: argparse.Namespace) -> Path | None:
    if args.no_state_file:
        return None
    named = args.state_file or os.environ.get(STATE_ENV)
    if named:
        return Path(named).expanduser()
    # A throwaway emulator on a port the OS chose (tests and tools start it so) keeps nothing unless told where.
    return default_state_file() if args.port != 0 else None


def identity(args: argparse.Namespace) -> Identity:
    # Secrets may come from the environment, so they never show in the process list (/proc/*/cmdline).
    chosen = {"api_key": args.api_key or os.environ.get("CRYPTOPAY_EMULATOR_API_KEY"),
              "api_secret": args.api_secret or os.environ.get("CRYPTOPAY_EMULATOR_API_SECRET"),
              "callback_secret": args.callback_secret or os.environ.get("CRYPTOPAY_EMULATOR_CALLBACK_SECRET")}
    wanted = KEPT if args.env_file or args.print_env else ACCOUNT
    return resolve(chosen, wanted, state_file(args), renew=args.new_secrets)


def callback_url(args: argparse.Namespace) -> str | None:
    if args.callback_url or not args.merchant_url:
        return args.callback_url
    return args.merchant_url.rstrip("/") + MERCHANT_CALLBACK_PATH


def build_config(args: argparse.Namespace, account: Identity, balances: dict[str, str]) -> EmulatorConfig:
    return EmulatorConfig(
        api_key=account["api_key"], api_secret=account["api_secret"], callback_secret=account["callback_secret"],
        callback_url=callback_url(args), control_enabled=not args.no_control, time_scale=args.time_scale,
        rate_limit_per_minute=args.rate_limit, callback_timeout_seconds=args.callback_timeout,
        starting_balances=balances, withdrawal_step_seconds=step_seconds(args),
        driven_time=args.driven_time, coin_withdrawal_callbacks=args.coin_withdrawal_callbacks)


def env_text(args: argparse.Namespace, config: EmulatorConfig, account: Identity, base: str) -> str:
    return env_lines(base, account, config.control_enabled, config.rate_limit_per_minute, config.callback_url,
                     args.merchant_url)


def print_env(args: argparse.Namespace, config: EmulatorConfig, account: Identity) -> int:
    """The lines the next start on this port and state file answers to; nothing is started."""
    if args.port == 0:
        print("cryptopay_emulator: --print-env needs the port the emulator will listen on (default "
              f"{DEFAULT_PORT}); with --port=0 use --env-file PATH, written once the port is known", file=sys.stderr)
        return 2
    if state_file(args) is None and set(KEPT) - account.chosen:
        print("cryptopay_emulator: --print-env would print secrets no later start uses: keep them in a state file "
              "(drop --no-state-file)", file=sys.stderr)
        return 2
    sys.stdout.write(env_text(args, config, account, f"http://{args.host}:{args.port}"))
    return 0


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


def announce(args: argparse.Namespace, config: EmulatorConfig, account: Identity, base: str) -> None:
    """One JSON line on stdout for the process that started it, a readable banner on stderr."""
    control_url = f"{base}/_emulator" if config.control_enabled else None
    info = {"api_url": base, "control_url": control_url, "health_url": f"{base}/health",
            "api_key": config.api_key, "callback_url": config.callback_url, "time_scale": config.time_scale}
    # Secrets the emulator made up are useless unless shown; secrets you chose are only echoed on request.
    for name in ("api_secret", "callback_secret"):
        if args.print_secrets or name not in account.chosen:
            info[name] = account[name]
    if args.env_file:
        info["env_file"] = args.env_file
    print(json.dumps(info), flush=True)
    kept = state_file(args)
    rows = [("API (HMAC-signed)", f"{base}/api"),
            ("control (no auth)", control_url) if control_url else ("control", "off (--no-control)"),
            ("health", f"{base}/health"), ("api_key", config.api_key),
            ("secrets", f"kept in {kept}" if kept else "new at every start (--no-state-file, or --port=0 without "
                                                        "--state-file)"),
            ("callbacks to", config.callback_url or "(none yet: PUT /_emulator/settings callback_url)")]
    if args.env_file:
        rows.append((".env lines in", args.env_file))
    print(f"Cryptopay sandbox emulator on {base}\n" + "".join(f"  {label:<18} {value}\n" for label, value in rows)
          + "Ctrl-C stops it.", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["trigger"]:
        return trigger.main(argv[1:])
    args = parse_args(argv)
    balances = starting_balances(args.balance)  # a mistyped option ends the start before the state file is touched
    try:
        account = identity(args)
    except StateError as exc:
        sys.exit(f"cryptopay_emulator: {exc}")
    config = build_config(args, account, balances)
    if args.print_env:
        try:
            return print_env(args, config, account)
        except StateError as exc:  # a chosen secret no .env line can hold
            sys.exit(f"cryptopay_emulator: {exc}")
    emulator = create_app(config)
    # waitress, not werkzeug's development server: about twice the signed creates per second on 2 cores
    server = listen(emulator.wsgi, args.host, args.port, args.threads, WAITRESS_BODY_FACTOR * config.max_body_bytes,
                    args.idle_timeout)
    base = f"http://{args.host}:{server.effective_port}"
    emulator.set_public_url(base)
    if args.env_file:  # before the JSON line: whoever waits for that line finds the file complete
        try:
            write_env_file(Path(args.env_file), env_text(args, config, account, base))
        except StateError as exc:
            server.close()
            sys.exit(f"cryptopay_emulator: {exc}")
    announce(args, config, account, base)
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
