"""Finds secrets (whole or as long fragments, by reporting/redaction.py) and credentials in the evidence, by file."""
from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from reporting.redaction import CREDENTIAL as _CREDENTIAL_SHAPES
from reporting.redaction import CREDENTIAL_WORDS, MIN_SECRET_LENGTH, fragment_spans

# The redactor's shapes ("HMAC key:signature", "Bearer token"; redacted ones, ***, do not count), as written in a
# header: case-sensitive here, so words in the report's own code ("bearer authentication") are no hit.
CREDENTIAL = re.compile(_CREDENTIAL_SHAPES.encode())
_CREDENTIAL_WORDS = tuple(word.encode() for word in CREDENTIAL_WORDS)  # looked for first, as in the redactor
# The single-file report embeds data and attachments as base64; secrets hide there from a plain search.
_BASE64_RUN = re.compile(rb"[A-Za-z0-9+/]{16,}={0,2}")


@dataclass(frozen=True)
class Hit:
    path: Path
    kind: str  # "secret #N (line N of the secrets file)" or "credential pattern"; never the value

    def __str__(self) -> str:
        return f"{self.path}: {self.kind}"


def read_secrets(path: Path) -> list[str]:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines]


def _variants(secret: str) -> list[bytes]:
    forms = {secret, json.dumps(secret)[1:-1], quote(secret, safe="")}
    return [form.encode("utf-8") for form in forms]


def decoded_runs(data: bytes) -> list[bytes]:
    decoded = []
    for match in _BASE64_RUN.finditer(data):
        run = match.group(0)
        try:
            decoded.append(base64.b64decode(run + b"=" * (-len(run) % 4), validate=False))
        except (binascii.Error, ValueError):
            continue
    return decoded


def _longest(texts: list[bytes], variants: list[bytes]) -> tuple[int, int]:
    """(the longest run of the secret found, in characters of that form; that form's length); (0, 0) if none."""
    found = [(max(end - start for start, end in spans), len(variant)) for variant in variants for text in texts
             if (spans := fragment_spans(text, variant))]
    return max(found, default=(0, 0))


def scan_bytes(data: bytes, secrets: list[str]) -> list[str]:
    """Kinds of hit in one file's content, each kind once."""
    texts = [data]
    if _BASE64_RUN.search(data):
        texts += decoded_runs(data)
    kinds: list[str] = []
    for number, secret in enumerate(secrets, start=1):
        if len(secret) < MIN_SECRET_LENGTH:
            continue
        run, length = _longest(texts, _variants(secret))
        if run:
            part = "" if run == length else f": a fragment, {run} of its {length} characters"
            kinds.append(f"secret #{number} (line {number} of the secrets file){part}")
    if any(CREDENTIAL.search(text) for text in texts if any(word in text for word in _CREDENTIAL_WORDS)):
        kinds.append("credential pattern (Authorization HMAC/Bearer)")
    return kinds


def scan_paths(paths: list[Path], secrets: list[str]) -> list[Hit]:
    """Scans files, and every file under directories."""
    files: list[Path] = []
    for path in paths:
        path = Path(path)
        files += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    hits = []
    for file in files:
        try:
            data = file.read_bytes()
        except OSError:
            continue
        hits += [Hit(file, kind) for kind in scan_bytes(data, secrets)]
    return hits
