"""The evidence's manifest: a SHA-256 digest of every file of the evidence, written when the evidence is built; a
check names each file changed, missing or added since.

It proves the files are the ones the run wrote, not who wrote them: whoever edits a file can write a new manifest
too. What ties the evidence to Cryptopay is reporting/verify.py; the manifest catches an edit made without care,
and the banner shows the summary's digest, so a reader compares the summary beside the report with the one it
was built with.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Iterable

MANIFEST_NAME = "go-live-manifest.json"
TITLE = "Cryptopay go-live evidence manifest"
_CHUNK = 1 << 20


def digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            sha.update(chunk)
    return sha.hexdigest()


def _inside(path: Path, root: Path) -> str | None:
    """path relative to root, in POSIX form, or None when it lies outside."""
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return None


def write_digest_manifest(output_dir: Path, results_dir: Path, names: Iterable[str]) -> Path:
    """Digests of the named evidence files in output_dir and of every file of the results (when they lie inside
    output_dir, as a run leaves them: reports/allure-results)."""
    output_dir = Path(output_dir)
    results = _inside(results_dir, output_dir)
    files = {name: digest(output_dir / name) for name in names if (output_dir / name).is_file()}
    if results is not None:
        for path in sorted(Path(results_dir).rglob("*")):
            if path.is_file() and not path.is_symlink():
                files[f"{results}/{path.relative_to(results_dir).as_posix()}"] = digest(path)
    document = {"manifest": TITLE, "algorithm": "sha256", "results": results, "files": files}
    path = output_dir / MANIFEST_NAME
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return path


@dataclass
class Integrity:
    """What the check found: problems name files, never their contents."""
    evidence_dir: Path
    results_dir: Path | None = None
    checked: int = 0
    problems: list[str] = field(default_factory=list)


def _safe_name(name: Any) -> bool:
    """A manifest entry names a file inside the evidence folder: relative, no "..", no drive or backslash."""
    if not isinstance(name, str) or not name or "\\" in name or ":" in name:
        return False
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts


def _read(evidence_dir: Path) -> tuple[dict[str, Any] | None, str | None]:
    try:
        document = json.loads((evidence_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, (f"{MANIFEST_NAME} is missing: nothing proves these files are the ones the run wrote (keep a "
                      "copy of the whole reports/ folder)")
    except (OSError, ValueError):
        return None, f"{MANIFEST_NAME} cannot be read as JSON"
    files = document.get("files") if isinstance(document, dict) else None
    if not isinstance(files, dict) or not all(_safe_name(n) and isinstance(d, str) for n, d in files.items()):
        return None, f"{MANIFEST_NAME} is not a manifest of files inside the evidence folder"
    results = document.get("results")
    if results is not None and not _safe_name(results):
        return None, f"{MANIFEST_NAME} names results outside the evidence folder"
    return document, None


def check_digest_manifest(evidence_dir: Path) -> Integrity:
    """Recomputes every digest; names each file changed, missing or not a plain file, and each result added."""
    evidence_dir = Path(evidence_dir)
    found = Integrity(evidence_dir)
    document, problem = _read(evidence_dir)
    if document is None:
        found.problems.append(str(problem))
        return found
    listed: dict[str, str] = document["files"]
    for name, recorded in sorted(listed.items()):
        path = evidence_dir / name
        if not path.exists():
            found.problems.append(f"{name} is missing (the run wrote it)")
        elif path.is_symlink() or not path.is_file():
            found.problems.append(f"{name} is not a plain file")
        elif digest(path) != recorded:
            found.problems.append(f"{name} changed since the run (SHA-256 {recorded[:16]}… then, "
                                  f"{digest(path)[:16]}… now)")
        else:
            found.checked += 1
    if document.get("results") is None:
        found.problems.append("the run's results are not inside the evidence folder: keep reports/ whole")
        return found
    found.results_dir = evidence_dir / document["results"]
    for path in sorted(found.results_dir.rglob("*")) if found.results_dir.is_dir() else []:
        name = f"{document['results']}/{path.relative_to(found.results_dir).as_posix()}"
        if name not in listed and (path.is_file() or path.is_symlink()):
            found.problems.append(f"{name} was added since the run")
    return found
