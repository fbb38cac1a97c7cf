"""Headless Chromium on the evidence file from disk (file://): what the reviewer's first screen shows, screenshots."""
from __future__ import annotations

import html
import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from reporting.verdict_page import BANNER_ID

WINDOW = (1440, 900)  # a laptop screen: "the first screen" means this much, unscrolled
# Long enough for Allure's app to unpack and render its data (virtual time: it ends as soon as the page is idle).
SCRIPT_BUDGET_MS = 15000
TIMEOUT_SECONDS = 120
_QUIET = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
          "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps",
          "--disable-extensions", "--hide-scrollbars", "--mute-audio"]

# Appended to a copy of the page only: lists what lies inside the first screen, for --dump-dom to carry out.
_PROBE = """<script>
setTimeout(function () {
  function seen(el) {
    var r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight
      && (!el.checkVisibility || el.checkVisibility({visibilityProperty: true, opacityProperty: true}));
  }
  var banner = document.getElementById("%s");
  var out = {headline: null, identity: null, rows: [], products: [], title: document.title,
             app: !!document.querySelector("[data-testid=report-title]"),
             appText: (document.getElementById("app") || {}).innerText || ""};
  if (banner) {
    var h = banner.querySelector("h1");
    if (h && seen(h)) out.headline = h.innerText;
    var who = banner.querySelector("[data-testid=run-identity]");
    if (who && seen(who)) out.identity = who.innerText;
    banner.querySelectorAll("tr[data-item]").forEach(function (tr) { if (seen(tr)) out.rows.push(tr.innerText); });
    banner.querySelectorAll("tr[data-product]").forEach(function (tr) {
      if (seen(tr)) out.products.push(tr.innerText);
    });
  }
  var pre = document.createElement("pre");
  pre.id = "first-screen-probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
}, 3000);
</script>""" % BANNER_ID


class BrowserMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class FirstScreen:
    headline: str | None
    rows: list[str]
    title: str
    app_rendered: bool
    app_text: str
    outside_requests: list[str]
    products: list[str] = field(default_factory=list)  # each product's heading row with its verdict
    identity: str | None = None  # who, what and when, and the summary's digest, when all of it is on screen


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not found:
        raise BrowserMissing("no chromium on PATH (bash scripts/install_browser.sh installs Debian's package)")
    return found


def _run(args: list[str], profile: Path, window: tuple[int, int] = WINDOW) -> str:
    width, height = window
    done = subprocess.run([chromium(), *_QUIET, f"--user-data-dir={profile}", f"--window-size={width},{height}",
                           f"--virtual-time-budget={SCRIPT_BUDGET_MS}", *args],
                          capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
    if done.returncode != 0:
        raise RuntimeError(f"chromium exited {done.returncode}: {done.stderr[-1500:]}")
    return done.stdout


def _outside_requests(net_log: Path) -> list[str]:
    """URLs the page asked for beyond the file itself. The browser's own traffic (time sync, accounts) is told
    apart by its origin: requests the page makes carry the file's network isolation key."""
    try:
        log = json.loads(net_log.read_text(encoding="utf-8", errors="replace"))
    except (OSError, ValueError):
        return ["<the browser's network log could not be read>"]
    urls = {str(p["url"]) for p in (e.get("params") or {} for e in log.get("events", []))
            if "url" in p and "initiator" in p and str(p.get("network_isolation_key", "")).startswith("file:")}
    return sorted(u for u in urls if not u.startswith(("file:", "data:", "blob:", "about:", "chrome:")))


def first_screen(page: Path, window: tuple[int, int] = WINDOW) -> FirstScreen:
    """Opens a probed copy of the page from disk in a window of `window` pixels; returns what is visible there
    without scrolling."""
    with tempfile.TemporaryDirectory(prefix="first-screen-") as scratch:
        copy = Path(scratch) / "page.html"
        copy.write_text(Path(page).read_text(encoding="utf-8").replace("</body>", _PROBE + "</body>"), "utf-8")
        net_log = Path(scratch) / "net.json"
        dom = _run([f"--log-net-log={net_log}", "--dump-dom", copy.as_uri()], Path(scratch) / "profile", window)
        start = dom.find('id="first-screen-probe">')
        if start < 0:
            raise RuntimeError("the page's scripts did not run to the end in headless chromium")
        raw = dom[start + len('id="first-screen-probe">'):dom.find("</pre>", start)]
        data = json.loads(html.unescape(raw))
        return FirstScreen(data["headline"], data["rows"], data["title"], data["app"], data["appText"],
                           _outside_requests(net_log), data.get("products", []), data.get("identity"))


def screenshot(page: Path, png: Path) -> Path:
    """A PNG of the first screen of the page as opened from disk."""
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="screenshot-") as scratch:
        _run([f"--screenshot={png.resolve()}", Path(page).resolve().as_uri()], Path(scratch) / "profile")
    return png


