"""Runs the reference merchant as its own process; its settings come from the environment or an --env-file."""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
from dataclasses import replace
from typing import Mapping

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from waitress.server import create_server

from reference_merchant.app import MerchantConfig, create_app
from reference_merchant.channel_callbacks import CREDITED_AMOUNTS
from reference_merchant.payouts import AMOUNT_FIELDS
from reference_merchant.reconciliation import RECONCILE_SECONDS

# Every setting it reads from the environment (or --env-file), with its form: shown by --help and by every refusal.
REQUIRED = {
    "MERCHANT_DATABASE_URL": "its database: sqlite:////absolute/path/merchant.sqlite3 (a file; four slashes before "
                             "an absolute path) or postgresql://user:password@host:5432/dbname (psycopg)",
    "CRYPTOPAY_API_URL": "Cryptopay's API: https://business-sandbox.cryptopay.me, or a standalone emulator's "
                         "http://127.0.0.1:12112",
    "CRYPTOPAY_API_KEY": "the Cryptopay account's API key (dashboard: Integration > API)",
    "CRYPTOPAY_API_SECRET": "that key's API secret",
    "CRYPTOPAY_CALLBACK_SECRET": "the account's Callback Secret: every callback's signature is checked with it",
    "MERCHANT_PROBE_TOKEN": "the probe's bearer token, the same value as the suite's MERCHANT_PROBE_TOKEN",
}
DECLARED = {  # optional: what the merchant declares, under the names and values of the suite's .env
    "CHANNEL_CREDITED_AMOUNT": "net (the default: received_amount) or gross (received_amount + fee)",
    "PAYOUT_AMOUNT_FIELD": "charged_amount (the default) or charged_amount_to_send",
}
# Bodies up to this many times the app's limit still get the app's own 413; waitress refuses longer ones unread.
WAITRESS_BODY_FACTOR = 64
# Slow or idle clients must not starve everyone else (issue 21). waitress stops accepting past connection_limit (100
# by default) and closes an idle connection only after channel_timeout (120 s), looked for every cleanup_interval
# (30 s): 99 half-sent request headers stopped the server for 150 s. Here a connection that sends nothing for
# IDLE_SECONDS is closed within a second more, and ten times as many connections are let in, watched with poll()
# (select() cannot watch more than 1024) and never more than the process may open files for.
IDLE_SECONDS = 15
CONNECTION_LIMIT = 1000


def settings_help() -> str:
    lines = ["settings (environment, or the --env-file; the suite's .env uses the same names):"]
    lines += [f"  {name:<26} required: {form}" for name, form in REQUIRED.items()]
    lines += [f"  {name:<26} optional: {form}" for name, form in DECLARED.items()]
    lines.append("It prints one JSON line (probe_url, callback_url, health_url) once it listens; GET /health needs no "
                 "token.")
    return "\n".join(lines)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m reference_merchant", description=__doc__,
                                     epilog=settings_help(), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--threads", type=int, default=8, help="request threads (concurrent callbacks included)")
    parser.add_argument("--env-file", default=None, help="read settings from this .env file first")
    parser.add_argument("--idle-timeout", type=int, default=IDLE_SECONDS,
                        help="seconds a connection may send nothing (half a request included) before it is closed")
    parser.add_argument("--reconcile-every", type=float, default=RECONCILE_SECONDS,
                        help="seconds between passes settling payouts a crash left debited and not final (one pass "
                             "runs at start)")
    return parser.parse_args(argv)


def config_from_env() -> MerchantConfig:
    return MerchantConfig(
        database_url=os.environ["MERCHANT_DATABASE_URL"], cryptopay_api_url=os.environ["CRYPTOPAY_API_URL"],
        api_key=os.environ["CRYPTOPAY_API_KEY"], api_secret=os.environ["CRYPTOPAY_API_SECRET"],
        callback_secret=os.environ["CRYPTOPAY_CALLBACK_SECRET"], probe_token=os.environ["MERCHANT_PROBE_TOKEN"],
        # The merchant's own declarations, under the names the suite's .env uses for them.
        channel_credited_amount=os.environ.get("CHANNEL_CREDITED_AMOUNT") or "net",
        payout_amount_field=os.environ.get("PAYOUT_AMOUNT_FIELD") or "charged_amount")


def settings_problems(environ: Mapping[str, str]) -> list[str]:
    """Every problem with the settings at once, each with the form expected."""
    problems = [f"{name} is missing: {form}" for name, form in REQUIRED.items() if not environ.get(name)]
    database = environ.get("MERCHANT_DATABASE_URL")
    if database and (why := database_problem(database)):
        problems.append(f"MERCHANT_DATABASE_URL {why}: {REQUIRED['MERCHANT_DATABASE_URL']}")
    for name, allowed in (("CHANNEL_CREDITED_AMOUNT", CREDITED_AMOUNTS), ("PAYOUT_AMOUNT_FIELD", AMOUNT_FIELDS)):
        if environ.get(name) and environ[name] not in allowed:
            problems.append(f"{name} is not one of {', '.join(allowed)}: {DECLARED[name]}")
    return problems


def database_problem(url: str) -> str | None:
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "is not a database URL"
    if parsed.get_backend_name() == "sqlite":
        return None if parsed.database else "names no file (an in-memory database is lost between connections)"
    if parsed.get_backend_name() == "postgresql":
        return None if parsed.get_driver_name() == "psycopg" else "names a driver that is not installed (psycopg is)"
    return f"names {parsed.get_backend_name()}, which the reference merchant does not use"


def listen(app: object, host: str, port: int, threads: int, max_body: int, idle_seconds: int = IDLE_SECONDS):
    """The waitress server, or exit with one line when the port cannot be had (no traceback for a busy port)."""
    try:
        return create_server(app, host=host, port=port, threads=threads, max_request_body_size=max_body,
                             channel_timeout=idle_seconds, cleanup_interval=1, connection_limit=connection_limit(),
                             asyncore_use_poll=True)
    except OSError as exc:
        sys.exit(f"reference merchant: cannot listen on {host}:{port}: {exc.strerror or exc}")


def connection_limit() -> int:
    """CONNECTION_LIMIT, or fewer when the process may not open that many files (a few kept for everything else)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return CONNECTION_LIMIT if soft == resource.RLIM_INFINITY else max(100, min(CONNECTION_LIMIT, soft - 64))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    problems = []
    if args.env_file:
        from dotenv import load_dotenv
        if not os.access(args.env_file, os.R_OK):
            problems.append(f"--env-file {args.env_file} cannot be read")
        load_dotenv(args.env_file)  # what the environment already holds wins over the file
    problems += settings_problems(os.environ)
    if problems:
        print("reference merchant: cannot start; fix these settings (python -m reference_merchant --help):\n"
              + "\n".join(f"  - {problem}" for problem in problems), file=sys.stderr)
        return 2
    config = replace(config_from_env(), reconcile_seconds=args.reconcile_every)
    app = create_app(config)
    # waitress, like the emulator: a production WSGI server, not werkzeug's development one
    server = listen(app, args.host, args.port, args.threads, WAITRESS_BODY_FACTOR * config.max_body_bytes,
                    args.idle_timeout)
    base = f"http://{args.host}:{server.effective_port}"
    # Whatever a previous process left half-way is settled now, while callbacks are already being taken in.
    reconciler = app.extensions["merchant"]["reconciler"].start()
    print(json.dumps({"probe_url": f"{base}/probe", "callback_url": f"{base}/callbacks/cryptopay",
                      "health_url": f"{base}/health"}), flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        reconciler.stop()
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
