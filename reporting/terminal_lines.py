"""The run's terminal lines as text: a failure's Why and Fix, the progress counter, what the run will not run and why
(the pytest plugin support/plugins/scenario_lines.py writes them, as reporting writes the banner and the Markdown)."""
from __future__ import annotations

import textwrap
from dataclasses import dataclass

from checklists import PRODUCTS
from reporting.summary import reason_words

# An undiagnosed failure's first line, or a skip's reason, is cut between words past this many characters: the
# whole of it is in the evidence (and with -v, on the terminal too).
_FIRST_LINE_CHARACTERS = 300
_PRODUCT_ORDER = {product: n for n, product in enumerate(PRODUCTS)}


def failure_details(first: str) -> list[str]:
    """"Why (…): …" and "Fix: …" on lines of their own, whole; an undiagnosed failure's first line without the
    exception's Python name, cut between words when long."""
    words = reason_words(first)
    if words.startswith("Why (") and ". Fix: " in words:
        why, fix = words.split(". Fix: ", 1)
        return [f"{why}.", f"Fix: {fix}"]
    return [cut(words)]


def cut(text: str) -> str:
    return textwrap.shorten(text, width=_FIRST_LINE_CHARACTERS, placeholder=" …") or text[:_FIRST_LINE_CHARACTERS]


def duration(seconds: float) -> str:
    seconds = max(1, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes = round(seconds / 60)
    return f"{minutes}m" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"


@dataclass
class Plan:
    """What this run will do: the scenarios it runs, and those it will not, each with its reason."""
    total: int
    not_run: dict[str, str]  # nodeid -> reason, for scenarios selected but not run (not integrated, emulator only)
    groups: list[str]        # one line per product not integrated, one per other reason


def plan_of(manifest: dict | None, selected: int) -> Plan:
    """From the collected-scenarios manifest (reporting/manifest.py): what runs, and one line per reason what does
    not. Without a manifest every selected scenario counts."""
    entries = [e for e in (manifest or {}).get("scenarios", []) if e.get("selected", True)]
    if not entries:
        return Plan(selected, {}, [])
    not_run = {e["nodeid"]: e["not_run_reason"] for e in entries if e.get("not_run_reason")}
    by_reason: dict[str, dict[str, int]] = {}
    for entry in entries:
        if entry.get("not_run_reason"):
            counts = by_reason.setdefault(entry["not_run_reason"], {})
            counts[entry.get("product") or "other"] = counts.get(entry.get("product") or "other", 0) + 1
    groups = []
    for reason, counts in by_reason.items():
        counts = dict(sorted(counts.items(), key=lambda pair: _PRODUCT_ORDER.get(pair[0], len(PRODUCTS))))
        if reason.startswith("not integrated"):
            groups += [f"{product.capitalize()}: {reason}: its {n} scenario{'s' * (n != 1)} not run"
                       for product, n in counts.items()]
        else:
            n = sum(counts.values())
            which = ", ".join(f"{product} {count}" for product, count in counts.items())
            groups.append(f"{n} scenario{'s' * (n != 1)} not run here ({which}): {reason}")
    return Plan(len(entries) - len(not_run), not_run, groups)


def progress(done: int, total: int, elapsed: float) -> str:
    """[12/71  ~3m left]: the scenarios ended of those that run, and the time the rest should take at this run's
    pace so far."""
    total = max(total, done)
    left = "done"
    if 0 < done < total:
        left = f"~{duration(elapsed / done * (total - done))} left"
    width = len(str(total))
    return f"[{done:>{width}}/{total} {left:>11}]"
