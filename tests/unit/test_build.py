"""`minutes build SRC --out SITE`: a folder of minutes -> a static site, deterministic."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pytest

from minutes.build import _create, build, gather, write_site
from minutes.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, main
from minutes.problems import MinutesError
from minutes.regular_file import read_regular
from minutes.site import SiteFile
from tests.support.sources import PDF, write

SITE = "https://minutes.example.org"


@pytest.fixture
def src(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    meeting = root / "openxla" / "2022-09-20-community-meeting"
    write(meeting / "NOTES.md", "# Community meeting\n\nSlides: [deck](%5BPublic%5D%20Deck.pdf)\n\n"
                                "## Notes\n\n- Vec<T> discussed\n- roadmap\n")
    write(meeting / "AGENDA.md", "# Agenda\n\n1. Welcome\n")
    write(meeting / "[Public] Deck.pdf", PDF)
    write(root / "openxla" / "2022-10-18-sync.md", "# October sync\n\n- a\n- b\n- c\n")
    write(root / "rust-lang" / "2019-04-18.md", "# Lang team\n\n- a\n- b\n- c\n")
    write(root / "rust-lang" / "2019.04.25.md", "# Lang team, again\n\n- a\n- b\n- c\n")
    write(root / "rust-lang" / "2019-05-02.md", "---\ndraft: true\n---\n# Draft\n\n- a\n- b\n")
    write(root / "k8s" / "meeting-notes-2024.md", "# Notes\n\n## Dec 31, 2024\n\n- a\n\n## Dec 24, 2024\n\n- b\n")
    write(root / "k8s" / "weekly.md", "# Weekly\n\n- no date anywhere\n")
    write(root / "openxla" / ".DS_Store", b"\x00\x00")
    return root


def site_bytes(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_gather_groups_files_by_meeting(src):
    meetings = gather(src)
    assert sorted(meetings) == [("k8s", "meeting-notes-2024"), ("k8s", "weekly"),
                                ("openxla", "2022-09-20-community-meeting"),
                                ("openxla", "2022-10-18-sync"), ("rust-lang", "2019-04-18"),
                                ("rust-lang", "2019-05-02"), ("rust-lang", "2019.04.25")]
    assert len(meetings[("openxla", "2022-09-20-community-meeting")]) == 3


def test_build_writes_pages_index_and_feeds(src, tmp_path):
    out = tmp_path / "site"
    result = build(src, out, site_url=SITE, workers=1)
    files = site_bytes(out)
    for path in ("index.html", "feed.xml", "atom.xml", "sitemap.xml", "404.html", "robots.txt",
                 "openxla/index.html", "openxla/feed.xml", "openxla/atom.xml",
                 "openxla/2022-09-20-community-meeting/index.html",
                 "openxla/2022-09-20-community-meeting/[Public] Deck.pdf",
                 "openxla/2022-10-18-sync/index.html",
                 "rust-lang/2019-04-18/index.html", "rust-lang/2019-04-25/index.html",
                 "rust-lang/_drafts/2019-05-02/index.html"):
        assert path in files, path
    assert files["openxla/2022-09-20-community-meeting/[Public] Deck.pdf"] == PDF
    page = files["openxla/2022-09-20-community-meeting/index.html"].decode()
    assert "Community meeting" in page and "Vec&lt;T&gt;" in page
    # The page links its slides (pages.py may write the link relative to the page).
    assert ('href="/openxla/2022-09-20-community-meeting/%5BPublic%5D%20Deck.pdf"' in page
            or 'href="%5BPublic%5D%20Deck.pdf"' in page)
    feed = files["feed.xml"].decode()
    assert "October sync" in feed and "Draft" not in feed
    assert "tag:minutes.example.org,2022:openxla/2022-09-20-community-meeting" in files["atom.xml"].decode()
    assert not any(name.endswith(".DS_Store") for name in files)
    assert len(result.records) == 7 and result.written == len(files)
    # The running-notes file is two meetings, each at its date.
    assert "k8s/2024-12-31/index.html" in files and "k8s/2024-12-24/index.html" in files
    assert list(result.rejected) == ["minutes/k8s/weekly.md"]
    assert result.rejected["minutes/k8s/weekly.md"][0].code == "date-missing"


def test_the_same_sources_give_the_same_bytes(src, tmp_path):
    build(src, tmp_path / "one", site_url=SITE, workers=1)
    build(src, tmp_path / "two", site_url=SITE, workers=2)
    one, two = site_bytes(tmp_path / "one"), site_bytes(tmp_path / "two")
    assert one.keys() == two.keys()
    assert [k for k in one if one[k] != two[k]] == []


def test_write_site_refuses_to_leave_the_folder_or_write_twice(tmp_path, monkeypatch):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    with pytest.raises(MinutesError):
        write_site([SiteFile("/g/x/../../../outside.txt", b"x", "text/plain")], tmp_path / "site")
    with pytest.raises(MinutesError):
        write_site([SiteFile("/a.txt", b"1", "text/plain"), SiteFile("/a.txt", b"2", "text/plain")],
                   tmp_path / "site")
    assert list(temporary.iterdir()) == []   # the refused writes left no temporary store behind


@pytest.mark.parametrize("link", ["openxla", "openxla/2022", "index.html", "openxla/2022/index.html"])
def test_a_symbolic_link_planted_in_the_site_folder_is_never_written_through(src, tmp_path, link, capsys):
    out, outside = tmp_path / "site", tmp_path / "outside"
    build(src, out, site_url=SITE, workers=1)
    outside.mkdir()
    planted = out / link
    if planted.is_dir():
        for child in planted.iterdir():                      # what the link would let it overwrite
            if child.is_file():
                (outside / child.name).write_bytes(b"not the site's")
        shutil.rmtree(planted)
        planted.symlink_to(outside, target_is_directory=True)
    else:
        (outside / "victim").write_bytes(b"not the site's")
        planted.unlink()
        planted.symlink_to(outside / "victim")
    before = {p.name: p.read_bytes() for p in outside.iterdir()}
    assert before and set(before.values()) == {b"not the site's"}
    with pytest.raises(MinutesError, match="refusing to write through a symbolic link"):
        build(src, out, site_url=SITE, workers=1)
    assert main(["build", str(src), "--out", str(out), "--base-url", SITE, "--jobs", "1"]) == EXIT_USAGE
    assert "minutes build: refusing to write through a symbolic link" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in outside.iterdir()} == before


@pytest.mark.parametrize("below", ["new/index.html", "new/deeper/index.html", "index.html"])
def test_a_linked_folder_is_refused_before_any_folder_is_made_through_it(tmp_path, below):
    site, outside = tmp_path.resolve() / "site", tmp_path.resolve() / "outside"
    site.mkdir()
    outside.mkdir()
    (site / "openxla").symlink_to(outside, target_is_directory=True)
    with pytest.raises(MinutesError, match="refusing to write through a symbolic link"):
        _create(str(site / "openxla" / below), set())
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("fresh", [False, True])
def test_a_link_or_file_met_in_a_checked_folder_is_refused_and_a_hard_link_kept(tmp_path, fresh):
    """A folder made in a checked one (its mkdir failing when something is there already) and
    a file created there (exclusively first when `fresh`) never go through a link, and a file
    already there with another name keeps its bytes, as with the checks before the create."""
    site, outside = tmp_path.resolve() / "site", tmp_path.resolve() / "outside"
    site.mkdir()
    outside.mkdir()
    (site / "meeting").symlink_to(outside, target_is_directory=True)
    (site / "feed.xml").symlink_to(outside / "victim")
    (site / "notes").write_bytes(b"a file where a folder goes")
    (outside / "kept").write_bytes(b"old bytes")
    (site / "index.html").hardlink_to(outside / "kept")
    folders = {str(site)}
    for target in (site / "meeting" / "index.html", site / "feed.xml"):
        with pytest.raises(MinutesError, match="refusing to write through a symbolic link"):
            _create(str(target), folders, fresh=fresh)
    with pytest.raises(FileExistsError):
        _create(str(site / "notes" / "index.html"), folders, fresh=fresh)
    os.close(_create(str(site / "index.html"), folders, fresh=fresh))
    assert sorted(p.name for p in outside.iterdir()) == ["kept"]
    assert (outside / "kept").read_bytes() == b"old bytes" and (site / "index.html").stat().st_size == 0
    os.close(_create(str(site / "new" / "index.html"), folders, fresh=fresh))
    assert (site / "new" / "index.html").is_file() and str(site / "new") in folders


@pytest.mark.parametrize("size", [0, 1, 70_000, 300_001])
def test_a_source_is_read_whole(tmp_path, size):
    path = tmp_path / "2024-01-01-x.md"
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    path.write_bytes(data)
    assert read_regular(str(path))[0] == data
    assert read_regular(str(path), limit=size)[0] == data
    if size:
        assert read_regular(str(path), limit=size - 1)[0] is None   # over the limit: not read


def test_the_build_command(src, tmp_path, capsys):
    out = tmp_path / "site"
    assert main(["build", str(src), "--out", str(out), "--base-url", SITE, "--jobs", "1"]) == EXIT_INVALID
    captured = capsys.readouterr()
    assert "built 7 meetings" in captured.out and "1 rejected" in captured.out
    assert "error date-missing" in captured.err
    (src / "k8s" / "weekly.md").unlink()
    assert main(["build", str(src), "--out", str(out), "--base-url", SITE, "--jobs", "1"]) == EXIT_OK
    assert main(["build", str(tmp_path / "nope"), "--out", str(out)]) == EXIT_USAGE


def test_the_build_program_ends_with_its_code_and_all_it_printed(src, tmp_path):
    """Run as the `minutes` program, a build ends the process at once (cli._end_now, no
    interpreter teardown): its exit code, every line it printed and its site still come out,
    with one process or two."""
    command = [sys.executable, "-c", "import sys; from minutes.cli import main; sys.exit(main())",
               "build", str(src), "--out", str(tmp_path / "site"), "--base-url", SITE,
               "--cache-dir", str(tmp_path / "cache")]
    for jobs, code in (("1", EXIT_INVALID), ("2", EXIT_INVALID)):
        done = subprocess.run([*command, "--jobs", jobs], capture_output=True, text=True, timeout=120)
        assert done.returncode == code, done.stderr
        assert "built 7 meetings" in done.stdout and "1 rejected" in done.stdout
        assert "error date-missing" in done.stderr
    (src / "k8s" / "weekly.md").unlink()
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == EXIT_OK and "(0 rejected" in done.stdout, done.stderr
    assert site_bytes(tmp_path / "site") == site_bytes(_fresh(src, tmp_path / "fresh"))


def _fresh(src: Path, out: Path) -> Path:
    build(src, out, site_url=SITE, workers=1)
    return out


# -- rebuilds: the cache folder -------------------------------------------------------------


def test_a_rebuild_with_nothing_changed_reuses_everything_and_writes_nothing(src, tmp_path):
    out, cache = tmp_path / "site", tmp_path / "cache"
    first = build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    before = site_bytes(out)
    again = build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    assert site_bytes(out) == before
    # Every meeting built reused (a running-notes file's sections each one), no rejected file.
    assert (again.reused, again.written, again.files) == (len(again.records), 0, len(before))
    assert again.rejected == first.rejected and again.records == first.records


def test_a_rebuild_counts_as_unchanged_the_meetings_it_reused_and_rejected_files_as_rejected(
        tmp_path, capsys):
    """The summary said 'built 3 meetings (6 unchanged)': each rejected file the cache held was
    counted as an unchanged meeting (decision 101). Unchanged counts meetings built, as 'built'
    does; a rejected file is counted as rejected, each build, as check rejects it."""
    root = tmp_path / "src"
    write(root / "grp" / "2024-01-01-a.md", "# A\n\n- a\n- b\n")
    write(root / "grp" / "2024-01-02-b.md", "# B\n\n- a\n- b\n")
    write(root / "grp" / "2024-01-03-c" / "NOTES.md", "# C\n\n- a\n- b\n")
    write(root / "k8s" / "meeting-notes-2024.md", "# Notes\n\n## Dec 31, 2024\n\n- a\n\n## Dec 24, 2024\n\n- b\n")
    rejected = {"minutes/grp/2024-02-01-empty/notes.txt": "no-documents",   # no Markdown
                "minutes/grp/weekly.md": "date-missing",
                "minutes/grp/2024-13-45-bad.md": "date-missing",
                "minutes/bad group/2024-01-01-x.md": "group-name"}          # a key-shape error
    for key in rejected:
        write(root / key.removeprefix("minutes/"), "# Rejected\n\n- a\n- b\n")
    out, cache = tmp_path / "site", tmp_path / "cache"
    first = build(root, out, site_url=SITE, workers=1, cache_dir=cache)
    again = build(root, out, site_url=SITE, workers=1, cache_dir=cache)
    assert (len(first.records), first.reused) == (5, 0)
    assert (len(again.records), again.reused) == (5, 5)   # not 5 + the 4 rejected files
    for result in (first, again):
        assert {name: [p.code for p in problems] for name, problems in result.rejected.items()} \
            == {key: [code] for key, code in rejected.items()}
    capsys.readouterr()
    assert main(["build", str(root), "--out", str(out), "--base-url", SITE,
                 "--cache-dir", str(cache), "--jobs", "1"]) == EXIT_INVALID
    summary = capsys.readouterr().out
    assert "built 5 meetings (5 unchanged), " in summary and "(4 rejected, " in summary


def test_the_progress_bar_counts_sources_not_meetings(tmp_path, capsys):
    """A running-notes file is many meetings and a rejected file none: the bar said '2/2
    meetings' above 'built 3 meetings' (decision 108); it counts the sources it assembles."""
    root = tmp_path / "src"
    write(root / "k8s" / "meeting-notes-2024.md",
          "# Notes\n\n## Dec 31, 2024\n\n- a\n\n## Dec 24, 2024\n\n- b\n\n## Dec 17, 2024\n\n- c\n")
    write(root / "grp" / "weekly.md", "# Weekly\n\n- no date anywhere\n")
    assert main(["build", str(root), "--out", str(tmp_path / "site"), "--no-cache",
                 "--jobs", "1"]) == EXIT_INVALID
    said = capsys.readouterr()
    assert said.err.splitlines()[0] == f"  [{'#' * 30}] 2/2 sources"
    assert said.err.splitlines()[1].endswith(" pages and feeds")   # the second stage's last line
    assert said.out.startswith("built 3 meetings (0 unchanged), ") and "(1 rejected, " in said.out


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_progress_bar_is_full_only_when_pages_and_feeds_are_written(tmp_path, capsys,
                                                                        monkeypatch, jobs):
    """The bar was full once the sources were assembled, while the pages and feeds (a third of
    a cold build) were still to write. A second stage counts them: each page rendered, and
    each scope's feeds as one; it is full only once every one is written (decision 118)."""
    from minutes import build as build_module
    root = tmp_path / "src"
    for n in range(1, 6):
        write(root / "g" / f"2024-01-0{n}-m.md", f"# M{n}\n\n- a\n- b\n- c\n")
    write(root / "h" / "2024-02-01-x.md", "# X\n\n- a\n- b\n- c\n")
    seen, site = [], tmp_path / "site"
    monkeypatch.setattr(build_module, "print_progress",   # with the meeting pages on disk then
                        lambda done, total, stage="sources": seen.append(
                            (done, total, stage, len(list(site.glob("*/2024-*/index.html"))))))
    assert main(["build", str(root), "--out", str(tmp_path / "site"), "--no-cache",
                 "--jobs", jobs]) == EXIT_OK
    stages = [s for *_, s, _ in seen]
    assert stages == sorted(stages, key=["sources", "pages and feeds"].index)   # in turn
    assert seen[len([s for s in stages if s == "sources"]) - 1][:3] == (6, 6, "sources")
    second = [entry for entry in seen if entry[2] == "pages and feeds"]
    # six meeting pages + the site's feeds + two groups' feeds; full once all six are written
    assert second[-1][:2] == (9, 9) and second[-1][3] == 6
    assert all(done < total for done, total, *_ in second[:-1])
    assert [done for done, *_ in second] == sorted(done for done, *_ in second)
    real_bar = capsys.readouterr().err   # not a terminal: each stage's last line only
    assert "pages and feeds" not in real_bar   # print_progress was replaced above


