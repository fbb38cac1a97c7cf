"""Merchant text as inert data: control characters shown as visible escapes, Markdown that shows text and loads nothing.

A merchant's answer may carry terminal escapes (clear the screen, a green "READY" line, the window title, a
clipboard write), raw HTML or a Markdown image. Wherever such text lands it is shown as the characters it is made
of, never obeyed: every control character except newline and tab (C0, DEL, C1, so ESC and every sequence it opens,
and the bidirectional overrides that reorder what a reader sees) becomes a visible escape like \\x1b.
"""
from __future__ import annotations

import html
import re

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# What a terminal stream may keep of its own writer's output: colours (SGR) and the carriage return pytest-xdist
# uses to redraw its status line. Merchant text never gets here raw: its reports are made printable first.
_TERMINAL_KEEPS = re.compile(r"\x1b\[[0-9;]*m|\r")
# Backslash-escaped in Markdown: what could open a link or image ([ ]), a code span (`), a table cell (|), or turn
# an escape of ours into a literal backslash (\). HTML (< > &) becomes entities, so no tag and no autolink forms.
_MARKDOWN = re.compile(r"([\\`\[\]|])")


def _visible(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """The text with every control character except newline and tab shown as a visible escape."""
    return _CONTROL.sub(lambda m: _visible(m.group()), text)


def terminal_safe(text: str) -> str:
    """For a stream that reaches a terminal: its writer's colours and carriage returns kept, any other control
    character (a sequence that clears the screen, sets the title or writes the clipboard) made visible."""
    kept, parts, last = _TERMINAL_KEEPS.finditer(text), [], 0
    for match in kept:
        parts += [printable(text[last:match.start()]), match.group()]
        last = match.end()
    return "".join(parts) + printable(text[last:])


def markdown_text(text: str) -> str:
    """Text for one line of Markdown (a table cell, a list item, a heading) that renders as exactly these words:
    no image, link, HTML, code span or new block can come out of it."""
    text = _MARKDOWN.sub(r"\\\1", printable(str(text)).replace("\n", " "))
    return html.escape(text, quote=False)
