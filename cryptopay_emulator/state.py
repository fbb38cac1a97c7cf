"""The standalone emulator's lasting identity: secrets kept in a state file across restarts, and the .env lines that
hand them, with its URLs, to the go-live suite and to the merchant."""
from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

# Like stripe-mock's 12111: a fixed port, so the URLs written into a .env stay true across restarts.
DEFAULT_PORT = 12112
STATE_ENV = "CRYPTOPAY_EMULATOR_STATE_FILE"
# What the state file keeps. The probe token is not the emulator's: it is made (only when .env lines are asked for)
# so that they are complete for the suite and the merchant, which share it.
ACCOUNT = ("api_key", "api_secret", "callback_secret")
KEPT = (*ACCOUNT, "probe_token")
SIZES = {"api_key": 16, "api_secret": 32, "callback_secret": 32, "probe_token": 24}
NO_RATE_LIMIT = 100000  # what the suite is told when the emulator counts nothing: its own budget out of the way
_BARE = re.compile(r"^[A-Za-z0-9_\-.:/@+,%]*$")


class StateError(Exception):
    """The state file cannot be used; the message names it and what to do."""


@dataclass(frozen=True)
class Identity:
    """The account's key and secrets, and which of them the operator chose (flags or environment)."""
    values: dict[str, str] = field(repr=False)
    chosen: frozenset[str]

    def __getitem__(self, name: str) -> str:
        return self.values[name]


def new_secret(nbytes: int) -> str:
    """A random secret that never starts with "-": `--callback-secret VALUE` would read one as an option."""
    while True:
        value = secrets.token_urlsafe(nbytes)
        if not value.startswith("-"):
            return value


def default_state_file() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "cryptopay_emulator" / "state.json"


def resolve(chosen: dict[str, str | None], needed: tuple[str, ...], state_file: Path | None,
            renew: bool = False) -> Identity:
    """Each needed value as chosen, else as the state file keeps it, else new (and then kept there for the next
    start). Chosen values are never written to the state file, which is not even read when everything is chosen;
    `renew` ignores what it keeps and replaces it."""
    given = {name: value for name, value in chosen.items() if value}
    missing = [name for name in needed if name not in given]
    kept = {} if renew or state_file is None or not missing else read(state_file)
    made = {name: new_secret(SIZES[name]) for name in missing if name not in kept}
    if made and state_file is not None:
        write(state_file, {**kept, **made})
    return Identity({**made, **{n: kept[n] for n in missing if n in kept}, **given}, frozenset(given))


def read(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise StateError(f"cannot use the state file {path} ({type(exc).__name__}): fix or delete it, or start "
                         "with --new-secrets") from None
    if not isinstance(data, dict):
        raise StateError(f"the state file {path} is not a JSON object: delete it, or start with --new-secrets")
    return {name: data[name] for name in KEPT
            if isinstance(data.get(name), str) and data[name] and not data[name].startswith("-")}


def write(path: Path, values: dict[str, str]) -> None:
    """Readable by this user alone, replaced whole (a start killed half-way leaves the old file or the new one)."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".state-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump({name: values[name] for name in KEPT if name in values}, out, indent=2)
        os.replace(temporary, path)
    except OSError as exc:
        raise StateError(f"cannot write the state file {path} ({exc.strerror or type(exc).__name__}): name another "
                         "with --state-file, or start with --no-state-file (new secrets every start)") from None


def env_lines(api_url: str, identity: Identity, control: bool, rate_limit: int, callback_url: str | None,
              merchant_url: str | None) -> str:
    """The settings the go-live suite (CERTIFY_ENV_FILE) and the reference merchant (its --env-file) read, under
    the names both use. A merchant of your own reads the same four CRYPTOPAY_ values."""
    lines = [f"# Cryptopay sandbox emulator at {api_url} (python -m cryptopay_emulator). The go-live suite reads",
             "# this file as CERTIFY_ENV_FILE and the reference merchant with --env-file; the reference merchant",
             "# also needs MERCHANT_DATABASE_URL (python -m reference_merchant --help).",
             f"CRYPTOPAY_API_URL={api_url}", f"CRYPTOPAY_API_KEY={quoted(identity['api_key'])}",
             f"CRYPTOPAY_API_SECRET={quoted(identity['api_secret'])}",
             f"CRYPTOPAY_CALLBACK_SECRET={quoted(identity['callback_secret'])}"]
    if control:
        lines.append(f"EMULATOR_CONTROL_URL={api_url}/_emulator")
    else:
        lines.append("# no EMULATOR_CONTROL_URL: started with --no-control, so the suite pays by coin withdrawal")
    if rate_limit:
        lines.append(f"CRYPTOPAY_REQUESTS_PER_MINUTE={rate_limit}")
    else:
        lines.append(f"CRYPTOPAY_REQUESTS_PER_MINUTE={NO_RATE_LIMIT}  # the emulator counts nothing (--rate-limit=0)")
    lines.append(f"MERCHANT_PROBE_TOKEN={quoted(identity['probe_token'])}")
    if callback_url:
        lines.append(f"MERCHANT_CALLBACK_URL={quoted(callback_url)}")
    if merchant_url:
        lines.append(f"MERCHANT_PROBE_URL={quoted(merchant_url.rstrip('/') + '/probe')}")
    else:
        lines.append("# MERCHANT_PROBE_URL=<your merchant's probe>  (--merchant-url BASE writes the reference "
                     "merchant's)")
    return "\n".join(lines) + "\n"


def quoted(value: str) -> str:
    """As python-dotenv (the suite's and the merchant's reader) gives it back unchanged: bare when plain, otherwise in
    single quotes with \\ and \' escaped. It expands ${NAME} however the value is quoted, so that is refused."""
    if "${" in value:
        raise StateError("a value holding ${ cannot be written to a .env file (python-dotenv would expand it); "
                         "choose another secret")
    if _BARE.match(value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def write_env_file(path: Path, text: str) -> None:
    """Created readable by this user alone (it holds the secrets), or replaced with the same rights."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".env-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        raise StateError(f"cannot write the .env lines to {path} ({exc.strerror or type(exc).__name__})") from None
