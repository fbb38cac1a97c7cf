"""Runs the reference merchant as its own process; configuration comes from the environment / .env."""
from __future__ import annotations

import argparse
import json
import os
import sys

from werkzeug.serving import make_server

from reference_merchant.app import MerchantConfig, create_app

REQUIRED = ("MERCHANT_DATABASE_URL", "CRYPTOPAY_API_URL", "CRYPTOPAY_API_KEY", "CRYPTOPAY_API_SECRET",
            "CRYPTOPAY_CALLBACK_SECRET", "MERCHANT_PROBE_TOKEN")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reference_merchant", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--env-file", default=None, help="read settings from this .env file first")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.env_file:
        from dotenv import load_dotenv
        load_dotenv(args.env_file)
    missing = [key for key in REQUIRED if not os.environ.get(key)]
    if missing:
        print("reference merchant: missing settings: " + ", ".join(missing), file=sys.stderr)
        return 2
    config = MerchantConfig(
        database_url=os.environ["MERCHANT_DATABASE_URL"], cryptopay_api_url=os.environ["CRYPTOPAY_API_URL"],
        api_key=os.environ["CRYPTOPAY_API_KEY"], api_secret=os.environ["CRYPTOPAY_API_SECRET"],
        callback_secret=os.environ["CRYPTOPAY_CALLBACK_SECRET"], probe_token=os.environ["MERCHANT_PROBE_TOKEN"])
    server = make_server(args.host, args.port, create_app(config), threaded=True)
    base = f"http://{args.host}:{server.server_port}"
    print(json.dumps({"probe_url": f"{base}/probe", "callback_url": f"{base}/callbacks/cryptopay"}), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
