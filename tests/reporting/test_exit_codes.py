"""One verdict, three readers: the exit code follows the summary's verdict, only a certification is 0, and every
code is documented where CI authors look (certify.sh --help, README, docs/certify.md)."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from reporting import exit_codes
from reporting.exit_codes import for_verdict

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("summary, code", [
    ({"overall": "ready", "certification": True}, 0),
    ({"overall": "ready", "certification": False}, 11),  # a summary written before rehearsals had their own value
    ({"overall": "ready"}, 11),
    ({"overall": "rehearsal_passed", "certification": False}, 11),
    ({"overall": "partial"}, 10),
    ({"overall": "not ready"}, 1),
    ({"overall": "not proven"}, 14),  # an outage: not a product's failure, never a certification
    ({"overall": "a verdict of a newer suite"}, 1),
    ({}, 1),
])
def test_only_a_certification_exits_0(summary: dict, code: int) -> None:
    assert for_verdict(summary) == code


def test_every_exit_code_is_in_certify_help_readme_and_the_guide() -> None:
    shown = subprocess.run(["bash", "scripts/certify.sh", "--help"], cwd=ROOT, capture_output=True, text=True,
                           timeout=30)
    assert shown.returncode == 0
    listed = {int(code) for code in re.findall(r"^\s+(\d+)\s{2}", shown.stdout, re.MULTILINE)}
    assert listed == set(exit_codes.WORDS), listed
    assert "rehearsal_passed" in shown.stdout and "--verify EVIDENCE" in shown.stdout
    for doc in ("README.md", "docs/certify.md"):
        text = (ROOT / doc).read_text(encoding="utf-8")
        assert "rehearsal_passed" in text and "certify.sh --verify" in text, doc
        assert all(re.search(rf"\b{code}\b", text) for code in (10, 11, 12, 13, 14)), doc
