"""certify.sh --verify: a reviewer re-checks a certification against Cryptopay itself, trusting no byte the merchant
sent. Every file against the evidence's manifest; the account the reviewer's key reads against the one the evidence
names; every Cryptopay object the evidence lists against Cryptopay's own answer: there, in that account, created
inside the run's window, in the state and amounts claimed (or one that may only have followed it since).

Evidence of an emulator run has nothing at Cryptopay to check: it verifies as a rehearsal. Where the run was is
decided by the API URL it talked to (reporting/run_info.py); a claim of the sandbox is then what Cryptopay confirms.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

from dotenv import dotenv_values

from cryptopay_client import CryptopayClient, CryptopayError, TransportError
from reporting import run_info as runs
from reporting.cryptopay_objects import AMOUNT_FIELDS, CHANNEL, INVOICE, KINDS, RECALCULATION, REFUND, WITHDRAWAL
from reporting.exit_codes import NOT_VERIFIED, NOTHING_TO_CHECK, for_verdict
from reporting.inert import printable
from reporting.integrity import Integrity, check_digest_manifest
from reporting.summary import JSON_NAME

ROOT = Path(__file__).resolve().parents[1]
ENV_FILE_KEY = "CERTIFY_ENV_FILE"
REHEARSAL_PROVEN_ON = "the emulator rehearsal"  # reporting/merge.py marks what the rehearsal proved so
# Cryptopay's Date header counts whole seconds and created_at may too: a second either side of the run's window.
WINDOW_SLACK = timedelta(seconds=2)
# A run that could not read Cryptopay's clock is judged by its own, which Cryptopay lets differ by 15 minutes
# before it refuses a signature (docs/cryptopay-api-facts.md §1).
CLOCK_SKEW = timedelta(minutes=15)


class CannotCheck(RuntimeError):
    """Nothing could be checked at Cryptopay (no key, a key refused, Cryptopay unreachable): not a verdict on
    the evidence; the message says what to fix."""


@dataclass(frozen=True)
class Reviewer:
    """What the reviewer brings: a key of the merchant's sandbox account, from .env or CERTIFY_ENV_FILE."""
    api_url: str
    api_key: str
    api_secret: str = field(repr=False)


