"""A hostile merchant's words in the evidence: secrets it echoes are redacted everywhere (JUnit included, fragments
included), and its markup, Markdown and escape codes are data that loads, runs and stops nothing."""
from __future__ import annotations

import base64
import json
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest

from reporting.allure import ALLURE_BIN, GenerationError
from reporting.browser import first_screen
from reporting.build import EVIDENCE_NAME, build
from reporting.offline import external_references
from reporting.redaction import FRAGMENT, REDACTED, redact
from reporting.samples import write_sample
from reporting.secret_scan import scan_paths
from support.targets.servers import ServerThread
from tests.hostile.refusing_merchant import certify_against, holding, runs_of

needs_allure = pytest.mark.skipif(not ALLURE_BIN.exists(), reason="Allure 3 is not installed in .tools/")

# The driver keeps this much of a merchant's refusal (support/drivers/merchant.py): the limit that cut the token.
KEPT_OF_A_REFUSAL = 300
MARKDOWN_IT = ALLURE_BIN.parents[1] / "markdown-it"


def _token(environ: dict) -> str:
    return environ["HTTP_AUTHORIZATION"].split(" ", 1)[1]


def quoting_the_request(environ: dict) -> str:
    """A debug error page: the request it refused, its Authorization header first, and the token once more."""
    return (f"<h1>422 Unprocessable</h1><pre>Authorization: {environ['HTTP_AUTHORIZATION']}\n"
            f"debug auth_token={_token(environ)}\nContent-Type: {environ.get('CONTENT_TYPE')}</pre>")


@pytest.mark.slow
@needs_allure
def test_a_page_quoting_the_probe_token_is_redacted_in_junit_and_the_evidence_is_kept(tmp_path: Path) -> None:
    token = secrets.token_urlsafe(24)
    run = certify_against(tmp_path, quoting_the_request, probe_token=token)
    output = run.verdicts.output
    # The scenarios fail (the merchant refused every deposit); nothing secret was left to delete.
    assert run.verdicts.returncode == 1, output[-3000:]
    assert (run.reports / EVIDENCE_NAME).exists() and (run.reports / "go-live-summary.md").exists()
    junit = run.junit.read_text(encoding="utf-8")
    assert "422 Unprocessable" in junit and REDACTED in junit, junit[:3000]  # the page is there, redacted
    assert holding(run.files(), runs_of(token, FRAGMENT)) == []
    assert token not in output and scan_paths(run.files(), [token]) == []


@pytest.mark.slow
@needs_allure
def test_a_secret_the_redactor_cannot_see_takes_junit_with_the_rest_of_the_evidence(tmp_path: Path) -> None:
    # base64 hides the token from the redactor; the scan decodes it. JUnit, uploaded by CI, must go too.
    def hiding_the_token(environ: dict) -> str:
        return f"<p>422: session {base64.b64encode(_token(environ).encode()).decode()} expired</p>"

    run = certify_against(tmp_path, hiding_the_token, probe_token=secrets.token_urlsafe(24))
    assert run.verdicts.returncode == 3, run.verdicts.output[-3000:]
    assert "secret scan failed" in run.verdicts.output and "junit.xml: secret #" in run.verdicts.output
    assert not run.junit.exists() and not (run.reports / EVIDENCE_NAME).exists()
    assert not (run.reports / "allure-results").exists()


@pytest.mark.slow
@needs_allure
@pytest.mark.parametrize("kept", [37, 8], ids=["37 of 38 characters", "8 at the cut"])
def test_a_token_cut_by_the_length_limit_leaves_no_part_of_itself(tmp_path: Path, kept: int) -> None:
    token = secrets.token_urlsafe(30)[:38]

    def token_at_the_limit(environ: dict) -> str:
        # The token starts `kept` characters before the limit: the cut keeps exactly that much of it.
        return "x" * (KEPT_OF_A_REFUSAL - kept) + _token(environ) + " (your token)"

    run = certify_against(tmp_path, token_at_the_limit, probe_token=token)
    output = run.verdicts.output
    assert run.verdicts.returncode == 1, output[-3000:]
    junit = run.junit.read_text(encoding="utf-8")
    assert "x" * 50 + REDACTED in junit, junit[:3000]  # the cut part was redacted, not dropped
    left = runs_of(token, FRAGMENT) if kept >= FRAGMENT else {token[:kept]}
    assert holding(run.files(), left) == []
    assert not any(fragment in output for fragment in left)


