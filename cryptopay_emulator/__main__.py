"""Runs the emulator standalone: python -m cryptopay_emulator --port 8080 --callback-url http://..."""
from __future__ import annotations

import argparse
import json
import secrets
import sys

from werkzeug.serving import make_server

from cryptopay_emulator.app import EmulatorConfig, create_app


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m cryptopay_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--api-key", default=None, help="default: random")
    parser.add_argument("--api-secret", default=None, help="default: random")
    parser.add_argument("--callback-secret", default=None, help="default: random")
    parser.add_argument("--callback-url", default=None, help="the account's Callback URL")
    parser.add_argument("--time-scale", type=float, default=1.0, help="emulated seconds per real second")
    parser.add_argument("--no-control", action="store_true", help="disable the /_emulator control API")
    parser.add_argument("--rate-limit", type=int, default=200, help="requests per minute per key (0: off)")
    parser.add_argument("--print-secrets", action="store_true",
                        help="print the generated secrets as JSON on stdout (for the process that started it)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    config = EmulatorConfig(
        api_key=args.api_key or secrets.token_urlsafe(16), api_secret=args.api_secret or secrets.token_urlsafe(32),
        callback_secret=args.callback_secret or secrets.token_urlsafe(32), callback_url=args.callback_url,
        control_enabled=not args.no_control, time_scale=args.time_scale, rate_limit_per_minute=args.rate_limit)
    emulator = create_app(config)
    server = make_server(args.host, args.port, emulator.wsgi, threaded=True)
    base = f"http://{args.host}:{server.server_port}"
    emulator.backend.hosted_base_url = f"{base}/hosted"
    info = {"api_url": base, "control_url": f"{base}/_emulator" if config.control_enabled else None,
            "api_key": config.api_key, "callback_url": config.callback_url, "time_scale": config.time_scale}
    if args.print_secrets:
        info.update(api_secret=config.api_secret, callback_secret=config.callback_secret)
    print(json.dumps(info), flush=True)
    emulator.start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