def test_a_cached_build_has_the_bytes_of_a_fresh_one(src, tmp_path):
    build(src, tmp_path / "fresh", site_url=SITE, workers=2)
    build(src, tmp_path / "cached", site_url=SITE, workers=2, cache_dir=tmp_path / "cache")
    build(src, tmp_path / "cached", site_url=SITE, workers=2, cache_dir=tmp_path / "cache")
    assert site_bytes(tmp_path / "cached") == site_bytes(tmp_path / "fresh")


def test_after_one_change_the_site_equals_a_fresh_build_and_only_what_changed_is_written(src, tmp_path):
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    before = site_bytes(out)
    write(src / "openxla" / "2022-10-18-sync.md", "# October sync, corrected\n\n- a\n- b\n- c\n- d\n")
    result = build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    build(src, tmp_path / "fresh", site_url=SITE, workers=1)
    after = site_bytes(out)
    assert after == site_bytes(tmp_path / "fresh")
    changed = {k for k in after if after[k] != before.get(k)}
    assert "openxla/2022-10-18-sync/index.html" in changed
    assert "openxla/2022-09-20-community-meeting/index.html" in changed   # its "newer" link
    assert not any(k.startswith("rust-lang/2019") for k in changed)
    assert result.written == len(changed) and result.reused == len(result.records) - 1


