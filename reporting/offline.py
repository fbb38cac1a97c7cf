"""Makes Allure's single-file report request nothing from outside, and proves it before the file is kept."""
from __future__ import annotations

import base64
import binascii
import json
import re
from html.parser import HTMLParser

# Allure's awesome plugin hard-codes Google Analytics (analyticsEnable: true): an external gtag.js script and an
# inline config script. Both go, with any other tag that would load something from outside.
_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)
_EXTERNAL_ATTR = re.compile(r"""\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)
# Each pattern below opens with a lookahead on the letters its words can start with (re.I reads the class without
# case, as it reads the words): the same matches, found without trying every word at every character of megabytes.
_ANALYTICS = re.compile(r"(?=[gd])(?:googletagmanager|google-analytics|\bgtag\s*\(|\bdataLayer\b)", re.I)
_LOADING_TAG = re.compile(r"<(?:link|img|iframe|source|embed|audio|video|object)\b[^>]*>", re.I)
_NOSCRIPT = re.compile(r"<noscript\b[^>]*>.*?</noscript\s*>", re.S | re.I)

# What would fetch a URL when the page loads or runs: attributes, CSS, fetch/import/XHR/sockets with a literal URL.
_URL = r"""(?:(?:https?|wss?):)?//[^\s"'`)<>]+"""
_REFERENCE = re.compile(
    r"""(?=[shapfiowe@u])"""
    r"""(?:\b(?:src|href|action|poster|srcset)\s*[=:]\s*["'`]?\s*(?P<a>""" + _URL + r""")"""
    r"""|\b(?:fetch|import|importScripts|sendBeacon|open|WebSocket|EventSource|Worker)\s*\(\s*"""
    r"""(?:["'`]GET["'`]\s*,\s*)?["'`](?P<b>""" + _URL + r""")"""
    r"""|@import\s+(?:url\(\s*)?["']?(?P<c>""" + _URL + r""")"""
    r"""|\burl\(\s*["']?(?P<d>""" + _URL + r""")"""
    r"""|\bfrom\s+["'](?P<e>""" + _URL + r"""))""",
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
        if _EXTERNAL_ATTR.search(attrs) or _ANALYTICS.search(_without_report_data(body)):
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


class _Markup(HTMLParser):
    """What a page's markup would load, apart from its text: URL attributes, and the code of scripts, styles, inline
    styles and handlers. Text is data (a merchant's "<img src=https://...>" shown in a table cell loads nothing)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.code: list[str] = []
        self.pages: list[str] = []  # srcdoc: a page inside the page
        self._in_code = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in _URL_ATTRIBUTES:
                self.urls += [m.group(0) for m in _CANDIDATE.finditer(value)] if "srcset" in name else [value]
            elif name == "style" or name.startswith("on"):
                self.code.append(value)
            elif name == "srcdoc":
                self.pages.append(value)
            elif tag == "meta" and name == "content":
                self.urls += [m.group(1) for m in _REFRESH.finditer(value)]
        self._in_code = tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._in_code = False

    def handle_data(self, data: str) -> None:
        if self._in_code:
            self.code.append(data)


# Attributes whose value the browser fetches (or, for a link, would open) as a URL.
_URL_ATTRIBUTES = {"src", "href", "xlink:href", "action", "formaction", "poster", "data", "background", "srcset",
                   "imagesrcset", "ping", "manifest", "codebase", "cite", "longdesc", "lowsrc", "dynsrc"}
_CANDIDATE = re.compile(r"[^\s,]+")
_REFRESH = re.compile(r"url\s*=\s*['\"]?([^'\"\s;]+)", re.I)
# A URL that reaches a host: a scheme other than the page's own kinds (data:, blob:, ...) or protocol-relative. URL
# parsers drop tabs and newlines and read a backslash as a slash, so the check does too.
_LOCAL_SCHEMES = ("data:", "blob:", "about:", "javascript:", "mailto:", "tel:", "file:")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)


def _reaches_out(url: str) -> bool:
    url = re.sub(r"[\x00-\x20]", "", url).replace("\\", "/").lower()
    return url.startswith("//") or (bool(_SCHEME.match(url)) and not url.startswith(_LOCAL_SCHEMES))


def _markup_references(page: str, depth: int = 0) -> list[str]:
    """External URLs of a page's markup and of the code it carries (a srcdoc page in it, once more)."""
    parser = _Markup()
    parser.feed(page)
    parser.close()
    found = [url for url in parser.urls if _reaches_out(url)]
    for code in parser.code:
        found += _code_references(code)
    for inner in parser.pages if depth < 3 else []:
        found += _markup_references(inner, depth + 1)
    return found


def _code_references(code: str) -> list[str]:
    """URLs that script or style code would load, and analytics calls."""
    found = [next(group for group in match.groups() if group) for match in _REFERENCE.finditer(code)]
    return found + [f"analytics: {m.group(0)}" for m in _ANALYTICS.finditer(code)]


def _embedded_code(html: str) -> list[tuple[str, str]]:
    """Scripts, styles and pages shipped as base64 data URIs: the app itself lives there, so it is checked too.
    (media type, decoded text)."""
    code = []
    for match in _DATA_URI.finditer(html):
        media = (match.group(1) or "").lower()
        if "javascript" in media or "css" in media or "html" in media or "svg" in media:
            try:
                code.append((media, base64.b64decode(match.group(3)).decode("utf-8", "replace")))
            except (binascii.Error, ValueError):
                code.append((media, "<undecodable embedded code>"))
    return code


# Allure's single file carries its data as d("<path>", "<base64>"): attachments and test results among them.
_REPORT_DATA = re.compile(r"""\bd\(\s*["']([^"']+)["']\s*,\s*["']([A-Za-z0-9+/=]*)["']\s*\)""")
# What a Markdown renderer turns into a fetch: an image, or a reference definition an image may use.
_MARKDOWN_LOADS = re.compile(r"!\[[^\n]*?\]\(\s*<?\s*([^\s)>]+)|^ {0,3}\[[^\]\n]+\]:\s*<?\s*([^\s>]+)", re.M)


def _without_report_data(code: str) -> str:
    """Code with the base64 of its d("<path>", "<base64>") calls left out: a base64 literal loads nothing (its letters
    hold no quote, colon or bracket a reference needs), and what it decodes to is checked on its own
    (report_data_references). Megabytes of it would otherwise be searched as code."""
    return _REPORT_DATA.sub(lambda m: f'd("{m.group(1)}","")', code)


def _attachment_references(name: str, text: str) -> list[str]:
    """What an attachment would load when Allure shows it: Markdown and HTML are rendered, SVG drawn; plain text,
    JSON and the rest are shown as text."""
    suffix = name.rsplit(".", 1)[-1].lower()
    if suffix in ("md", "markdown"):
        images = [next(g for g in m.groups() if g) for m in _MARKDOWN_LOADS.finditer(text)]
        return [url for url in images if _reaches_out(url)] + _markup_references(text)
    if suffix in ("html", "htm", "svg", "xhtml"):
        return _markup_references(text)
    return []


def _description_references(text: str) -> list[str]:
    """A test result's description is rendered as HTML by the report."""
    try:
        data = json.loads(text)
    except ValueError:
        return []
    description = data.get("descriptionHtml") if isinstance(data, dict) else None
    return _markup_references(description) if isinstance(description, str) else []


def report_data_references(html: str) -> list[str]:
    """External URLs inside the report's data: its attachments (the go-live summary among them) and results."""
    found = []
    for match in _REPORT_DATA.finditer(html):
        name = match.group(1)
        if not (name.startswith("data/attachments/") or name.startswith("data/test-results/")):
            continue
        try:
            text = base64.b64decode(match.group(2)).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            continue
        found += [f"{name}: {url}" for url in (_attachment_references(name, text) if "attachments" in name
                                               else _description_references(text))]
    return found


def external_references(html: str) -> list[str]:
    """Every URL the page, its embedded code and the attachments it shows would load, minus the allow-list; empty
    means offline-safe. A merchant's words anywhere in the text are data, never a reference."""
    found = _markup_references(_without_report_data(_DATA_URI.sub("data:,", html)))
    for media, code in _embedded_code(html):
        found += _markup_references(code) if "html" in media or "svg" in media else _code_references(code)
    found += report_data_references(html)
    return sorted({url for url in found if not url.split(": ", 1)[-1].startswith(ALLOWED_PREFIXES)})
