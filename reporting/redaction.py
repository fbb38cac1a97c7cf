"""One rule for what of a secret may never be shown, for the redactor, the terminal and the evidence scan alike.

What counts as a secret in a text (docs/threat-model.md, "Secrets and evidence"):
- its whole value, when it has at least MIN_SECRET_LENGTH characters (a shorter one would match by chance);
- any run of FRAGMENT (12) or more of its characters: text cut by a length limit before it reached us (a merchant
  answer kept to 300 characters) keeps most of a token, and 12 characters of a random token never occur by chance.
  A URL-shaped secret (a database URL) counts whole only, here and below: its host and path are not secret, its
  password is listed on its own;
- for the redactor only, its first EDGE (6) or more characters where a text or a line ends or a cut mark ("...")
  stands, and its last ones where they begin: what a cut leaves of a token. The scan does not use this rule: it
  cannot know where a file's text was cut, and a false hit there would delete the evidence.
The rule assumes secrets are random, as Cryptopay's and the suite's own are: a hand-chosen secret that shares a run
of 12 characters with ordinary words (a build name, a path) is redacted there too.
"""
from __future__ import annotations

import bisect
import re
from typing import Callable, Iterable, TypeVar

MIN_SECRET_LENGTH = 4
FRAGMENT = 12
EDGE = 6
REDACTED = "***redacted***"
# Windows of _WINDOW characters every _STRIDE: any run of FRAGMENT characters holds one of them whole, so finding
# the windows and growing each match finds every fragment (FRAGMENT = _WINDOW + _STRIDE - 1).
_WINDOW, _STRIDE = 6, 7
# "HMAC key:signature" and "Bearer token", as in an Authorization header: the shapes the scan looks for, in any case.
CREDENTIAL = (r"\b(HMAC)\s+[^\s\"'*\\,]+:[^\s\"'*\\,]+"
              r"|\b(Bearer)\s+(?!\*\*\*)[A-Za-z0-9._~+/=-]{8,}")
_CREDENTIAL = re.compile(CREDENTIAL, re.I)
# The words the shapes begin with, as a header writes them: a text holding neither holds no credential, and looking
# for them first spares the pattern's costly search (no other letter matches h, m, a, c, b, e or r without case).
CREDENTIAL_WORDS = ("HMAC", "Bearer")
# Where a cut may have left part of a secret: line breaks and the marks a cut leaves ("..." or an ellipsis).
_EDGE_MARKS = re.compile(r"\r?\n|\.\.\.|\u2026")

Text = TypeVar("Text", str, bytes)


def usable(secrets: Iterable[str]) -> list[str]:
    """The secrets that count, longest first (so one that contains another is removed whole)."""
    return sorted({s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True)


def _url_shaped(secret: Text) -> bool:
    return (b"://" if isinstance(secret, bytes) else "://") in secret


def _fragments_count(secret: Text) -> bool:
    return len(secret) >= FRAGMENT and not _url_shaped(secret)


def _whole(text: Text, secret: Text) -> list[tuple[int, int]]:
    spans, start = [], text.find(secret)
    while start >= 0:
        spans.append((start, start + len(secret)))
        start = text.find(secret, start + 1)
    return spans


def _grown(text: Text, secret: Text, at: int, offset: int) -> tuple[int, int]:
    """The longest run around text[at:at+_WINDOW] that matches the secret with the window at `offset`."""
    start, end, left, right = at, at + _WINDOW, offset, offset + _WINDOW
    while start > 0 and left > 0 and text[start - 1] == secret[left - 1]:
        start, left = start - 1, left - 1
    while end < len(text) and right < len(secret) and text[end] == secret[right]:
        end, right = end + 1, right + 1
    return start, end


def fragment_spans(text: Text, secret: Text) -> list[tuple[int, int]]:
    """Where the text holds the secret whole or a run of FRAGMENT or more of its characters."""
    if not _fragments_count(secret):
        return _whole(text, secret)
    spans = []
    for offset in sorted({*range(0, len(secret) - _WINDOW + 1, _STRIDE), len(secret) - _WINDOW}):
        window, at = secret[offset:offset + _WINDOW], text.find(secret[offset:offset + _WINDOW])
        while at >= 0:
            start, end = _grown(text, secret, at, offset)
            if end - start >= FRAGMENT:
                spans.append((start, end))
            at = text.find(window, at + 1)
    return spans


def _edges(text: str) -> tuple[list[int], list[int]]:
    """Where a text's parts end (a cut may have left a secret's start just before) and where they begin."""
    ends, starts = [len(text)], [0]
    for match in _EDGE_MARKS.finditer(text):
        ends.append(match.start())
        starts.append(match.end())
    return ends, starts


def edge_spans(text: str, secret: str,
               edges: Callable[[], tuple[list[int], list[int]]] | None = None) -> list[tuple[int, int]]:
    """A start of the secret (EDGE+ characters, not all of it) that ends where the text or a line ends or a cut mark
    stands, and an end of the secret that begins there. `edges`: gives _edges(text), asked only if needed.
    The secret's first and last EDGE characters are looked for once in the whole text, not once per line: a random
    secret's head is rarely there at all, and a long JSON attachment has hundreds of lines."""
    if _url_shaped(secret) or len(secret) <= EDGE:
        return []
    spans, head, tail = [], secret[:EDGE], secret[-EDGE:]
    heads, tails = _all(text, head), _all(text, tail)
    if not heads and not tails:
        return []
    ends, starts = edges() if edges is not None else _edges(text)
    for end in ends:  # the first head that reaches this end and starts the secret
        low = bisect.bisect_left(heads, max(0, end - len(secret) + 1))
        high = bisect.bisect_right(heads, end - EDGE)
        at = next((at for at in heads[low:high] if secret.startswith(text[at:end])), None)
        if at is not None:
            spans.append((at, end))
    for start in starts:  # every tail after this start that ends the secret
        limit = min(len(text), start + len(secret) - 1)
        low, high = bisect.bisect_left(tails, start), bisect.bisect_right(tails, limit - EDGE)
        spans += [(start, at + EDGE) for at in tails[low:high] if secret.endswith(text[start:at + EDGE])]
    return spans


def _all(text: str, part: str) -> list[int]:
    """Where `part` starts in the text, overlapping occurrences included, in order."""
    found, at = [], text.find(part)
    while at >= 0:
        found.append(at)
        at = text.find(part, at + 1)
    return found


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def redact(text: str, secrets: Iterable[str]) -> str:
    """The text with every secret, every long fragment and cut edge of one, and every Authorization credential
    replaced by ***redacted***."""
    spans, known = [], []

    def edges() -> tuple[list[int], list[int]]:  # mapped once, and only for a text that holds a secret's head or tail
        if not known:
            known.append(_edges(text))
        return known[0]

    for secret in usable(secrets):
        spans += fragment_spans(text, secret) + edge_spans(text, secret, edges)
    for start, end in reversed(_merged(spans)):
        text = text[:start] + REDACTED + text[end:]
    lowered = text.lower()
    if not any(word.lower() in lowered for word in CREDENTIAL_WORDS):
        return text  # no credential's first word, so no credential: the pattern's search is the costly part
    return _CREDENTIAL.sub(lambda m: f"{m.group(1) or m.group(2)} {REDACTED}", text)
