"""The reference merchant run as an outside developer runs it: --help names every setting with its form, a bad start
names every problem at once, GET /health answers without the probe's token, and docs/certify.md names the settings."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from reference_merchant import create_app
from reference_merchant.__main__ import DECLARED, REQUIRED
from tests.merchant.harness import merchant_config

ROOT = Path(__file__).resolve().parents[2]


def read_settings() -> set[str]:
    """Every environment variable the merchant's entry point reads, found in its source."""
    source = (ROOT / "reference_merchant" / "__main__.py").read_text(encoding="utf-8")
    return set(re.findall(r"""environ(?:\.get\(|\[)["']([A-Z_]+)["']""", source))


def merchant(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "reference_merchant", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=30, env={"PATH": "/usr/bin:/bin", **(env or {})})


def test_help_lists_every_setting_it_reads_with_its_form() -> None:
    shown = merchant("--help")
    assert shown.returncode == 0, shown.stderr
    read = read_settings()
    assert read >= {"MERCHANT_DATABASE_URL", "CRYPTOPAY_CALLBACK_SECRET", "PAYOUT_AMOUNT_FIELD"}  # the scan works
    listed = {line.split()[0]: line for line in shown.stdout.splitlines() if re.match(r"^  [A-Z_]+ ", line)}
    assert read == set(listed), f"read but not listed: {read - set(listed)}; listed but not read: {set(listed) - read}"
    assert "sqlite:////absolute/path/merchant.sqlite3" in listed["MERCHANT_DATABASE_URL"]
    assert "postgresql://user:password@host:5432/dbname" in listed["MERCHANT_DATABASE_URL"]
    assert all(("required:" if name in REQUIRED else "optional:") in line for name, line in listed.items())


def test_certify_md_names_every_setting_of_the_reference_merchant() -> None:
    guide = (ROOT / "docs" / "certify.md").read_text(encoding="utf-8")
    missing = [name for name in (*REQUIRED, *DECLARED) if f"`{name}`" not in guide]
    assert not missing, missing
    assert "python -m reference_merchant --help" in guide and "sqlite:////" in guide


def test_a_bad_start_names_every_problem_at_once_with_its_form(tmp_path: Path) -> None:
    refused = merchant(env={"MERCHANT_DATABASE_URL": "sqlite://", "CHANNEL_CREDITED_AMOUNT": "all",
                            "CRYPTOPAY_API_SECRET": "never-shown-secret"})
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    problems = [line for line in refused.stderr.splitlines() if line.startswith("  - ")]
    assert [p.split()[1] for p in problems] == ["CRYPTOPAY_API_URL", "CRYPTOPAY_API_KEY", "CRYPTOPAY_CALLBACK_SECRET",
                                                "MERCHANT_PROBE_TOKEN", "MERCHANT_DATABASE_URL",
                                                "CHANNEL_CREDITED_AMOUNT"], refused.stderr
    assert "names no file" in refused.stderr and "net (the default" in refused.stderr
    assert "never-shown-secret" not in refused.stderr
    missing_file = merchant("--env-file", str(tmp_path / "absent.env"))
    assert f"--env-file {tmp_path / 'absent.env'} cannot be read" in missing_file.stderr


def test_health_answers_without_the_token_and_503_when_the_database_is_gone(tmp_path: Path) -> None:
    where = tmp_path / "db"
    where.mkdir()
    app = create_app(merchant_config(f"sqlite:///{where / 'merchant.sqlite3'}", "http://127.0.0.1:9", "key",
                                     "api-secret", "callback-secret", "probe-token"))
    client = app.test_client()
    try:
        answer = client.get("/health")
        assert (answer.status_code, answer.get_json()) == (200, {"ok": True, "database": "ok"})
        assert client.get("/probe/capabilities").status_code == 401  # the probe still wants its token
        shutil.rmtree(where)
        app.extensions["merchant"]["engine"].dispose()  # the next connection finds no database file to open
        answer = client.get("/health")
        assert (answer.status_code, answer.get_json()) == (503, {"ok": False, "database": "unreachable"})
    finally:
        app.extensions["merchant"]["engine"].dispose()
