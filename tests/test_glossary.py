"""One word per idea across the three products: the features never use a word docs/glossary.md says not to use, and
every word the glossary defines is one the features use (the glossary stays in sync with features/)."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "docs" / "glossary.md"
FEATURES = ROOT / "features"
# A feature's description quotes Cryptopay's checklist in Cryptopay's own words: those lines keep them.
QUOTED = re.compile(r"^\s*- (Invoices|Channels|Payouts) item \d+:")


def table(section: str, text: str | None = None) -> list[list[str]]:
    """The rows of the Markdown table under the heading `## {section}`, header and rule left out."""
    lines = (GLOSSARY.read_text(encoding="utf-8") if text is None else text).splitlines()
    start = lines.index(f"## {section}")
    rows = []
    for line in lines[start + 1:]:
        if line.startswith("## "):
            break
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows[2:]


def offences(text: str, avoided: list[list[str]]) -> list[str]:
    """'line N: "word" (use: ...)' for each word not to use, as the start of a word, outside Cryptopay's quotes."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if QUOTED.match(line):
            continue
        found += [f'line {number}: "{match.group(0)}" (use: {use})' for use, word in avoided
                  for match in re.finditer(rf"\b{re.escape(word)}\w*", line, re.IGNORECASE)]
    return found


def features_text() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(FEATURES.rglob("*.feature")))


def test_the_features_use_one_word_per_idea() -> None:
    avoided = table("Use one word per idea")
    assert len(avoided) >= 4, "the glossary's table of words not to use is missing"
    found = [f"{path.relative_to(ROOT)} {offence}" for path in sorted(FEATURES.rglob("*.feature"))
             for offence in offences(path.read_text(encoding="utf-8"), avoided)]
    assert not found, "docs/glossary.md lists these words as not to use:\n" + "\n".join(found)


def test_the_check_finds_a_word_not_to_use_and_spares_cryptopays_own_words() -> None:
    avoided = [["payout", "withdrawal"], ["refused", "reject"]]
    feature = ("Feature: Withdrawals are paid out\n  Proves, in Cryptopay's words:\n"
               "  - Payouts item 7: a withdrawal request\n  Scenario: A forged one is rejected\n"
               "    When the customer asks to withdraw 20.00 EUR\n")
    assert offences(feature, avoided) == ['line 1: "Withdrawals" (use: payout)',
                                          'line 4: "rejected" (use: refused)']


def test_every_word_the_glossary_defines_is_one_the_features_use() -> None:
    text = features_text().lower()
    defined = [word.strip() for row in table("Words") for word in row[0].split(",")]
    preferred = [row[0].split("(")[0].strip() for row in table("Use one word per idea")]
    assert len(defined) > 20
    unused = [word for word in defined + preferred if re.sub(r"\s*\(.*\)", "", word).lower() not in text]
    assert not unused, f"docs/glossary.md defines words no feature uses (remove them, or use them): {unused}"


# A setting's name (PAYOUT_AMOUNT_FIELD) or an API code (high_risk_address, paid_late) is technical: the glossary maps
# the features' words to them. Payouts item 1 is about two fields by name, so the features may name those two.
TECHNICAL = re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|\b[a-z0-9]+_[a-z0-9_]+\b")
NAMED_BY_THE_CHECKLIST = {"charged_amount", "charged_amount_to_send"}


def technical_words(text: str) -> list[str]:
    """'line N: "word"' for each setting name or API code outside tags and Cryptopay's quotes."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if QUOTED.match(line) or line.strip().startswith("@"):
            continue
        found += [f'line {number}: "{word}"' for word in TECHNICAL.findall(line) if word not in NAMED_BY_THE_CHECKLIST]
    return found


def test_the_features_name_no_setting_and_no_api_code() -> None:
    found = [f"{path.relative_to(ROOT)} {word}" for path in sorted(FEATURES.rglob("*.feature"))
             for word in technical_words(path.read_text(encoding="utf-8"))]
    assert not found, "settings and API codes belong in docs/glossary.md, not in the features:\n" + "\n".join(found)


def test_the_check_finds_settings_and_api_codes_but_not_tags_or_quotes() -> None:
    feature = ("@payouts @payouts_7 @emulator_only\nFeature: Payouts\n  - Payouts item 7: the high_risk_address error\n"
               "  The merchant declares which one (PAYOUT_AMOUNT_FIELD); Cryptopay answers high_risk_address.\n"
               "      | charged_amount | the amount |\n")
    assert technical_words(feature) == ['line 4: "PAYOUT_AMOUNT_FIELD"', 'line 4: "high_risk_address"']
