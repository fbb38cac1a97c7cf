"""Evidence of resent notifications: how many copies were answered how, and a warning when some were retried."""
from __future__ import annotations

from support.domain.resend import ResendResult
from support.evidence.attachments import Evidence


def attach_storm(result: ResendResult, name: str, evidence: Evidence) -> None:
    evidence.attach_json(name, {"how": result.how, "final_answers": _counts(result.answers)})
    warn_about_retries(result, evidence)


def warn_about_retries(result: ResendResult, evidence: Evidence) -> None:
    """A busy merchant may answer 5xx and be retried: not a failure, but the reviewer should see it."""
    if result.retried:
        evidence.attach_json("Warning: notifications answered 5xx (or not in time) before being acknowledged", {
            "notifications_retried": len(result.retried), "answers_of_each": [list(h) for h in result.retried],
            "meaning": "the merchant asked Cryptopay to retry; each was re-posted as Cryptopay retries, and only "
                       "the last answer counts for the acknowledgement"})


def _counts(answers: list) -> dict[str, int]:
    return {str(answer): answers.count(answer) for answer in sorted(set(answers), key=str)}