def test_a_removed_meeting_and_its_attachment_leave_the_site(src, tmp_path):
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    for path in (src / "openxla" / "2022-09-20-community-meeting").iterdir():
        path.unlink()
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    build(src, tmp_path / "fresh", site_url=SITE, workers=1)
    assert site_bytes(out) == site_bytes(tmp_path / "fresh")


def test_a_file_changed_in_the_site_folder_is_written_again(src, tmp_path):
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    before = site_bytes(out)
    (out / "openxla" / "2022-10-18-sync" / "index.html").write_text("tampered")
    (out / "feed.xml").unlink()
    result = build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    assert site_bytes(out) == before and result.written == 2


def test_a_damaged_or_foreign_cache_is_a_cold_build_not_a_failure(src, tmp_path):
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    before = site_bytes(out)
    for entry in (cache / "records").iterdir():
        entry.write_bytes(b"not a pickle")
    (cache / "state.pickle").write_bytes(b"\x80\x05garbage")
    result = build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    assert site_bytes(out) == before and result.reused == 0
    # A damaged record found only when a page needs it again: the build starts over, cold.
    for entry in (cache / "records").iterdir():
        entry.write_bytes(b"not a pickle")
    write(src / "openxla" / "2022-10-18-sync.md", "# October sync, corrected\n\n- a\n- b\n- c\n- d\n")
    result = build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    build(src, tmp_path / "fresh", site_url=SITE, workers=1)
    assert site_bytes(out) == site_bytes(tmp_path / "fresh") and result.reused == 0
    other = build(src, out, site_url="https://other.example.org", workers=1, cache_dir=cache)
    assert other.reused == 0 and b"https://other.example.org/" in (out / "feed.xml").read_bytes()


