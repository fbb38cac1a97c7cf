"""The verdict first: a plain HTML banner (headline, a verdict and item rows per product, full summary) placed above
Allure's app."""
from __future__ import annotations

import html
import re
from typing import Any

from reporting.run_info import display_rows, identity_rows
from reporting.summary import (FAIL, MARKS, NOT_INTEGRATED, NOT_PROVEN, NOT_READY, NOT_RUN, PASS, READY,
                               REHEARSAL_PASSED, _row_words, item_reason, product_items, product_words, products_of)

BANNER_ID = "go-live-verdict"
# Colour by what the reader must do: red stop, amber incomplete, violet fix the environment and run again, green
# certified, blue a passing rehearsal.
_TONES = {NOT_READY: ("#b91c1c", "#fef2f2"), "partial": ("#b45309", "#fffbeb"), READY: ("#15803d", "#f0fdf4"),
          NOT_PROVEN: ("#6d28d9", "#f5f3ff")}
_REHEARSAL_TONE = ("#1d4ed8", "#eff6ff")
_MARK_COLOURS = {PASS: "#15803d", FAIL: "#b91c1c", NOT_PROVEN: "#6d28d9"}
# Allure's success-rate ring counts scenarios, not the verdict: shown only beside a READY (or all-pass) verdict.
_NO_RING = '#app article:has(> [aria-label^="Success rate"]){display:none}'
_COLUMNS = ('<colgroup><col style="width:34%"><col style="width:104px"><col style="width:128px"><col></colgroup>')

_STYLE = """
#go-live-verdict{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111827;
  background:var(--gl-bg);border-bottom:4px solid var(--gl-fg);padding:14px 24px 10px}
#go-live-verdict h1{margin:0 0 4px;font-size:22px;color:var(--gl-fg)}
#go-live-verdict p{margin:2px 0 8px}
#go-live-verdict table{border-collapse:collapse;width:100%;background:#fff;font-size:12.5px;line-height:1.3}
#go-live-verdict table.items{table-layout:fixed}
#go-live-verdict table.items td{padding-top:0;padding-bottom:0}
#go-live-verdict table.items thead th{white-space:nowrap;overflow:hidden}
#go-live-verdict th,#go-live-verdict td{border:1px solid #e5e7eb;padding:1px 8px;text-align:left;vertical-align:top}
#go-live-verdict td.item{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
#go-live-verdict tr.product th{background:#f3f4f6;font-size:13px}
#go-live-verdict td.mark,#go-live-verdict td.count{font-weight:700;white-space:nowrap}
#go-live-verdict td.count{font-weight:400}
#go-live-verdict td.reason{color:#374151;font-size:12px}
#go-live-verdict td.reason div{display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:2;overflow:hidden}
/* The reason has the widest column and up to two lines, so the first screen says why; the item's title gives way
   (its whole words in the tooltip). The whole reason is in the tooltip and the fold. */
#go-live-verdict details{margin-top:8px}
#go-live-verdict summary{cursor:pointer;font-weight:600}
#go-live-verdict .full{background:#fff;padding:8px 12px;border:1px solid #e5e7eb;max-height:70vh;overflow:auto}
#go-live-verdict .hint{color:#4b5563;font-size:12px;margin-top:6px}
#go-live-verdict .identity{margin:0 0 4px;font-size:11px;line-height:1.25;color:#1f2937}
#go-live-verdict .identity b{font-weight:600}
#go-live-verdict .identity code{font-size:11px}
#go-live-verdict .identity .fact{white-space:nowrap}
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _tone(summary: dict[str, Any]) -> tuple[str, str]:
    if summary["overall"] == REHEARSAL_PASSED or (summary["overall"] == READY and not summary.get("certification")):
        return _REHEARSAL_TONE
    return _TONES.get(summary["overall"], _TONES[NOT_READY])


def _counts(item: dict[str, Any]) -> str:
    rows = item["scenarios"]
    ran = [r for r in rows if r.get("for_this_item", r["status"]) not in ("not run", "skipped")]
    passed = [r for r in rows if r.get("for_this_item", r["status"]) == "passed"]
    return f"{len(passed)} / {len(ran)} / {len(rows)}"


# "support.drivers.waiting.WaitTimeout: " before a reason tells a reviewer nothing; the words after it do.
_EXCEPTION_PREFIX = re.compile(r"(?<=: )(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Timeout|Exception|Rejected): ")


def _own_item_dropped(reason: str, item: dict[str, Any]) -> str:
    """"Why (product defect, invoices item 12): …" reads "Why (product defect): …" on item 12's own row."""
    return reason.replace(f", {item['product']} item {item['item']}): ", "): ", 1)


def _item_row(item: dict[str, Any]) -> str:
    mark = MARKS[item["verdict"]]
    colour = _MARK_COLOURS.get(item["verdict"], "#b45309")
    reason = _EXCEPTION_PREFIX.sub("", item_reason(item)) if item["verdict"] != PASS else ""
    reason = _own_item_dropped(reason, item)[:400]
    return (f'<tr data-item="{_e(item.get("id", item["item"]))}"><td class="item" title="{_e(item["title"])}">'
            f'{_e(item["title"])}</td><td class="mark" style="color:{colour}">{_e(mark)}</td>'
            f'<td class="count">{_counts(item)}</td>'
            f'<td class="reason" title="{_e(reason)}"><div>{_e(reason)}</div></td></tr>')


