"""python -m reporting.screenshots DIR: builds a READY, a NOT READY, a PARTIAL and a NOT PROVEN sample report and
screenshots each first screen from file://, so anyone can see what a reviewer sees."""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from reporting.browser import BrowserMissing, first_screen, screenshot
from reporting.build import build
from reporting.samples import write_sample

VERDICTS = {"ready": "ready", "not-ready": "not ready", "partial": "partial", "not-proven": "not proven"}


def shoot(output: Path) -> list[Path]:
    pngs = []
    with tempfile.TemporaryDirectory(prefix="report-samples-") as scratch:
        for slug, verdict in VERDICTS.items():
            built = build(write_sample(Path(scratch) / slug / "results", verdict), Path(scratch) / slug)
            shown = first_screen(built.evidence)
            png = screenshot(built.evidence, output / f"go-live-{slug}.png")
            print(f"{png}: {shown.headline!r}, {len(shown.rows)} of 14 item rows on the first screen, "
                  f"{len(shown.outside_requests)} outside requests")
            pngs.append(png)
    return pngs


def main(argv: list[str]) -> int:
    output = Path(argv[0]) if argv else Path("reports/screenshots")
    try:
        shoot(output)
    except BrowserMissing as exc:
        print(f"no screenshots: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
