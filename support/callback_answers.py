"""Judges the merchant's answers to notifications the suite posted: rejection, acknowledgement, retry, wrong URL."""
from __future__ import annotations

from support.drivers.callbacks import Answer

# Only a signature check refuses a notification: anything else that is not 2xx says nothing about one.
REJECTIONS = (400, 401, 403)


def is_rejection(answer: Answer) -> bool:
    return answer in REJECTIONS and not isinstance(answer, bool)


def is_acknowledged(answer: Answer) -> bool:
    """Cryptopay documents exactly 200 as handled; anything else is a failed delivery it retries."""
    return answer == 200 and not isinstance(answer, bool)


def is_retryable(answer: Answer) -> bool:
    """What asks Cryptopay to come back later: a 5xx, or no answer in time. 4xx is a refusal, not "busy"."""
    if isinstance(answer, str):
        return answer.startswith("no answer within")
    return 500 <= answer < 600


def misses_the_handler(answer: Answer) -> bool:
    """No route, wrong method, a redirect, or nothing reachable: the URL, not the merchant's checks, answered."""
    return isinstance(answer, str) or answer in (404, 405) or 300 <= answer < 400


def explain(answer: Answer, url: str) -> str:
    """One phrase naming the answer and what it most likely means, naming MERCHANT_CALLBACK_URL where it is the
    likely culprit."""
    where = f"MERCHANT_CALLBACK_URL ({url})"
    if isinstance(answer, str):
        return f"{answer}: nothing answered at {where}; check the setting and that the endpoint is up"
    if 300 <= answer < 400:
        return (f"{answer}, a redirect: {where} does not reach the callback handler itself (redirects are not "
                "followed); set it to the final URL")
    if answer in (404, 405):
        return f"{answer}: there is no callback route at {where}; check the setting"
    if answer >= 500:
        return f"{answer}: the callback endpoint at {where} failed"
    return f"{answer}"


def rejection_problem(answers: list[Answer], how: str, url: str) -> str | None:
    """Why the answers are not a signature check refusing a bad notification; None when every one was."""
    wrong = [a for a in answers if not is_rejection(a)]
    if not wrong:
        return None
    if any(isinstance(a, int) and 200 <= a < 300 for a in wrong):
        return (f"the merchant accepted a {how} notification (answered {wrong}); it must refuse it with 400, 401 "
                "or 403 after checking X-Cryptopay-Signature over the raw body")
    reasons = "; ".join(sorted({explain(a, url) for a in wrong}))
    return (f"a {how} notification counts as rejected only when the merchant's signature check refuses it with "
            f"400, 401 or 403; it answered {reasons}")


def acknowledgement_problem(answers: list[Answer], url: str) -> str | None:
    """Why not every notification ended acknowledged (200); None when all did."""
    refused = [a for a in answers if not is_acknowledged(a)]
    if not refused:
        return None
    reasons = "; ".join(sorted({_refusal(a, url) for a in refused}))
    return (f"the merchant did not acknowledge {len(refused)} of {len(answers)} notifications (final answers: "
            f"{reasons}); Cryptopay treats anything but 200 as a failure and keeps retrying")


def _refusal(answer: Answer, url: str) -> str:
    if is_rejection(answer):  # a genuine, correctly signed notification refused by the signature check
        return (f"{answer}: a correctly signed notification was refused; verify X-Cryptopay-Signature over the exact "
                "raw bytes received, with the account's Callback Secret")
    return explain(answer, url)