# -- the page as one story: the banner's figures and reasons beside what the Allure part shows -------------------------
REVIEW_WINDOW = (1280, 720)  # a smaller laptop: what a reviewer sees of a failing run without scrolling
_PARTS_ID = "page-parts-probe"
# What the banner and the Allure part each say, once the app has rendered: figures, the ring, the item groups and
# their leaves' statuses, and how much of each item's first reason lies inside the first screen, unclipped.
_PARTS_PROBE = """<script>
setTimeout(function () {
  function num(el) { return el ? parseInt(el.innerText.replace(/[^0-9]/g, ""), 10) || 0 : 0; }
  function visiblePrefix(box) {
    var text = box.firstChild, r = box.getBoundingClientRect();
    if (!text || r.bottom > window.innerHeight || r.top < 0) return "";
    var lo = 0, hi = text.length;
    while (lo < hi) {
      var mid = Math.ceil((lo + hi) / 2), range = document.createRange();
      range.setStart(text, 0); range.setEnd(text, mid);
      var rects = range.getClientRects(), last = rects[rects.length - 1];
      if (last && last.bottom <= r.bottom + 0.5 && last.right <= r.right + 0.5) lo = mid; else hi = mid - 1;
    }
    return text.data.slice(0, lo);
  }
  var out = {banner: {}, allure: {}, ring: false, groups: [], reasons: {}};
  var figures = document.querySelector("#%s .figures");
  if (figures) Object.keys(figures.dataset).forEach(function (k) { out.banner[k] = parseInt(figures.dataset[k], 10); });
  ["total", "passed", "failed", "broken", "skipped"].forEach(function (s) {
    out.allure[s] = num(document.querySelector("[data-testid=metadata-item-" + s + "] [data-testid=metadata-value]"));
  });
  var ring = document.querySelector('[aria-label^="Success rate"]');
  out.ring = !!ring && ring.getBoundingClientRect().width > 0;
  document.querySelectorAll("[data-testid=tree-section]").forEach(function (section) {
    var title = section.querySelector("[data-testid=tree-section-title]"), bar = {};
    section.querySelectorAll("[class*=tree-status-bar-item]").forEach(function (item) {
      var status = (item.className.match(/styles_(passed|failed|broken|skipped|unknown)__/) || [])[1];
      if (status) bar[status] = num(item);
    });
    if (title) out.groups.push([title.innerText, bar]);
  });
  document.querySelectorAll("#%s tr[data-item] td.reason div").forEach(function (box) {
    out.reasons[box.closest("tr").dataset.item] = visiblePrefix(box);
  });
  var pre = document.createElement("pre");
  pre.id = "%s";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
}, 3000);
</script>""" % (BANNER_ID, BANNER_ID, _PARTS_ID)


@dataclass(frozen=True)
class PageParts:
    banner_figures: dict[str, int]           # what the banner says the Allure part lists
    allure_figures: dict[str, int]           # what the Allure part counts: total, passed, failed, broken, skipped
    ring_shown: bool                         # Allure's success-rate ring
    groups: list[tuple[str, dict[str, int]]]  # each tree group's title and its leaves per status
    reasons: dict[str, str]                  # item id -> the part of its first reason readable without scrolling


def page_parts(page: Path, window: tuple[int, int] = REVIEW_WINDOW) -> PageParts:
    """Opens a probed copy of the page from disk in a window of `window`; returns what each part says."""
    with tempfile.TemporaryDirectory(prefix="page-parts-") as scratch:
        copy = Path(scratch) / "page.html"
        copy.write_text(Path(page).read_text(encoding="utf-8").replace("</body>", _PARTS_PROBE + "</body>"), "utf-8")
        dom = _run(["--dump-dom", copy.as_uri()], Path(scratch) / "profile", window)
        start = dom.find(f'id="{_PARTS_ID}">')
        if start < 0:
            raise RuntimeError("the page's scripts did not run to the end in headless chromium")
        data = json.loads(html.unescape(dom[start + len(f'id="{_PARTS_ID}">'):dom.find("</pre>", start)]))
        return PageParts(data["banner"], data["allure"], data["ring"], [tuple(g) for g in data["groups"]],
                         data["reasons"])
