"""Makes Allure's single-file report request nothing from outside, and proves it before the file is kept."""
from __future__ import annotations

import base64
import binascii
import re

# Allure's awesome plugin hard-codes Google Analytics (analyticsEnable: true): an external gtag.js script and an
# inline config script. Both go, with any other tag that would load something from outside.
_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)
_EXTERNAL_ATTR = re.compile(r"""\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)
_ANALYTICS = re.compile(r"googletagmanager|google-analytics|\bgtag\s*\(|\bdataLayer\b", re.I)
_LOADING_TAG = re.compile(r"<(?:link|img|iframe|source|embed|audio|video|object)\b[^>]*>", re.I)
_NOSCRIPT = re.compile(r"<noscript\b[^>]*>.*?</noscript\s*>", re.S | re.I)

# What would fetch a URL when the page loads or runs: attributes, CSS, fetch/import/XHR/sockets with a literal URL.
_URL = r"""(?:(?:https?|wss?):)?//[^\s"'`)<>]+"""
_REFERENCE = re.compile(
    r"""\b(?:src|href|action|poster|srcset)\s*[=:]\s*["'`]?\s*(?P<a>""" + _URL + r""")"""
    r"""|\b(?:fetch|import|importScripts|sendBeacon|open|WebSocket|EventSource|Worker)\s*\(\s*"""
    r"""(?:["'`]GET["'`]\s*,\s*)?["'`](?P<b>""" + _URL + r""")"""
    r"""|@import\s+(?:url\(\s*)?["']?(?P<c>""" + _URL + r""")"""
    r"""|\burl\(\s*["']?(?P<d>""" + _URL + r""")"""
    r"""|\bfrom\s+["'](?P<e>""" + _URL + r""")""",
    re.I,
)

# Not loaded: namespace identifiers, and Allure's "Powered by" footer link, which opens only when clicked.
ALLOWED_PREFIXES = ("http://www.w3.org/", "https://allurereport.org")

_DATA_URI = re.compile(r"data:([\w.+/-]+)?(;[\w=.-]+)*;base64,([A-Za-z0-9+/=]+)")


def strip_external(html: str) -> tuple[str, int]:
    """The page without analytics and externally loaded tags; returns the new page and how many were removed."""
    removed = 0

    def script(match: re.Match) -> str:
        nonlocal removed
        attrs, body = match.group(1), match.group(2)
        if _EXTERNAL_ATTR.search(attrs) or _ANALYTICS.search(body):
            removed += 1
            return "<!-- external script removed: the evidence file makes no outside request -->"
        return match.group(0)

    def tag(match: re.Match) -> str:
        nonlocal removed
        if _EXTERNAL_ATTR.search(match.group(0)):
            removed += 1
            return ""
        return match.group(0)

    def noscript(match: re.Match) -> str:
        nonlocal removed
        if _EXTERNAL_ATTR.search(match.group(0)):
            removed += 1
            return ""
        return match.group(0)

    html = _SCRIPT.sub(script, html)
    html = _NOSCRIPT.sub(noscript, html)
    html = _LOADING_TAG.sub(tag, html)
    return html, removed


def _embedded_code(html: str) -> list[str]:
    """Scripts and styles shipped as base64 data URIs: the app itself lives there, so it is checked too."""
    code = []
    for match in _DATA_URI.finditer(html):
        media = (match.group(1) or "").lower()
        if "javascript" in media or "css" in media or "html" in media or "svg" in media:
            try:
                code.append(base64.b64decode(match.group(3)).decode("utf-8", "replace"))
            except (binascii.Error, ValueError):
                code.append("<undecodable embedded code>")
    return code


def external_references(html: str) -> list[str]:
    """Every URL the page or its embedded code would load, minus the allow-list; empty means offline-safe."""
    markup = _DATA_URI.sub("data:,", html)
    found: list[str] = []
    for text in [markup, *_embedded_code(html)]:
        for match in _REFERENCE.finditer(text):
            url = next(group for group in match.groups() if group)
            if not url.startswith(ALLOWED_PREFIXES):
                found.append(url)
        found += [f"analytics: {m.group(0)}" for m in _ANALYTICS.finditer(text)]
    return sorted(set(found))