def test_a_meeting_deleted_before_a_build_that_finds_the_cache_damaged_leaves_the_site(src, tmp_path):
    """The build starts again cold without the damaged records, but still knows what the last
    build wrote: the deleted meeting's page and folder go, as they would from a sound cache."""
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    assert (out / "openxla" / "2022-10-18-sync" / "index.html").is_file()
    (src / "openxla" / "2022-10-18-sync.md").unlink()
    # Found damaged when the meeting before it has its page made again (its "next" link goes).
    for entry in (cache / "records").iterdir():
        entry.write_bytes(b"not a pickle")
    result = build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    build(src, tmp_path / "fresh", site_url=SITE, workers=1)
    assert result.reused == 0 and not (out / "openxla" / "2022-10-18-sync").exists()
    assert site_bytes(out) == site_bytes(tmp_path / "fresh")
    # The next build has a sound cache again and reuses it.
    assert build(src, out, site_url=SITE, workers=1, cache_dir=cache).written == 0


def test_a_record_whose_bytes_changed_in_the_store_is_never_read_as_a_record(src, tmp_path):
    """Records are written straight into their pack (no temporary file and rename): one cut
    short or altered (a build that died mid-write, a bad disk) must give a cold build, never a
    page made from what is there. Here the bytes change so that the pickle would still load,
    with other text: only the stored length and CRC tell."""
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    before = site_bytes(out)
    (pack,) = [p for p in (cache / "records").iterdir() if b"October sync" in p.read_bytes()]
    pack.write_bytes(pack.read_bytes().replace(b"October sync", b"Octobre sync"))
    (out / "openxla" / "2022-10-18-sync" / "index.html").unlink()   # its page is made again
    result = build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    assert site_bytes(out) == before and result.reused == 0
    assert b"Octobre" not in b"".join(p.read_bytes() for p in (cache / "records").iterdir())
    # Cut short inside the record the page needs (its search words, a record of their own,
    # follow it): the same.
    (pack,) = [p for p in (cache / "records").iterdir() if b"October sync" in p.read_bytes()]
    data = pack.read_bytes()
    pack.write_bytes(data[:data.index(b"October sync") + 3])
    (out / "openxla" / "2022-10-18-sync" / "index.html").unlink()
    result = build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    assert site_bytes(out) == before and result.reused == 0
    # Its search words altered (read when the index is made anew: one of its files is gone).
    (pack,) = [p for p in (cache / "records").iterdir() if b"october" in p.read_bytes()]
    pack.write_bytes(pack.read_bytes().replace(b"october", b"octobre"))
    next((out / "search").rglob("*.json")).unlink()
    result = build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    assert site_bytes(out) == before and result.reused == 0
    assert b"octobre" not in b"".join(p.read_bytes() for p in (cache / "records").iterdir())


