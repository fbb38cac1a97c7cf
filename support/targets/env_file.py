"""Reads the settings file (.env or CERTIFY_ENV_FILE) literally, names every line it cannot take, and merges the shell."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from dotenv.parser import parse_stream

ENV_FILE_KEY = "CERTIFY_ENV_FILE"
# What python-dotenv (and a shell) would expand: the file is read literally, so such a value can only be a mistake.
_EXPANSION = re.compile(r"\$\{[^}]*\}")
_LEADING_KEY = re.compile(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)")


@dataclass
class EnvFile:
    """The file's values, what is wrong with it (each problem a line for ConfigError), and which file it was."""
    values: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    label: str = ".env"
    named: bool = False  # named by CERTIFY_ENV_FILE: the configuration being certified, it wins over the shell


def read_env_file(environ: Mapping[str, str], default: Path) -> EnvFile:
    """The settings file: `default` (.env) when present; a file named by CERTIFY_ENV_FILE must exist and be read."""
    named = environ.get(ENV_FILE_KEY)
    path = Path(named) if named else default
    found = EnvFile(label=f"{path} ({ENV_FILE_KEY})" if named else ".env", named=bool(named))
    if not named and not path.is_file():
        return found
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        found.problems.append(f"{ENV_FILE_KEY if named else '.env'} names {path}, which cannot be read ({reason}); "
                              "name an existing settings file, or unset it to use .env")
        return found
    _parse(text, found)
    return found


def _parse(text: str, found: EnvFile) -> None:
    """Every binding read without expansion; a line that is not KEY=value, a key set twice or a ${...} named."""
    lines: dict[str, list[int]] = {}
    for binding in parse_stream(io.StringIO(text)):
        original = binding.original.string
        line = binding.original.line + len(original) - len(original.lstrip("\n"))
        if binding.error or (binding.key is not None and binding.value is None):
            found.problems.append(_unreadable(found.label, line, original))
            continue
        if binding.key is None:
            continue  # a comment or a blank line
        lines.setdefault(binding.key, []).append(line)
        if _EXPANSION.search(binding.value):
            # The value is not shown: it may be a secret.
            found.problems.append(f"{binding.key} ({found.label} line {line}) contains ${{...}}: the settings file is "
                                  "read literally, nothing in it is expanded; write the value itself")
        found.values[binding.key] = binding.value
    for key, where in lines.items():
        if len(where) > 1:
            found.problems.append(f"{key} is set {len(where)} times in {found.label} (lines "
                                  f"{', '.join(map(str, where))}); keep one")


def _unreadable(label: str, line: int, original: str) -> str:
    """Names the line and the key it seems to set, never the rest (it may hold a secret)."""
    key = _LEADING_KEY.match(original.lstrip("\n"))
    seems = f" ({key.group(1)} …)" if key else ""
    return (f"{label} line {line}{seems} is not KEY=value: write KEY=value, '=' and no space before it (KEY= leaves "
            "a setting blank); the line's value is not shown")


def merge(found: EnvFile, environ: Mapping[str, str]) -> tuple[dict[str, str], str | None]:
    """The values the run uses, and a warning naming every key the shell sets differently from the file (None when
    there is none). A file CERTIFY_ENV_FILE names is what is certified: it wins, and the shell only adds keys it
    does not set (a CI secret store, say). Plain .env is a default: the shell wins over it, for one-off changes."""
    differ = sorted(key for key, value in found.values.items() if key in environ and environ[key] != value)
    if found.named:
        merged = {**environ, **found.values}
        why = f"the values of {found.label} are used; unset them in the shell to silence this"
    else:
        merged = {**found.values, **environ}
        why = "the shell's values are used (CERTIFY_ENV_FILE names a file whose values win)"
    warning = f"the shell sets {', '.join(differ)} differently from {found.label}: {why}" if differ else None
    return merged, warning
