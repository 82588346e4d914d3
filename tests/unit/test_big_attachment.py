"""An attachment over MAX_ATTACHMENT_BYTES: `minutes build` and `minutes check` skip it with the
pipeline's warning (services/publish.py), deciding by its size before reading it (decision 85).
Sparse files (truncate) keep these cheap: a file is never filled in."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from minutes.build import build
from minutes.check import check_paths
from minutes.meeting import MAX_ATTACHMENT_BYTES, too_big
from tests.support.sources import PDF

SITE = "https://minutes.example.org"
FOLDER = "wg/2024-01-03-review"
NOTES = b"# Review\n\nSee the [slides](slides.pdf) and the [chart](chart.pdf).\n"


def sources(tmp_path: Path, size: int) -> Path:
    src = tmp_path / "src"
    (src / FOLDER).mkdir(parents=True)
    (src / FOLDER / "NOTES.md").write_bytes(NOTES)
    (src / FOLDER / "chart.pdf").write_bytes(PDF)
    with open(src / FOLDER / "slides.pdf", "wb") as handle:
        handle.truncate(size)
    (src / "wg" / "2024-01-04-other.md").write_bytes(b"# Other\n\nsome text here\n")
    return src


def site(out: Path) -> set[str]:
    return {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}


def expected_warning(size: int):
    return too_big(f"minutes/{FOLDER}/slides.pdf", size, MAX_ATTACHMENT_BYTES)


def test_build_skips_it_with_the_pipelines_warning_and_builds_the_rest(tmp_path):
    size = MAX_ATTACHMENT_BYTES + 1
    src, out = sources(tmp_path, size), tmp_path / "site"
    result = build(src, out, site_url=SITE, workers=1)
    files = site(out)
    assert f"{FOLDER}/chart.pdf" in files and f"{FOLDER}/index.html" in files
    assert f"{FOLDER}/slides.pdf" not in files
    assert "wg/2024-01-04-other/index.html" in files and not result.rejected
    found = [p for problems in result.warnings.values() for p in problems
             if p.code == "attachment-too-large"]
    assert found == [expected_warning(size)]
    assert "(26,214,401 bytes) is not published" in found[0].message


def test_at_the_limit_it_is_published(tmp_path):
    src, out = sources(tmp_path, MAX_ATTACHMENT_BYTES), tmp_path / "site"
    result = build(src, out, site_url=SITE, workers=1)
    assert (out / FOLDER / "slides.pdf").stat().st_size == MAX_ATTACHMENT_BYTES
    assert not any(p.code == "attachment-too-large" for ps in result.warnings.values() for p in ps)


def test_check_reports_it(tmp_path):
    size = 3 * 1024 ** 3
    src = sources(tmp_path, size)
    verdicts = check_paths([src], workers=1)
    problems = [p for v in verdicts for p in v.problems if p.code == "attachment-too-large"]
    assert problems == [expected_warning(size)]
    assert all(v.valid for v in verdicts) and len(verdicts) == 2


def test_a_rebuild_publishes_it_once_it_is_small_enough_and_removes_it_once_too_big(tmp_path):
    src, out, cache = sources(tmp_path, MAX_ATTACHMENT_BYTES + 1), tmp_path / "site", tmp_path / "cache"
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    os.truncate(src / FOLDER / "slides.pdf", 1000)
    again = build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    assert (out / FOLDER / "slides.pdf").stat().st_size == 1000 and not any(
        p.code == "attachment-too-large" for ps in again.warnings.values() for p in ps)
    os.truncate(src / FOLDER / "slides.pdf", MAX_ATTACHMENT_BYTES + 5)
    last = build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    assert not (out / FOLDER / "slides.pdf").exists()
    assert [p for ps in last.warnings.values() for p in ps if p.code == "attachment-too-large"] \
        == [expected_warning(MAX_ATTACHMENT_BYTES + 5)]


def test_it_is_never_read_so_memory_stays_flat(tmp_path):
    """A 1 GiB sparse deck: build (cold, then with its cache after the deck changed) and check
    each peak far below the deck's size (they read it whole before: RSS past its size)."""
    src = sources(tmp_path, 1024 ** 3)
    script = ("import sys; from pathlib import Path; from minutes.build import build; "
              "from minutes.check import check_paths; src, tmp = Path(sys.argv[1]), Path(sys.argv[2]); "
              "build(src, tmp / 'site', site_url='https://x.org', workers=1, cache_dir=tmp / 'cache'); "
              "import os; os.truncate(src / sys.argv[3], 1024 ** 3 + 1); "
              "build(src, tmp / 'site', site_url='https://x.org', workers=1, cache_dir=tmp / 'cache'); "
              "check_paths([src], workers=1); "
              # VmHWM: this process's own peak (ru_maxrss keeps the forking pytest's across exec)
              "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))")
    done = subprocess.run([sys.executable, "-c", script, str(src), str(tmp_path),
                           f"{FOLDER}/slides.pdf"], check=True, capture_output=True, text=True)
    peak_mib = int(done.stdout.split()[-1]) / 1024
    assert peak_mib < 256