def _settings(environ: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The reviewer's settings as the suite reads its own (support/targets/env_file.py, which this side may not import):
    the file CERTIFY_ENV_FILE names wins over the shell, plain .env does not; read literally, nothing expanded."""
    named = environ.get(ENV_FILE_KEY)
    path = Path(named) if named else ROOT / ".env"
    if not named and not path.is_file():
        return dict(environ), []
    try:
        values = {k: v for k, v in dotenv_values(path, interpolate=False, encoding="utf-8").items() if v is not None}
    except (OSError, UnicodeDecodeError) as exc:
        return dict(environ), [f"{ENV_FILE_KEY if named else '.env'} names {path}, which cannot be read "
                               f"({type(exc).__name__})"]
    return ({**environ, **values} if named else {**values, **environ}), []


def reviewer_from_env(environ: dict[str, str]) -> Reviewer:
    """The key from the settings file or the environment; the sandbox unless CRYPTOPAY_API_URL names it otherwise,
    and then it must still be the sandbox."""
    env, problems = _settings(environ)
    url = (env.get("CRYPTOPAY_API_URL") or runs.SANDBOX_URL).rstrip("/")
    missing = [key for key in ("CRYPTOPAY_API_KEY", "CRYPTOPAY_API_SECRET") if not env.get(key)]
    if missing:
        problems.append(f"{' and '.join(missing)} not set: --verify reads Cryptopay with a key of the merchant's "
                        "sandbox account (in .env, or the file CERTIFY_ENV_FILE names)")
    if runs.observed_class({"cryptopay_api_url": url}) != runs.SANDBOX:
        problems.append(f"CRYPTOPAY_API_URL is {url}: --verify checks evidence against the Cryptopay sandbox "
                        f"({runs.SANDBOX_URL}); leave it blank or name the sandbox")
    if problems:
        raise CannotCheck("; ".join(problems))
    return Reviewer(url, env["CRYPTOPAY_API_KEY"], env["CRYPTOPAY_API_SECRET"])


@dataclass
class Evidence:
    """One run's evidence as a reviewer received it: the reports/ folder (a copy of it)."""
    root: Path
    integrity: Integrity
    summary: dict[str, Any]
    info: dict[str, Any]

    @property
    def target(self) -> str:
        return runs.observed_class(self.info)

    @property
    def at_cryptopay(self) -> bool:
        return self.target in (runs.SANDBOX, runs.MERGED)


def open_evidence(path: Path) -> Evidence:
    """The evidence folder (or a file in it): its manifest checked, its summary and its run's facts read. What
    cannot be read is a problem of the evidence, never a reason to trust it."""
    root = Path(path)
    if not root.exists():
        raise CannotCheck(f"no evidence at {root}: give a copy of the run's whole reports/ folder")
    root = root.parent if root.is_file() else root
    integrity = check_digest_manifest(root)
    try:
        summary = json.loads((root / JSON_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        summary = None
    if not isinstance(summary, dict):
        integrity.problems.append(f"{JSON_NAME} cannot be read: there is no verdict to verify")
        summary = {}
    info = runs.read_run_info(integrity.results_dir) if integrity.results_dir else {}
    if not info and isinstance(summary.get("run"), dict):
        info = summary["run"]
    return Evidence(root, integrity, summary, info)


@dataclass
class Verification:
    evidence: Evidence
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    objects_checked: int = 0
    account: str | None = None

    @property
    def verified(self) -> bool:
        return not self.evidence.integrity.problems and not self.problems

    @property
    def exit_code(self) -> int:
        if not self.verified:
            return NOT_VERIFIED
        if not self.evidence.at_cryptopay:
            return NOTHING_TO_CHECK
        return for_verdict(self.evidence.summary)


def _parse_time(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def run_window(info: dict[str, Any]) -> tuple[datetime, datetime] | None:
    """The run's start and end as Cryptopay's clock counted them, else as the suite's did (with the skew Cryptopay
    allows); None when the evidence recorded neither."""
    clock = info.get("cryptopay_clock") if isinstance(info.get("cryptopay_clock"), dict) else {}
    start, end = _parse_time(clock.get("started_at")), _parse_time(clock.get("finished_at"))
    if start and end:
        return start - WINDOW_SLACK, end + WINDOW_SLACK
    start, end = _parse_time(info.get("started_at")), _parse_time(info.get("finished_at"))
    return (start - CLOCK_SKEW, end + CLOCK_SKEW) if start and end else None


def _differs(name: str, claimed: Any, now: Any) -> bool:
    if name in AMOUNT_FIELDS and claimed is not None and now is not None:
        try:
            return Decimal(str(claimed)) != Decimal(str(now))
        except InvalidOperation:
            pass
    return claimed != now


def compare(claimed: dict[str, Any], now: dict[str, Any]) -> tuple[list[str], str | None]:
    """What of the claim Cryptopay contradicts, and a note when the object has only moved on since the run along
    the statuses that may follow the claimed one (then only what never changes is compared)."""
    spec = KINDS[claimed["kind"]]
    then, current = claimed.get("status"), now.get("status")
    moved = "status" in claimed and then != current and spec.may_follow(then, current)
    problems = [] if moved or then == current or "status" not in claimed else \
        [f"status {then} in the evidence, {current} at Cryptopay"]
    names = spec.fixed + (() if moved else tuple(n for n in spec.state if n != "status"))
    problems += [f"{name} {claimed[name]} in the evidence, {now.get(name)} at Cryptopay" for name in names
                 if name in claimed and _differs(name, claimed[name], now.get(name))]
    if claimed.get("created_at") and now.get("created_at") and \
            _parse_time(claimed["created_at"]) != _parse_time(now["created_at"]):
        problems.append(f"created_at {claimed['created_at']} in the evidence, {now['created_at']} at Cryptopay")
    return problems, (f"moved on since the run: {then} then, {current} now" if moved else None)


class Reader:
    """Reads each object from Cryptopay once, however many scenarios list it: (answer, None) or (None, why)."""

    def __init__(self, client: CryptopayClient):
        self.client = client
        self._seen: dict[tuple[str, str], tuple[dict | None, str | None]] = {}

    def read(self, claimed: dict[str, Any]) -> tuple[dict | None, str | None]:
        key = (claimed["kind"], str(claimed["id"]))
        if key not in self._seen:
            self._seen[key] = self._read(claimed)
        return self._seen[key]

    def _read(self, claimed: dict[str, Any]) -> tuple[dict | None, str | None]:
        kind, object_id = claimed["kind"], str(claimed["id"])
        try:
            return self._fetch(kind, object_id, claimed), None
        except LookupError as exc:
            return None, str(exc)
        except CryptopayError as exc:
            if exc.status in (401, 403):
                raise CannotCheck(f"Cryptopay refused the key in .env ({exc.status} {exc.code}): check "
                                  "CRYPTOPAY_API_KEY / CRYPTOPAY_API_SECRET and the clock") from None
            if exc.status in (404, 422):
                return None, "not found in this Cryptopay account"
            raise CannotCheck(f"Cryptopay answered {exc.status} {exc.code} to {exc.method} {exc.path}") from None

    def _fetch(self, kind: str, object_id: str, claimed: dict[str, Any]) -> dict:
        client = self.client
        if kind == INVOICE:
            return client.retrieve_invoice(object_id)
        if kind == WITHDRAWAL:
            return client.retrieve_coin_withdrawal(object_id)
        if kind == CHANNEL:
            return client.channel(object_id)
        if kind == REFUND:
            found = [r for r in client.list_refunds(str(claimed.get("invoice_id"))) if str(r.get("id")) == object_id]
            if not found:
                raise LookupError(f"not among the refunds Cryptopay lists for invoice {claimed.get('invoice_id')}")
            return found[0]
        if kind == RECALCULATION:
            # No GET for a recalculation: its invoice shows the price it set, and its invoice's created_at.
            invoice = client.retrieve_invoice(str(claimed.get("invoice_id")))
            return {**{n: invoice.get(n) for n in KINDS[RECALCULATION].fixed}, "kind": kind,
                    "created_at": claimed.get("created_at"), "invoice_created_at": invoice.get("created_at")}
        return client.channel_payment(str(claimed.get("channel_id")), object_id)


def claims(summary: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(scenario, object) for every object the evidence lists from the Cryptopay sandbox; what a merged run's
    rehearsal proved lies on an emulator and is skipped."""
    for entry in summary.get("cryptopay_objects") or []:
        if not isinstance(entry, dict) or entry.get("proven_on") == REHEARSAL_PROVEN_ON:
            continue
        for claimed in entry.get("objects") or []:
            if isinstance(claimed, dict) and claimed.get("kind") in KINDS and claimed.get("id"):
                yield str(entry.get("scenario") or "a scenario"), claimed


def _in_window(now: dict[str, Any], window: tuple[datetime, datetime]) -> str | None:
    """Why the object cannot belong to the run, or None. A channel has no created_at at Cryptopay (its payments
    do); a recalculation is placed by its invoice's."""
    if now["kind"] == CHANNEL:
        return None
    created = _parse_time(now.get("invoice_created_at") or now.get("created_at"))
    if created is None:
        return "Cryptopay shows no readable created_at"
    if not window[0] <= created <= window[1]:
        return (f"created {created.isoformat()} at Cryptopay, outside the run's window "
                f"({window[0].isoformat()} to {window[1].isoformat()})")
    return None


def check_objects(found: Verification, reader: Reader) -> None:
    window = run_window(found.evidence.info)
    if window is None:
        found.problems.append("the evidence records no start and end of its run: no object can be placed in it")
    listed = list(claims(found.evidence.summary))
    if not listed:
        found.problems.append("the evidence lists no Cryptopay object of the sandbox: nothing ties it to Cryptopay")
    for scenario, claimed in listed:
        what = f"{scenario}: {KINDS[claimed['kind']].words} {claimed['id']}"
        now, missing = reader.read(claimed)
        found.objects_checked += 1
        if now is None:
            found.problems.append(f"{what}: {missing}")
            continue
        now = {"kind": claimed["kind"], **now}
        problems, note = compare(claimed, now)
        outside = _in_window(now, window) if window else None
        found.problems += [f"{what}: {p}" for p in problems + ([outside] if outside else [])]
        if note and not problems:
            found.notes.append(f"{what}: {note}")


def check_account(found: Verification, client: CryptopayClient) -> None:
    account = found.evidence.info.get("cryptopay_account")
    named = account.get("id") if isinstance(account, dict) else None
    try:
        projects = sorted({str(a.get("project_id")) for a in client.accounts() if isinstance(a, dict)})
    except CryptopayError as exc:
        raise CannotCheck(f"Cryptopay refused GET /api/accounts with the key in .env ({exc.status} {exc.code})") \
            from None
    found.account = ", ".join(projects) or "none"
    if not named:
        found.problems.append("the evidence names no Cryptopay account")
    elif [str(named)] != projects:
        found.problems.append(f"the evidence names Cryptopay account {named}; the key in .env reads account "
                              f"{found.account}: verify with a key of the account the run used")


def _same_origin(first: str | None, second: str) -> bool:
    split = [urlsplit(str(u or "")) for u in (first, second)]
    return (split[0].scheme, split[0].hostname, split[0].port) == (split[1].scheme, split[1].hostname, split[1].port)


def check_at_cryptopay(evidence: Evidence, reviewer: Reviewer) -> Verification:
    """The sandbox part: the account, then every object, one read each with the reviewer's key. The reads are
    sequential; past the key's limit a GET answered 429 is retried after Cryptopay's Retry-After (the client's
    policy), so a large certification takes longer, never fails for it."""
    found = Verification(evidence)
    if not _same_origin(runs.api_url(evidence.info), reviewer.api_url):
        found.problems.append(f"the run talked to {runs.api_url(evidence.info)}, not to {reviewer.api_url}")
    client = CryptopayClient(reviewer.api_url, reviewer.api_key, reviewer.api_secret, timeout=30)
    try:
        check_account(found, client)
        check_objects(found, Reader(client))
    except TransportError as exc:
        raise CannotCheck(f"Cryptopay could not be read: {exc}") from None
    return found


def verify(path: Path, environ: dict[str, str]) -> Verification:
    """Everything a reviewer can check of one evidence folder. CannotCheck when a sandbox run cannot be read at
    Cryptopay (no key in .env, a key refused, Cryptopay unreachable)."""
    evidence = open_evidence(path)
    if not evidence.at_cryptopay:
        return Verification(evidence)
    try:
        return check_at_cryptopay(evidence, reviewer_from_env(environ))
    except CannotCheck as exc:
        if not evidence.integrity.problems:
            raise
        # Changed files already refuse the evidence: say so, and why Cryptopay was not asked as well.
        return Verification(evidence, problems=[f"not checked at Cryptopay: {exc}"])


def report_lines(found: Verification) -> list[str]:
    """What the reviewer reads: what was checked, then VERIFIED or every problem. Printable only: the evidence's
    words are the merchant's, and a forged file may carry escape codes meant for the reviewer's terminal."""
    evidence = found.evidence
    headline = evidence.summary.get("headline") or "no verdict"
    lines = [f"Evidence in {evidence.root}: {headline}",
             f"  files: {evidence.integrity.checked} match the manifest"]
    if evidence.at_cryptopay:
        lines.append(f"  account: {found.account or 'not read'} (the key in .env reads it)")
        lines.append(f"  objects: {found.objects_checked} re-read at Cryptopay" +
                     (f", {len(found.notes)} moved on since the run" if found.notes else ""))
        lines += [f"    {note}" for note in found.notes]
    problems = evidence.integrity.problems + found.problems
    if problems:
        lines.append(f"NOT VERIFIED: {len(problems)} problem{'s' if len(problems) > 1 else ''}")
        lines += [f"  - {problem}" for problem in problems]
    elif not evidence.at_cryptopay:
        where = evidence.target or "an unrecorded target"
        lines.append(f"a rehearsal: nothing at Cryptopay to check (the run talked to {where}); its files match "
                     "the manifest")
    else:
        lines.append("VERIFIED: every file matches the manifest, and Cryptopay shows the account and every object "
                     "as the evidence claims")
    return [printable(line) for line in lines]