@pytest.mark.parametrize("workers", [1, 2])
def test_a_build_opens_each_pack_once_to_read_it_and_leaves_none_open(src, tmp_path, monkeypatch,
                                                                      workers):
    """Records read back (pages, feed entries, the search index's passes) go through one
    descriptor per pack and process, all closed when the build ends, whether it succeeds or
    starts again without a damaged store."""
    from minutes import buildcache
    real, opened = os.open, Counter()

    def counting(path, flags, *args, **kwargs):
        if str(path).endswith(".pack") and not flags & (os.O_WRONLY | os.O_RDWR):
            opened[str(path)] += 1
        return real(path, flags, *args, **kwargs)
    monkeypatch.setattr(os, "open", counting)
    out, cache = tmp_path / "site", tmp_path / "cache"

    def open_packs() -> list[str]:
        return [name for fd in os.listdir("/proc/self/fd")
                if (name := os.path.realpath(f"/proc/self/fd/{fd}")).endswith(".pack")]
    build(src, out, site_url=SITE, workers=workers, cache_dir=cache)
    assert opened   # records were read back
    if workers == 1:
        assert max(opened.values()) == 1
    assert open_packs() == [] and buildcache._reading == {}
    (out / "feed.xml").unlink()
    for entry in (cache / "records").iterdir():
        entry.write_bytes(b"not a pickle")
    write(src / "openxla" / "2022-10-18-sync.md", "# October sync, corrected\n\n- a\n")
    build(src, out, site_url=SITE, workers=workers, cache_dir=cache)   # damaged: again, cold
    assert open_packs() == [] and buildcache._reading == {}
    build(src, tmp_path / "fresh", site_url=SITE, workers=1)
    assert site_bytes(out) == site_bytes(tmp_path / "fresh")


