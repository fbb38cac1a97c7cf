"""A deposit's life as an SVG sequence diagram, drawn offline: customer, merchant, Cryptopay, callbacks, credit."""
from __future__ import annotations

from dataclasses import dataclass
from html import escape

LANES = ("Customer", "Merchant", "Cryptopay")
_X = {"Customer": 110, "Merchant": 380, "Cryptopay": 640}
WIDTH, TOP, ROW = 800, 70, 36
OK, BAD, INK = "#15803d", "#b91c1c", "#1f2937"


@dataclass(frozen=True)
class Message:
    source: str  # a lane
    target: str  # a lane; the same lane for a note on it
    text: str
    ok: bool | None = None  # green when True, red when False, ink otherwise
    dashed: bool = False    # an answer rather than a request


def _colour(ok: bool | None) -> str:
    return INK if ok is None else (OK if ok else BAD)


def _row(message: Message, y: int) -> str:
    colour, text = _colour(message.ok), escape(message.text)
    x1, x2 = _X[message.source], _X[message.target]
    if x1 == x2:  # a note on one lifeline
        return (f'<rect x="{x1 - 130}" y="{y - 16}" width="260" height="24" rx="4" fill="#f9fafb" '
                f'stroke="{colour}"/><text x="{x1}" y="{y}" text-anchor="middle" fill="{colour}">{text}</text>')
    dash = ' stroke-dasharray="5,4"' if message.dashed else ""
    marker = "ok" if message.ok else ("bad" if message.ok is False else "ink")
    return (f'<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="{colour}" stroke-width="1.5"{dash} '
            f'marker-end="url(#arrow-{marker})"/><text x="{(x1 + x2) // 2}" y="{y - 6}" text-anchor="middle" '
            f'fill="{colour}">{text}</text>')


def _marker(name: str, colour: str) -> str:
    return (f'<marker id="arrow-{name}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
            f'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>')


def render(title: str, messages: list[Message]) -> str:
    """The whole diagram as one SVG document; no fonts, images or links from outside."""
    height = TOP + ROW * (len(messages) + 1)
    heads = "".join(f'<rect x="{_X[lane] - 60}" y="34" width="120" height="26" rx="4" fill="#eef2ff" stroke="#6366f1"/>'
                    f'<text x="{_X[lane]}" y="52" text-anchor="middle" font-weight="600">{lane}</text>'
                    f'<line x1="{_X[lane]}" y1="60" x2="{_X[lane]}" y2="{height - 8}" stroke="#c7d2fe" '
                    'stroke-dasharray="3,3"/>' for lane in LANES)
    rows = "".join(_row(m, TOP + ROW * (i + 1)) for i, m in enumerate(messages))
    defs = _marker("ok", OK) + _marker("bad", BAD) + _marker("ink", INK)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">'
            f'<defs>{defs}</defs><rect width="100%" height="100%" fill="#ffffff"/>'
            f'<text x="12" y="20" font-size="14" font-weight="600">{escape(title)}</text>{heads}{rows}</svg>')