def test_the_rule_redacts_long_fragments_and_cut_edges_but_not_short_coincidences() -> None:
    token = "Zq8-vN3kPw_7TmYc2HbLx0RfGd5JsAe9Uo4KiE1y"
    assert redact(f"kept: {token[:37]}", [token]) == f"kept: {REDACTED}"
    assert redact(f"middle {token[10:22]} of it", [token]) == f"middle {REDACTED} of it"
    assert redact(f"{token[-7:]} began the line", [token]) == f"{REDACTED} began the line"
    assert redact(f"cut here {token[:6]}...", [token]) == f"cut here {REDACTED}..."
    # Eleven characters in the middle of a text, or six that are not at an edge, are left as they are.
    assert redact(f"a {token[3:14]} b {token[:6]}x", [token]) == f"a {token[3:14]} b {token[:6]}x"
    # A secret shorter than the fragment length counts whole only; a database URL too (its password on its own).
    assert redact("complete the deselected", ["deselected"]) == f"complete the {REDACTED}"
    url = "postgresql://certify:s3cret-Pa55word@db.internal:5432/shop"
    assert redact("connected to db.internal:5432/shop", [url, "s3cret-Pa55word"]) == "connected to db.internal:5432/shop"


def test_cut_edges_are_found_on_any_line_of_a_long_attachment() -> None:
    """Edges are looked for by where the secret's head and tail occur, not line by line: every line of a long
    attachment still counts, the first and the last, with credentials in any case."""
    token = "Zq8-vN3kPw_7TmYc2HbLx0RfGd5JsAe9Uo4KiE1y"
    lines = [f'  "line {n}": "plain"' for n in range(300)]
    lines[0], lines[150], lines[-1] = f"{token[:8]}", f"{token[-9:]} and more", f"ends {token[:6]}"
    redacted = redact("\n".join(lines) + "\nauthorization: hmac key:signature", [token])
    kept = redacted.splitlines()
    assert kept[0] == REDACTED and kept[150] == f"{REDACTED} and more" and kept[299] == f"ends {REDACTED}"
    assert kept[1:150] == lines[1:150] and kept[-1] == f"authorization: hmac {REDACTED}"


def test_the_scan_finds_a_long_fragment_and_names_it_as_one(tmp_path: Path) -> None:
    token = "Zq8-vN3kPw_7TmYc2HbLx0RfGd5JsAe9Uo4KiE1y"
    (tmp_path / "junit.xml").write_text(f'<failure message="refused: xxx{token[:37]}"/>', encoding="utf-8")
    (tmp_path / "clean.txt").write_text(f"only {token[:11]} of it", encoding="utf-8")
    hits = scan_paths([tmp_path], [token])
    assert [hit.path.name for hit in hits] == ["junit.xml"]
    assert "a fragment, 37 of its 40 characters" in hits[0].kind and token[:12] not in str(hits[0])


MARKDOWN_IMAGE = "refused; see ![tracker]({outside}/markdown.png) for details"
HOSTILE_TEXT = ("<b>bold</b> <img src=https://evil.example/pixel.png> <script>alert(1)</script> "
                "![tracker]({outside}/markdown.png) [click]({outside}/link) <{outside}/auto> "
                "\x1b[2J\x1b]0;pwned\x07 |cell| `code`")