def test_a_process_appends_its_meetings_to_one_pack_until_it_holds_pack_meetings(src, tmp_path,
                                                                               monkeypatch):
    """Creating files is the dearest thing a build does here: a process fills one pack with
    the batches it assembles, up to PACK_MEETINGS meetings, instead of one pack per batch. A
    later build never appends to an earlier build's pack (a pack's place names one record for
    good: the feed memo's key)."""
    import math
    import pickle
    from minutes import buildcache
    monkeypatch.setattr(buildcache, "PACK_MEETINGS", 4)
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    state = pickle.loads((cache / "state.pickle").read_bytes())
    per_pack = Counter(entry[1][0] for entry in state["meetings"].values())
    assert max(per_pack.values()) == 4
    assert len(per_pack) == math.ceil(sum(per_pack.values()) / 4) == len(list((cache / "records").iterdir()))
    before = {p.name: p.read_bytes() for p in (cache / "records").iterdir()}
    write(src / "openxla" / "2022-10-18-sync.md", "# October sync, corrected\n\n- a\n- b\n- c\n")
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    after = {p.name: p.read_bytes() for p in (cache / "records").iterdir()}
    assert {name: after[name] for name in before if name in after} == \
           {name: data for name, data in before.items() if name in after}
    (new,) = [name for name in after if name not in before]   # the correction's, of this build
    assert b"October sync, corrected" in after[new]


def test_the_store_keeps_only_the_packs_the_state_names(src, tmp_path):
    """A pack holds the records of the meetings one process assembled together; it goes when
    none of them is used any more, and a pack no state names (left by a build that died) goes
    at the next build's end."""
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    (cache / "records" / "0123456789abcdef.pack").write_bytes(b"left by a build that died")
    write(src / "openxla" / "2022-10-18-sync.md", "# October sync, corrected\n\n- a\n- b\n- c\n")
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    packs = {p.name: p.read_bytes() for p in (cache / "records").iterdir()}
    assert "0123456789abcdef.pack" not in packs
    assert [name for name, data in packs.items() if b"October sync, corrected" in data]
    for group in src.iterdir():
        shutil.rmtree(group)
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    assert not list((cache / "records").iterdir())


def test_a_search_index_queued_to_a_worker_is_the_one_the_main_process_makes(src, tmp_path, monkeypatch):
    """From QUEUED_SEARCH_FROM listed meetings a cold build's search index is the first queued
    item of the second phase (decision 71), made by whichever process takes it: the same site,
    and a cache that patches it on the next build as if the main process had written it."""
    import os
    from minutes import build as build_module
    build(src, tmp_path / "main", site_url=SITE, workers=1)
    made = tmp_path / "made"
    made.mkdir()
    make_search = build_module._make_search

    def noting(work):
        (made / str(os.getpid())).touch()
        return make_search(work)
    monkeypatch.setattr(build_module, "_make_search", noting)
    monkeypatch.setattr(build_module, "QUEUED_SEARCH_FROM", 1)
    # The main process takes back a queued item no worker has started: on a loaded machine it
    # could take the index, and this test is about the one a worker makes. Waiting for the
    # workers' results pins that (test_build_memory tests the taking back).
    monkeypatch.setattr(build_module._Pool, "_results", lambda pool, items: map(pool._await, items))
    out, cache = tmp_path / "queued", tmp_path / "cache"
    build(src, out, site_url=SITE, workers=2, cache_dir=cache)
    makers = [p.name for p in made.iterdir()]
    assert makers and str(os.getpid()) not in makers   # a worker made it
    assert site_bytes(out) == site_bytes(tmp_path / "main")
    assert any(path.startswith("search/t/") for path in site_bytes(out))
    # The next build finds every search file as written, so it patches the index.
    for entry in made.iterdir():
        entry.unlink()
    path = src / "openxla" / "2022-10-18-sync.md"
    path.write_text(path.read_text() + "\n- zanzibar\n")
    build(src, out, site_url=SITE, workers=2, cache_dir=cache)
    assert not list(made.iterdir())
    build(src, tmp_path / "fresh", site_url=SITE, workers=1)
    assert site_bytes(out) == site_bytes(tmp_path / "fresh")
    assert any(b"zanzibar" in body for name, body in site_bytes(out).items() if name.startswith("search/t/"))


