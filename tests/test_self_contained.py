"""The project stands alone: no code or test reads ../shared, so a fresh clone runs everything."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIPPED = {".venv", ".tools", ".git", "reports", "node_modules"}


def test_no_python_file_reaches_outside_the_repository() -> None:
    offenders = []
    for path in ROOT.rglob("*.py"):
        if SKIPPED & set(path.relative_to(ROOT).parts) or path == Path(__file__):
            continue
        text = path.read_text(encoding="utf-8")
        if '"shared"' in text or "../shared" in text or "parents[2].parent" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, f"these files read outside the repository: {offenders}"


def test_the_recordings_the_contract_tests_replay_are_in_the_repository() -> None:
    recordings = ROOT / "tests" / "recordings"
    assert len(list((recordings / "sandbox-2021").glob("*.yml"))) >= 8
    assert {p.name for p in (recordings / "callbacks").glob("*.json")} >= {"invoice.json", "coin_withdrawal.json",
                                                                         "channel_payment.json"}
