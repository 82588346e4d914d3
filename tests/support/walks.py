"""What `minutes build`, `minutes check`, `minutes upload DIR` and `minutes sync` each say of
one folder (tests/unit/test_walks_agree.py): their errors, and their warnings on files they
do not publish, as comparable sets. Importable by a subprocess run without root's power to
read any file (`python -c "from tests.support.walks import main; main()" SRC OUT`)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from minutes.build import build
from minutes.check import check_paths
from minutes.services.upload import Uploader, scan_paths

SITE = "https://minutes.example.org"
UNPUBLISHED = ("attachment-type", "attachment-too-large", "attachment-alone")


class EmptyBucket:
    """A bucket that holds nothing yet and takes every upload (no verdicts: --wait 0)."""

    def __init__(self):
        self.put_keys: list[str] = []

    def listing(self, prefix: str) -> dict:
        return {}

    def put(self, key: str, data: bytes) -> str:
        self.put_keys.append(key)
        return f"v{len(self.put_keys)}"

    def delete(self, key: str) -> str:
        raise AssertionError("nothing to delete in an empty bucket")

    def get_report(self, key: str) -> None:
        return None


def _errors(found) -> list:
    """(code, message, hint, file) of each error among (problem, the key it was said of):
    build names the file a problem without one is about (Problem.in_file), check by its
    verdict's key, to the same effect on screen."""
    return sorted({(p.code, p.message, p.hint, p.file or key) for p, key in found if p.is_error})


def _unpublished(problems) -> list:
    return sorted({(p.code, p.message, p.file) for p in problems if p.code in UNPUBLISHED})


def said_by_all(src: Path, out: Path) -> dict[str, dict[str, list]]:
    """command -> {"errors": [(code, message, hint, file)], "unpublished": [(code, message,
    file)]}: a first `upload SRC` and `sync SRC` to an empty bucket check every meeting."""
    said = {}
    built = build(src, out, site_url=SITE, workers=1)
    said["build"] = {"errors": _errors((p, k) for k, ps in built.rejected.items() for p in ps),
                     "unpublished": _unpublished(p for ps in built.warnings.values() for p in ps)}
    verdicts = check_paths([src], workers=1)
    said["check"] = {"errors": _errors((p, v.key) for v in verdicts for p in v.problems),
                     "unpublished": _unpublished(p for v in verdicts for p in v.problems)}
    scan = scan_paths([src])
    for name, run in (("upload", lambda up: up.upload(scan.files, scan.refused, scan.named)),
                      ("sync", lambda up: up.sync(src))):
        outcome = run(Uploader(EmptyBucket(), wait_seconds=0))
        said[name] = {"errors": _errors((p, v.key) for v in outcome.rejected_locally
                                        for p in v.problems),
                      "unpublished": _unpublished(why for _, why in outcome.held_back)}
    return said


def main() -> None:
    src, out = Path(sys.argv[1]), Path(sys.argv[2])
    print(json.dumps(said_by_all(src, out)))


class FullBucket(EmptyBucket):
    """A bucket that holds `held` (each under an ETag no local file has) and records deletes."""

    def __init__(self, held: list[str]):
        super().__init__()
        self.held, self.deleted = held, []

    def listing(self, prefix: str) -> dict:
        return {key: ("held", 1) for key in self.held}

    def delete(self, key: str) -> str:
        self.deleted.append(key)
        return "deleted"


def sync_deleting() -> None:
    """`sync --delete` of SRC (argv[1]) to a bucket holding the keys in argv[2] (JSON): the keys
    it deleted and the files its source-unreadable errors are about, as JSON."""
    src, held = Path(sys.argv[1]), json.loads(sys.argv[2])
    bucket = FullBucket(held)
    outcome = Uploader(bucket, wait_seconds=0).sync(src, delete=True)
    print(json.dumps({"deleted": bucket.deleted,
                      "refused": [p.file for v in outcome.rejected_locally for p in v.problems
                                  if p.code == "source-unreadable"]}))
