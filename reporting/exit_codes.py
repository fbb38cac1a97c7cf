"""certify.sh's exit codes, one table for a run, --merge and --verify: a CI gate reads the verdict the headline and
go-live-summary.json say, as CI asks Pact's can-i-deploy. Only a certification exits 0."""
from __future__ import annotations

from typing import Any

READY = 0  # a certification: every item of every certified product passed on the Cryptopay sandbox
NOT_READY = 1  # an item failed (or the verdict is one this version does not know: never 0)
NOT_BUILT = 2  # interrupted (pytest's own code), the tools not installed, or the evidence not built or read
NOT_CLEAN = 3  # a secret in the evidence: it was deleted
REFUSED = 4  # configuration or preflight problem; runs that cannot stand together (--merge)
PARTIAL = 10  # not every scenario ran (a subset, emulator-only scenarios on the sandbox, a stopped run)
REHEARSAL_PASSED = 11  # every item passed, on an emulator: a rehearsal, not a certification
NOT_VERIFIED = 12  # --verify/--merge: a file changed since the run, or an object not as claimed at Cryptopay
NOTHING_TO_CHECK = 13  # --verify: evidence of an emulator rehearsal, nothing at Cryptopay to check
NOT_PROVEN = 14  # nothing failed, but the environment or the run's configuration kept items from being proven

WORDS = {
    READY: "READY: a certification",
    NOT_READY: "NOT READY: an item failed",
    NOT_BUILT: "interrupted, or the evidence could not be built or read",
    NOT_CLEAN: "a secret was found in the evidence: it was deleted",
    REFUSED: "configuration or preflight problem, or runs that cannot be merged",
    PARTIAL: "PARTIAL: not every scenario ran",
    REHEARSAL_PASSED: "ALL ITEMS PASS on an emulator: a rehearsal, not a certification",
    NOT_VERIFIED: "NOT VERIFIED: a file changed since the run, or Cryptopay does not show what the evidence claims",
    NOTHING_TO_CHECK: "a rehearsal's evidence: nothing at Cryptopay to check",
    NOT_PROVEN: "NOT PROVEN: an outage or the run's configuration kept items from being proven; nothing failed",
}


def for_verdict(summary: dict[str, Any]) -> int:
    """The code of a summary's verdict. A "ready" from a summary written before rehearsals had their own value
    counts only as a certification."""
    overall = summary.get("overall")
    if overall == "ready":
        return READY if summary.get("certification") is True else REHEARSAL_PASSED
    return {"partial": PARTIAL, "rehearsal_passed": REHEARSAL_PASSED, "not proven": NOT_PROVEN}.get(str(overall),
                                                                                                  NOT_READY)
