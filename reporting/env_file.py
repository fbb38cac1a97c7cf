"""The settings file (.env, or the file CERTIFY_ENV_FILE names), read the one way every command reads it."""
from __future__ import annotations

from pathlib import Path

from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parents[1]
ENV_FILE_KEY = "CERTIFY_ENV_FILE"


def read_env_file(environ: dict[str, str], root: Path = ROOT) -> tuple[dict[str, str], list[str]]:
    """The settings file: .env when present; a file named by CERTIFY_ENV_FILE must exist and be readable."""
    named = environ.get(ENV_FILE_KEY)
    path = Path(named) if named else root / ".env"
    if not named and not path.is_file():
        return {}, []
    try:
        with open(path, encoding="utf-8") as handle:
            values = dotenv_values(stream=handle)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        return {}, [f"{ENV_FILE_KEY if named else '.env'} names {path}, which cannot be read ({reason}); "
                    "name an existing settings file, or unset it to use .env"]
    return {key: value for key, value in values.items() if value is not None}, []