def test_with_three_processes_the_search_index_is_a_queued_item(src, tmp_path, monkeypatch):
    """With three processes or more a cold build's search index is queued whatever the count
    of meetings (decision 98): the main process's index and listings would outlast the
    workers' share of the second phase. A worker makes it; the site is a one-process build's."""
    import os
    from minutes import build as build_module
    build(src, tmp_path / "one", site_url=SITE, workers=1)
    makers = []
    make_search = build_module._make_search
    made = tmp_path / "made"
    made.mkdir()

    def noting(work):
        (made / str(os.getpid())).touch()
        return make_search(work)
    monkeypatch.setattr(build_module, "_make_search", noting)
    # As in the test above: the main process could take back the item no worker has started.
    monkeypatch.setattr(build_module._Pool, "_results", lambda pool, items: map(pool._await, items))
    for workers in (2, 3):
        out = tmp_path / f"site{workers}"
        build(src, out, site_url=SITE, workers=workers)
        assert site_bytes(out) == site_bytes(tmp_path / "one")
        makers.append([p.name for p in made.iterdir()])
        for entry in made.iterdir():
            entry.unlink()
    assert makers[0] == [str(os.getpid())]   # two processes: the main process makes it
    assert len(makers[1]) == 1 and makers[1] != [str(os.getpid())]   # three: a worker


def test_the_site_wide_feeds_are_queued_before_the_pages_are_planned(src, tmp_path, monkeypatch):
    """Decision 115: the site-wide feeds show no page of their own, so they are queued as soon
    as the listings are planned, and a worker makes them while the main process plans the
    pages (it sat idle for that plan); the groups' feeds follow with their pages. The site is
    a one-process build's."""
    from minutes import build as build_module
    build(src, tmp_path / "one", site_url=SITE, workers=1)
    events = []
    plan_pages, pool_map = build_module._plan_pages, build_module._Pool.map

    def mapping(pool, fn, items):
        scopes = [item[2].scope for item in items if isinstance(item[2], build_module._Feeds)]
        if fn is build_module._second_phase_packed:
            events.append(("queued feeds", scopes))
        return pool_map(pool, fn, items)
    monkeypatch.setattr(build_module._Pool, "map", mapping)
    monkeypatch.setattr(build_module, "_plan_pages",
                        lambda *args: events.append(("planned pages", None)) or plan_pages(*args))
    build(src, tmp_path / "two", site_url=SITE, workers=2)
    assert site_bytes(tmp_path / "two") == site_bytes(tmp_path / "one")
    assert [what for what, _ in events] == ["queued feeds", "planned pages", "queued feeds"]
    assert set(events[0][1]) == {"/"} and events[2][1] and "/" not in events[2][1]
    # No worker started (one process): first in the one queue, as before.
    events.clear()
    build(src, tmp_path / "three", site_url=SITE, workers=1)
    assert [what for what, _ in events] == ["planned pages", "queued feeds"]
    assert events[1][1][0] == "/" and events[1][1].count("/") == 1


def test_a_new_search_index_is_given_what_results_show_not_the_light_records(src, tmp_path, monkeypatch):
    """The work of a new search index (a queued item a worker unpickles from three processes
    on) holds what each result shows of a meeting, not its light record (decision 107): the
    same d/ entries, in a fraction of the bytes."""
    import json
    import pickle
    from minutes import build as build_module, search
    from minutes.model import MeetingRecord
    sent = []
    make_search = build_module._make_search

    def noting(work):
        sent.append(work)
        return make_search(work)
    monkeypatch.setattr(build_module, "_make_search", noting)
    result = build(src, tmp_path / "site", site_url=SITE, workers=1)
    [work] = sent
    listed = search.searchable(result.records)
    assert len(work.docs) == len(listed) > 3

    def entries(records):
        return sorted(json.dumps(search.doc_entry(r), sort_keys=True) for r in records)
    assert entries(shown for _, shown, _, _ in work.docs) == entries(listed)
    shown = [shown for _, shown, _, _ in work.docs]
    assert not any(isinstance(each, MeetingRecord) for each in shown)
    assert len(pickle.dumps(shown)) * 3 < len(pickle.dumps(listed)) * 2


