"""After a full certification run with known secrets, no secret value and no credential appears in its output."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.certification.harness import certification_stack, run_features

CREDENTIAL = re.compile(r"(HMAC\s+[^\s\"']+:[A-Za-z0-9+/=]{8,}|Bearer\s+(?!\*\*\*)[A-Za-z0-9_\-]{8,})")


@pytest.mark.slow
def test_no_secret_reaches_the_allure_results_or_the_output(tmp_path: Path) -> None:
    results = tmp_path / "allure-results"
    with certification_stack(tmp_path) as stack:
        verdicts = run_features(stack, tmp_path, f"--alluredir={results}")
        secret_values = stack.secret_values
    assert verdicts.returncode == 0, verdicts.output[-3000:]
    files = [p for p in results.rglob("*") if p.is_file()]
    assert len(files) > 30, "the run should have produced results and attachments to scan"
    hits = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        hits += [f"{path.name}: secret #{i}" for i, secret in enumerate(secret_values) if secret in text]
        hits += [f"{path.name}: credential pattern" for _ in CREDENTIAL.finditer(text)]
    hits += [f"console: secret #{i}" for i, secret in enumerate(secret_values) if secret in verdicts.output]
    assert not hits, f"secrets leaked into: {hits[:20]}"
