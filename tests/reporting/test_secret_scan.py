"""The secret scan finds planted secrets and credentials, names the file, and never prints the value."""
from __future__ import annotations

import base64
from pathlib import Path

from reporting.secret_scan import scan_paths

SECRET = "sk_live_planted_9f8e7d6c"


def test_a_planted_secret_is_found_and_named_by_file_not_value(tmp_path: Path) -> None:
    (tmp_path / "clean-attachment.json").write_text('{"amount": "100.00"}', encoding="utf-8")
    leaky = tmp_path / "leaky-attachment.txt"
    leaky.write_text(f"api_secret={SECRET}\n", encoding="utf-8")
    hits = scan_paths([tmp_path], ["short", "", SECRET])
    assert [hit.path for hit in hits] == [leaky]
    assert "secret #3" in str(hits[0])
    assert SECRET not in str(hits[0]) and SECRET not in repr(hits[0])


def test_an_hmac_authorization_header_is_a_hit(tmp_path: Path) -> None:
    header = tmp_path / "exchange-attachment.json"
    header.write_text('{"Authorization": "HMAC abc:def"}', encoding="utf-8")
    hits = scan_paths([tmp_path], [])
    assert [(hit.path, hit.kind.startswith("credential")) for hit in hits] == [(header, True)]
    assert "abc:def" not in str(hits[0])


def test_a_bearer_token_is_a_hit_but_redacted_credentials_are_not(tmp_path: Path) -> None:
    (tmp_path / "redacted.txt").write_text("Authorization: HMAC ***redacted*** and Bearer ***redacted***")
    bearer = tmp_path / "bearer.txt"
    bearer.write_text("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9")
    assert [hit.path for hit in scan_paths([tmp_path], [])] == [bearer]


def test_a_secret_hidden_in_the_reports_base64_data_is_found(tmp_path: Path) -> None:
    # The single-file report embeds attachments as base64, where a plain text search would miss them.
    payload = base64.b64encode(f'{{"key": "{SECRET}"}}'.encode()).decode()
    report = tmp_path / "go-live-evidence.html"
    report.write_text(f'<script>d("data/attachments/1.json","{payload}")</script>', encoding="utf-8")
    assert [hit.path for hit in scan_paths([report], [SECRET])] == [report]


def test_clean_files_give_no_hit(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"signature": "valid", "note": "HMAC signatures are checked"}')
    assert scan_paths([tmp_path], [SECRET]) == []


def test_a_credential_hidden_in_the_reports_base64_data_is_found(tmp_path: Path) -> None:
    # A page's words are looked for first (reporting/secret_scan.py): the decoded data must be looked in too.
    payload = base64.b64encode(b'{"headers": {"Authorization": "HMAC key-id:c2lnbmF0dXJl"}}').decode()
    page = tmp_path / "go-live-evidence.html"
    page.write_text(f'<script>d("data/attachments/x.json","{payload}")</script>', encoding="utf-8")
    assert [hit.kind for hit in scan_paths([page], [])] == ["credential pattern (Authorization HMAC/Bearer)"]