@pytest.mark.parametrize("workers", [1, 2])
def test_a_source_that_is_a_symbolic_link_is_rejected_not_followed(src, tmp_path, workers):
    """A link planted in SRC (a Markdown file, or a meeting folder's attachment) would publish
    a file from anywhere on the machine that builds: it is rejected with its own code, in a
    cold build and a rebuild alike, and nothing of the file it leads to reaches the site."""
    secret = tmp_path / "secret.md"
    secret.write_text("# Secret\n\nhunter2-private-key\n")
    (src / "openxla" / "2022-11-01-linked.md").symlink_to(secret)
    (src / "openxla" / "2022-09-20-community-meeting" / "notes.pdf").symlink_to(secret)
    out, cache = tmp_path / "site", tmp_path / "cache"
    for _ in range(2):   # cold, then a rebuild from the cache
        result = build(src, out, site_url=SITE, workers=workers, cache_dir=cache)
        linked = {name: [(p.code, p.file) for p in problems] for name, problems in result.rejected.items()
                  if any(p.code == "linked-source" for p in problems)}
        assert linked == {
            "minutes/openxla/2022-11-01-linked.md": [
                ("linked-source", "minutes/openxla/2022-11-01-linked.md")],
            "minutes/openxla/2022-09-20-community-meeting/AGENDA.md": [
                ("linked-source", "minutes/openxla/2022-09-20-community-meeting/notes.pdf")]}
        assert not any(b"hunter2" in body for body in site_bytes(out).values())
    message = result.rejected["minutes/openxla/2022-11-01-linked.md"][0]
    assert "symbolic link" in message.message and "instead of the link" in message.hint
    # The link replaced by the file itself: published, as any source.
    (src / "openxla" / "2022-11-01-linked.md").unlink()
    (src / "openxla" / "2022-11-01-linked.md").write_bytes(secret.read_bytes())
    build(src, out, site_url=SITE, workers=workers, cache_dir=cache)
    build(src, tmp_path / "fresh", site_url=SITE, workers=1)
    assert site_bytes(out) == site_bytes(tmp_path / "fresh")
    assert any(b"hunter2" in body for body in site_bytes(out).values())


def test_a_feed_document_is_written_in_few_calls_with_the_same_bytes(tmp_path, monkeypatch):
    """A cold build's feed: its pieces gathered to _WRITE_AT bytes go out in writevs of up to
    _PIECES_PER_WRITE pieces, not a write each (decision 105); a short write goes on where it
    stopped."""
    from minutes import build as build_module
    pieces = [bytes([65 + n % 26]) * (1 + n * 37 % 900) for n in range(1_500)]
    calls = []
    real_writev, real_write = os.writev, os.write

    def short_writev(fd, buffers):   # the kernel may take fewer bytes than asked
        calls.append(len(buffers))
        return real_writev(fd, [b"".join(buffers)[:max(1, sum(map(len, buffers)) // 3)]])

    def counted_write(fd, data):
        calls.append(1)
        return real_write(fd, data)

    monkeypatch.setattr(build_module.os, "writev", short_writev)
    monkeypatch.setattr(build_module.os, "write", counted_write)
    document = build_module._Document("feed.xml", str(tmp_path / "feed.xml"), b"<head>", b"</end>", set())
    for at in range(0, len(pieces), 10):
        document.write(*pieces[at:at + 10])
    path, written, wrote = document.finish()
    document.close()
    body = b"<head>" + b"".join(pieces) + b"</end>"
    assert (tmp_path / "feed.xml").read_bytes() == body
    assert (path, written.size, wrote) == ("feed.xml", len(body), True)
    writevs = [n for n in calls if n > 1]
    most = len(pieces) // build_module._PIECES_PER_WRITE + len(body) // build_module._WRITE_AT + 2
    assert len(writevs) <= most < len(pieces) // 20
    assert max(writevs) <= build_module._PIECES_PER_WRITE


def test_pieces_are_written_in_batches_of_at_most_pieces_per_write(tmp_path, monkeypatch):
    from minutes import build as build_module
    pieces = [b"%d," % n for n in range(2_000)]
    batches = []
    real_writev = os.writev
    monkeypatch.setattr(build_module.os, "writev", lambda fd, b: (batches.append(len(b)), real_writev(fd, b))[1])
    fd = os.open(tmp_path / "out", os.O_WRONLY | os.O_CREAT)
    try:
        build_module._write_pieces(fd, pieces)
    finally:
        os.close(fd)
    assert (tmp_path / "out").read_bytes() == b"".join(pieces)
    assert batches == [64] * 31 + [16]