_PRODUCT_COLOURS = {READY: "#15803d", NOT_READY: "#b91c1c", NOT_INTEGRATED: "#4b5563",
                    REHEARSAL_PASSED: _REHEARSAL_TONE[0], NOT_PROVEN: "#6d28d9"}


def item_rows(summary: dict[str, Any]) -> str:
    """A heading row per product with its verdict, then its items; a product not integrated is its heading only."""
    rows = []
    for product in products_of(summary):
        colour = _PRODUCT_COLOURS.get(product["verdict"], "#b45309")
        rows.append(f'<tr class="product" data-product="{_e(product["product"])}" '
                    f'data-verdict="{_e(product["verdict"])}"><th colspan="4" style="color:{colour}">'
                    f"{_e(product_words(product, summary))}</th></tr>")
        if product["verdict"] != NOT_INTEGRATED:
            rows += [_item_row(item) for item in product_items(summary, product)]
    return (f'<table class="items">{_COLUMNS}<thead><tr><th>Checklist item</th><th>Verdict</th><th>Passed / run / all'
            "</th><th>First reason</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def full_summary(summary: dict[str, Any]) -> str:
    """Everything the markdown summary says, as HTML: the run, then every scenario behind each item."""
    run = "".join(f"<tr><th>{_e(label)}</th><td>{_e(value)}</td></tr>" for label, value in display_rows(summary["run"]))
    parts = [f"<h3>Run</h3><table>{run}</table>"]
    for item in summary["items"]:
        if item["verdict"] == NOT_INTEGRATED:
            continue
        lines = "".join(f"<li>{_e(_row_words(row))}</li>" for row in item["scenarios"]) or \
            "<li>no scenario proves this item</li>"
        parts.append(f"<h3>{_e(item['title'])}: {_e(MARKS[item['verdict']])}</h3><ul>{lines}</ul>")
    return "".join(parts)


def evidence_figures(summary: dict[str, Any]) -> str:
    """The Allure part's own counts, said on the banner (and as data for a reader that checks them)."""
    figures = summary.get("evidence_entries")
    if not figures:
        return ""
    data = " ".join(f'data-{key.replace(" ", "-")}="{int(value)}"' for key, value in figures.items())
    return (f'<span class="figures" {data}>{figures["entries"]} entries: {figures["passed"]} passed, '
            f'{figures["failed"]} failed, {figures[NOT_PROVEN]} not proven, {figures[NOT_RUN]} not run.</span>')


def _ring_style(summary: dict[str, Any]) -> str:
    return "" if summary["overall"] in (READY, REHEARSAL_PASSED) else _NO_RING


def identity_line(summary: dict[str, Any], summary_digest: str | None) -> str:
    """Who, what and when, and the summary's SHA-256: what a reviewer checks the evidence against (certify.sh
    --verify recomputes the digest and re-reads the account and its objects at Cryptopay)."""
    facts = identity_rows(summary["identity"], short=True) if "identity" in summary else []
    parts = [f'<span class="fact"><b>{_e(label)}:</b> {_e(value)}</span>' for label, value in facts]
    if summary_digest:
        parts.append(f'<span class="fact"><b>go-live-summary.json SHA-256:</b> <code data-testid="summary-digest">'
                     f"{_e(summary_digest)}</code></span>")
    return f'<p class="identity" data-testid="run-identity">{" · ".join(parts)}</p>' if parts else ""


def render_banner(summary: dict[str, Any], summary_digest: str | None = None) -> str:
    fg, bg = _tone(summary)
    # One line at 1280 px, so who, what and when fit above the items without pushing one off the first screen.
    facts = (f"{summary['items_passed']} of {summary['items_total']} checklist items of the certified products fully "
             f"pass; {summary.get('scenarios_not_run', 0)} of {summary.get('scenarios_total', 0)} scenarios did not "
             "run; READY needs every item passed and every scenario run on the Cryptopay sandbox.")
    return (f'<section id="{BANNER_ID}" style="--gl-fg:{fg};--gl-bg:{bg}" data-overall="{_e(summary["overall"])}">'
            f"<style>{_STYLE}{_ring_style(summary)}</style>"
            f'<h1 data-testid="go-live-headline">{_e(summary["headline"])}</h1>{identity_line(summary, summary_digest)}'
            f"<p>{_e(facts)}</p>{item_rows(summary)}"
            "<details><summary>The full go-live summary: the run, and every scenario behind each item</summary>"
            f'<div class="full">{full_summary(summary)}</div></details>'
            '<p class="hint">Below: the Allure evidence, each scenario under each checklist item it proves, with '
            f"what it shows of that item (it scrolls on its own). {evidence_figures(summary)}</p></section>")


_BODY = re.compile(r"<body\b[^>]*>", re.I)
_TITLE = re.compile(r"<title\b[^>]*>.*?</title\s*>", re.I | re.S)


def place_banner(page: str, summary: dict[str, Any], summary_digest: str | None = None) -> str:
    """The banner first in <body>, and the verdict as the page's title (the browser tab and the file's name)."""
    title = f"<title>{_e(summary['headline'])} · Cryptopay go-live evidence</title>"
    page = _TITLE.sub(lambda _m: title, page, count=1) if _TITLE.search(page) else \
        page.replace("</head>", title + "</head>", 1)
    match = _BODY.search(page)
    if match is None:
        raise ValueError("the report has no <body> to put the verdict in")
    return page[:match.end()] + render_banner(summary, summary_digest) + page[match.end():]