class Outside:
    """A loopback stand-in for the outside world: counts every request a rendered page makes to it."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.server = ServerThread(self._app, "outside")

    def _app(self, environ: dict, start_response):  # noqa: ANN001
        self.requests.append(environ.get("PATH_INFO", ""))
        start_response("200 OK", [("Content-Type", "image/png"), ("Content-Length", "0")])
        return [b""]


@pytest.fixture
def outside():
    world = Outside()
    world.server.start()
    yield world
    world.server.stop()


def _markdown_as_html(markdown: str) -> str:
    """The Markdown as a renderer that allows raw HTML (GitHub's, or markdown-it with html on) shows it."""
    script = ("const md=require(process.argv[1])({html:true});let s='';process.stdin.on('data',d=>s+=d)"
              ".on('end',()=>process.stdout.write(md.render(s)))")
    done = subprocess.run(["node", "-e", script, str(MARKDOWN_IT)], input=markdown, capture_output=True, text=True,
                          timeout=60, check=True)
    return done.stdout


@pytest.mark.slow
@needs_allure
@pytest.mark.parametrize("words", [MARKDOWN_IMAGE, HOSTILE_TEXT], ids=["a Markdown image", "HTML, links, escapes"])
def test_merchant_text_is_inert_in_the_summary_and_never_stops_the_build(tmp_path: Path, outside: Outside,
                                                                         words: str) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / EVIDENCE_NAME).write_text("<html><h1>READY (a previous run)</h1></html>", encoding="utf-8")
    text = words.format(outside=outside.server.url)
    run = certify_against(tmp_path, lambda environ: text, reports=reports)
    output = run.verdicts.output
    # Merchant text with URLs in it is data: the build goes through, and this run's evidence replaced the last.
    assert run.verdicts.returncode == 1, output[-3000:]
    evidence = (reports / EVIDENCE_NAME).read_text(encoding="utf-8")
    assert "a previous run" not in evidence and external_references(evidence) == []
    markdown = (reports / "go-live-summary.md").read_text(encoding="utf-8")
    assert "markdown.png" in markdown and "\x1b" not in markdown and "\x07" not in markdown, markdown
    rendered = _markdown_as_html(markdown)
    if shutil.which("chromium") or shutil.which("chromium-browser"):  # what a browser showing it would fetch
        page = tmp_path / "summary-rendered.html"
        page.write_text(f"<html><body>{rendered}</body></html>", encoding="utf-8")
        assert first_screen(page).outside_requests == [] and outside.requests == []
    for live in ("<img", "<script", "<b>", "<a ", "<code"):
        assert live not in rendered, f"{live} in the rendered summary"
    summary = json.loads((reports / "go-live-summary.json").read_text(encoding="utf-8"))
    messages = [row.get("message", "") for item in summary["items"] for row in item["scenarios"]]
    assert any("markdown.png" in m for m in messages) and not any("\x1b" in m or "\x07" in m for m in messages)


def _page_with(name: str, content: str) -> str:
    data = base64.b64encode(content.encode()).decode()
    return f'<html><body><script defer>Promise.allSettled([d("{name}","{data}")])</script></body></html>'


@pytest.mark.parametrize("name, content", [
    ("data/attachments/a1.md", "# Summary\n\n![x](https://evil.example/md.png)\n"),
    ("data/attachments/a2.md", "![x][ref]\n\n[ref]: https://evil.example/ref.png\n"),
    ("data/attachments/a3.html", '<p>page</p><img src="https://evil.example/html.png">'),
    ("data/attachments/a4.svg", '<svg xmlns="http://www.w3.org/2000/svg"><image href="//evil.example/s.png"/></svg>'),
])
def test_the_offline_check_looks_inside_attachments(name: str, content: str) -> None:
    assert any("evil.example" in url for url in external_references(_page_with(name, content)))


@pytest.mark.parametrize("name, content", [
    ("data/attachments/b1.txt", "<img src=https://evil.example/text.png> shown as text"),
    ("data/attachments/b2.md", "!\\[x\\](https://evil.example/escaped.png) &lt;img src=https://evil.example/e.png&gt;"),
])
def test_text_in_attachments_and_in_the_page_is_data_not_a_reference(name: str, content: str) -> None:
    page = _page_with(name, content).replace(
        "<body>", '<body><td title="src=https://evil.example/t">&lt;img src=https://evil.example/cell.png&gt;</td>')
    assert external_references(page) == []


def test_a_failed_build_leaves_no_older_verdict_beside_the_new_summary(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / EVIDENCE_NAME).write_text("<html>READY (a previous run)</html>", encoding="utf-8")
    with pytest.raises(GenerationError):
        build(write_sample(tmp_path / "results", "not ready"), reports, allure_bin=tmp_path / "no-allure")
    assert not (reports / EVIDENCE_NAME).exists()
    assert json.loads((reports / "go-live-summary.json").read_text())["overall"] == "not ready"
