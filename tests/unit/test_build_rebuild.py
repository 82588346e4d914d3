"""A cached rebuild (`minutes build --cache-dir`) after each kind of change equals a fresh build
byte for byte, and leaves every file whose bytes did not change untouched (same mtime, same
inode): a sync to a bucket or a CDN then sends only what changed."""
from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from minutes import build as build_module, build_search, buildcache, hashes, search
from minutes.build import build, gather
from tests.support.sources import PDF, write

SITE = "https://minutes.example.org"
GROUP = "name: SIG OpenXLA\ndescription: The open community around XLA.\n"


@pytest.fixture
def src(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    meeting = root / "openxla" / "2022-09-20-community-meeting"
    write(meeting / "NOTES.md", "# Community meeting\n\nSlides: [deck](Deck.pdf)\n\n- roadmap\n")
    write(meeting / "Deck.pdf", PDF)
    write(root / "openxla" / "group.yaml", GROUP)
    for day in range(1, 8):
        write(root / "openxla" / f"2022-10-0{day}-sync.md", f"# Sync {day}\n\n- item {day}\n- b\n")
        write(root / "rust-lang" / f"2019-04-0{day}.md", f"# Lang {day}\n\n- a {day}\n- b\n")
    write(root / "rust-lang" / "2019-05-02.md", "---\ndraft: true\n---\n# Draft\n\n- a\n- b\n")
    write(root / "k8s" / "meeting-notes-2024.md",
          "# Notes\n\n## Dec 31, 2024\n\n- a\n\n## Dec 24, 2024\n\n- b\n")
    return root


def snapshot(out: Path) -> dict[str, tuple[bytes, int, int]]:
    found = {}
    for path in sorted(out.rglob("*")):
        if path.is_file():
            stat = path.stat()
            found[path.relative_to(out).as_posix()] = (path.read_bytes(), stat.st_mtime_ns, stat.st_ino)
    return found


def folders(out: Path) -> set[str]:
    return {path.relative_to(out).as_posix() for path in out.rglob("*") if path.is_dir()}


def edit(src: Path) -> None:
    write(src / "openxla" / "2022-10-03-sync.md", "# Sync 3, corrected\n\n- item 3\n- b\n- c\n")


def add(src: Path) -> None:
    write(src / "openxla" / "2022-10-09-sync.md", "# Sync 9\n\n- new\n- b\n")


def add_old(src: Path) -> None:
    write(src / "rust-lang" / "2018-01-02.md", "# Lang, long ago\n\n- old\n- b\n")


def delete(src: Path) -> None:
    (src / "rust-lang" / "2019-04-04.md").unlink()


def rename(src: Path) -> None:
    (src / "rust-lang" / "2019-04-05.md").rename(src / "rust-lang" / "2019-04-05-lang-team.md")


def group_yaml(src: Path) -> None:
    write(src / "openxla" / "group.yaml", GROUP.replace("SIG OpenXLA", "OpenXLA SIG"))


def group_yaml_removed(src: Path) -> None:
    (src / "openxla" / "group.yaml").unlink()


def draft_on(src: Path) -> None:
    write(src / "openxla" / "2022-10-05-sync.md", "---\ndraft: true\n---\n# Sync 5\n\n- item 5\n- b\n")


def draft_off(src: Path) -> None:
    write(src / "rust-lang" / "2019-05-02.md", "# Draft no more\n\n- a\n- b\n")


def attachment_changed(src: Path) -> None:
    write(src / "openxla" / "2022-09-20-community-meeting" / "Deck.pdf", PDF + b"%more\n")


def attachment_removed(src: Path) -> None:
    (src / "openxla" / "2022-09-20-community-meeting" / "Deck.pdf").unlink()


def running_notes_section(src: Path) -> None:
    write(src / "k8s" / "meeting-notes-2024.md",
          "# Notes\n\n## Jan 7, 2025\n\n- c\n\n## Dec 31, 2024\n\n- a\n\n## Dec 24, 2024\n\n- b\n")


def group_emptied(src: Path) -> None:
    for path in (src / "rust-lang").iterdir():
        path.unlink()


def rejected(src: Path) -> None:
    write(src / "openxla" / "2022-10-02-sync.md", "---\ntitel: typo\n---\n# Sync 2\n\n- a\n")


def front_matter_kept(src: Path) -> None:
    """The body corrected, the front matter as it was: its value comes from the cache's memo."""
    write(src / "rust-lang" / "2019-05-02.md", "---\ndraft: true\n---\n# Draft\n\n- a\n- b, c\n")


def front_matter_changed(src: Path) -> None:
    write(src / "rust-lang" / "2019-05-02.md", "---\ndraft: false\ntitle: Lang\n---\n# Draft\n\n- a\n- b\n")


def front_matter_broken(src: Path) -> None:
    write(src / "rust-lang" / "2019-05-02.md", "---\ndraft: [true\n---\n# Draft\n\n- a\n- b\n")


def same_stat_other_bytes(src: Path) -> None:
    """The same size and mtime, other bytes: only the ctime (which no program sets back) shows it."""
    path = src / "openxla" / "2022-10-06-sync.md"
    before = path.stat()
    data = path.read_bytes()
    path.write_bytes(data.replace(b"Sync 6", b"Sync 8"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)


CHANGES = [edit, add, add_old, delete, rename, group_yaml, group_yaml_removed, draft_on,
           draft_off, attachment_changed, attachment_removed, running_notes_section, group_emptied,
           rejected, front_matter_kept, front_matter_changed, front_matter_broken,
           same_stat_other_bytes]


@pytest.mark.parametrize("change", CHANGES, ids=[c.__name__ for c in CHANGES])
@pytest.mark.parametrize("racy_window", [True, False], ids=["racy", "stat-only"])
def test_a_rebuild_after_a_change_is_a_fresh_build_and_touches_only_what_changed(
        src, tmp_path, monkeypatch, change, racy_window):
    if not racy_window:
        # As if the last build were long ago: only the stat tells a changed source.
        monkeypatch.setattr(buildcache, "_RACY_NS", -10**18)
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    before = snapshot(out)
    change(src)
    result = build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    fresh = build(src, tmp_path / "fresh", site_url=SITE, workers=1)
    after = snapshot(out)
    expected = snapshot(tmp_path / "fresh")
    assert {k: v[0] for k, v in after.items()} == {k: v[0] for k, v in expected.items()}
    assert folders(out) == folders(tmp_path / "fresh")   # no folder left empty behind
    assert result.rejected == fresh.rejected and result.warnings == fresh.warnings
    unchanged = [k for k in after if k in before and after[k][0] == before[k][0]]
    assert unchanged, "a change rewrote the whole site"
    moved = [k for k in unchanged if after[k][1:] != before[k][1:]]
    assert moved == []
    changed = {k for k in after if k not in before or after[k][0] != before[k][0]}
    assert result.written == len(changed)


@pytest.mark.parametrize("cached", [True, False], ids=["cached", "cold"])
def test_a_hard_link_to_a_site_file_keeps_its_bytes_when_the_build_changes_the_file(
        src, tmp_path, cached):
    # A snapshot of the site made with `cp -al` (or `rsync --link-dest`) shares its files'
    # inodes with the site: the build must make a new file where it changes one, never
    # write through the link into the snapshot.
    out, snapshot_dir = tmp_path / "site", tmp_path / "snapshot"
    cache = tmp_path / "cache" if cached else None
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    shared = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        copy = snapshot_dir / path.relative_to(out)
        copy.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, copy)
        shared[copy] = path.read_bytes()
    edit(src)
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    changed = [copy for copy in shared if (out / copy.relative_to(snapshot_dir)).read_bytes() != shared[copy]]
    assert changed                                            # the edit did change site files
    assert {copy: copy.read_bytes() for copy in shared} == shared
    build(src, tmp_path / "fresh", site_url=SITE, workers=1)
    assert {k: v[0] for k, v in snapshot(out).items()} == \
        {k: v[0] for k, v in snapshot(tmp_path / "fresh").items()}


def test_a_file_the_rebuild_changes_is_made_afresh_so_a_reader_keeps_its_whole_old_bytes(src, tmp_path):
    # A changed file is unlinked and made again, never truncated in place (decision 73): a
    # server that opened it before the rebuild still reads the old bytes whole.
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    before = snapshot(out)
    handles = {path: (out / path).open("rb") for path in before}
    try:
        edit(src)
        build(src, out, site_url=SITE, workers=1, cache_dir=cache)
        after = snapshot(out)
        changed = [path for path in before if path in after and after[path][0] != before[path][0]]
        assert "openxla/2022-10-03-sync/index.html" in changed and "feed.xml" in changed
        assert {path: handles[path].read() for path in changed} == {path: before[path][0] for path in changed}
        assert all(after[path][2] != before[path][2] for path in changed)   # new files
    finally:
        for handle in handles.values():
            handle.close()


def test_a_rebuild_with_nothing_changed_reads_no_source(src, tmp_path, monkeypatch):
    monkeypatch.setattr(buildcache, "_RACY_NS", -10**18)
    out, cache = tmp_path / "site", tmp_path / "cache"
    first = build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    again = build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    edit(src)
    third = build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    sources = sum(len(paths) for paths in gather(src).values())   # group.yaml is read each time
    assert (first.hashed, again.hashed, third.hashed) == (sources, 0, 1)
    assert (again.written, third.reused) == (0, len(third.records) - 1)   # meetings, not files


@pytest.mark.parametrize("workers", [1, 2])
def test_a_source_the_last_build_did_not_see_is_read_once_where_its_meeting_is_assembled(
        src, tmp_path, monkeypatch, workers):
    """No stored meeting can hold it, so its meeting is assembled whatever its hash: the process
    that assembles it hashes the bytes it reads (the main process used to read and hash every
    source first, while the other cores waited: decision 65). The state then holds its hash."""
    monkeypatch.setattr(buildcache, "_RACY_NS", -10**18)
    log = tmp_path / "read.log"
    real = buildcache.read_source

    def read_source(path, limit=None):   # noted in a file: a worker process reads too
        with open(log, "a") as handle:
            handle.write(path + "\n")
        return real(path, limit)
    monkeypatch.setattr(build_module, "read_source", read_source)
    monkeypatch.setattr(buildcache, "file_digest", lambda path: pytest.fail(f"{path} hashed apart"))
    monkeypatch.setattr(build_module, "SOLO_BELOW", 1)
    out, cache = tmp_path / "site", tmp_path / "cache"
    first = build(src, out, site_url=SITE, workers=workers, cache_dir=cache)
    sources = sorted(str(p) for paths in gather(src).values() for p in paths)
    assert sorted(log.read_text().split()) == sources and first.hashed == len(sources)
    log.unlink()
    again = build(src, out, site_url=SITE, workers=workers, cache_dir=cache)
    assert (again.hashed, again.reused, again.written) == (0, len(first.records), 0)
    assert not log.exists()
    add(src)
    third = build(src, out, site_url=SITE, workers=workers, cache_dir=cache)
    assert log.read_text().split() == [str(src / "openxla" / "2022-10-09-sync.md")]
    assert (third.hashed, third.reused) == (1, len(third.records) - 1)
    build(src, tmp_path / "fresh", site_url=SITE, workers=1)
    assert {k: v[0] for k, v in snapshot(out).items()} == {k: v[0] for k, v in snapshot(tmp_path / "fresh").items()}


def test_the_light_records_hashes_made_where_they_were_assembled_are_the_main_process_ones(
        src, tmp_path, monkeypatch):
    """Listings and neighbours' pages are keyed by a hash of the light record (decision 47),
    made by the process that assembled it: a worker's must be the one the main process makes
    of the record it was handed, or a rebuild would remake listings for nothing."""
    monkeypatch.setattr(build_module, "SOLO_BELOW", 1)
    cache = tmp_path / "cache"
    result = build(src, tmp_path / "site", site_url=SITE, workers=2, cache_dir=cache)
    state = pickle.loads((cache / "state.pickle").read_bytes())
    assert sorted(state["looks"].values()) == sorted(build_module._look(r) for r in result.records)


def test_a_racily_clean_source_is_hashed_again(src, tmp_path):
    """Changed within the timestamp granularity of the last scan: the stat may not show it,
    so a source that recent is read again."""
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    again = build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    assert again.hashed == sum(len(paths) for paths in gather(src).values())
    assert again.written == 0


def test_a_rebuild_indexes_only_the_changed_meetings_day_for_search(src, tmp_path, monkeypatch):
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    indexed = []
    plan_days = search.plan_days

    def recording(**kwargs):
        kwargs["after"] = list(kwargs["after"])
        indexed.extend((r.group, r.meeting) for r in kwargs["after"])
        return plan_days(**kwargs)

    index_files = search.index_files

    def recording_fresh(docs, **options):
        return index_files(((doc_id, record, words) for doc_id, record, words in docs
                            if not indexed.append((record.group, record.meeting))), **options)

    monkeypatch.setattr(search, "plan_days", recording)
    monkeypatch.setattr(search, "index_files", recording_fresh)
    edit(src)
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    assert indexed == [("openxla", "2022-10-03-sync")]
    # A search file changed in the site folder: the index is made again from every meeting.
    shard = next((out / "search" / "t").iterdir())
    shard.write_text("tampered")
    indexed.clear()
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    build(src, tmp_path / "fresh", site_url=SITE, workers=1)
    assert {k: v[0] for k, v in snapshot(out).items()} == {k: v[0] for k, v in snapshot(tmp_path / "fresh").items()}
    assert len(indexed) > 10


def test_the_search_index_patched_in_small_batches_of_days_is_the_same(src, tmp_path, monkeypatch):
    """A rebuild that changes every meeting redoes every day, two meetings' days at a time,
    and ends with the index a fresh build makes in one pass."""
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    for path in sorted(src.rglob("*.md")):
        path.write_bytes(path.read_bytes() + b"\n- changed everywhere\n")
    monkeypatch.setattr(build_search, "BATCH", 2)
    batches = []
    plan_days = search.plan_days
    monkeypatch.setattr(search, "plan_days", lambda **kw: batches.append(1) or plan_days(**kw))
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    build(src, tmp_path / "fresh", site_url=SITE, workers=1)
    patched, fresh = snapshot(out), snapshot(tmp_path / "fresh")
    assert len(batches) > 5
    assert {k: v[0] for k, v in patched.items()} == {k: v[0] for k, v in fresh.items()}


def test_a_rebuild_in_a_new_process_compiles_no_template(src, tmp_path, monkeypatch):
    """The templates compiled by the first build are kept in the cache folder (jinja2's
    bytecode cache), so a rebuild renders its few pages without compiling any template, also
    where the package was installed without its own compiled templates (compiled_templates.py)."""
    import jinja2

    from minutes import build as build_module
    from minutes.compiled_templates import CompiledTemplates
    init = CompiledTemplates.__init__
    monkeypatch.setattr(CompiledTemplates, "__init__",
                        lambda self, label, writable=None, shipped=None: init(self, label, writable, None))
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    build_module._renderer.cache_clear()   # as in a new process
    compiled = []
    original = jinja2.Environment.compile
    monkeypatch.setattr(jinja2.Environment, "compile",
                        lambda self, source, *a, **k: compiled.append(source) or original(self, source, *a, **k))
    edit(src)
    again = build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    assert again.written > 0 and compiled == []
    build_module._renderer.cache_clear()
    build(src, tmp_path / "fresh", site_url=SITE, workers=1)   # no cache folder: compiled again
    assert compiled


def site_of(out: Path) -> dict[str, bytes]:
    return {k: v[0] for k, v in snapshot(out).items()}


@pytest.mark.parametrize("journal", [True, False], ids=["journal", "whole-state"])
def test_rebuilds_one_after_another_equal_fresh_builds_whether_the_state_is_journaled_or_whole(
        src, tmp_path, monkeypatch, journal):
    """A rebuild saves what it changed as a journal entry after the last whole state (or, past
    a share of its size, the whole state again): either way each rebuild equals a fresh build."""
    monkeypatch.setattr(buildcache._State, "JOURNAL_SHARE", 0 if journal else 10**9)
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    for at, change in enumerate(CHANGES):
        change(src)
        result = build(src, out, site_url=SITE, workers=1, cache_dir=cache)
        fresh = build(src, tmp_path / f"fresh-{at}", site_url=SITE, workers=1)
        assert site_of(out) == site_of(tmp_path / f"fresh-{at}"), change.__name__
        assert result.rejected == fresh.rejected and result.warnings == fresh.warnings
        assert result.reused > 0, change.__name__
    journaled = sorted(p.name for p in cache.glob("state-*.pickle"))
    assert len(journaled) == (len(CHANGES) if journal else 0)


def test_a_damaged_journal_or_one_left_from_an_older_state_is_not_applied(src, tmp_path, monkeypatch):
    monkeypatch.setattr(buildcache._State, "JOURNAL_SHARE", 0)
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    edit(src)
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    left = (cache / "state-1.pickle").read_bytes()
    (cache / "state-1.pickle").write_bytes(left[:40])   # damaged: as if never saved
    add(src)
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    build(src, tmp_path / "fresh", site_url=SITE, workers=1)
    assert site_of(out) == site_of(tmp_path / "fresh")
    # A journal entry of an older whole state, left behind by a build that died: never applied.
    monkeypatch.setattr(buildcache._State, "JOURNAL_SHARE", 10**9)
    delete(src)
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    assert not list(cache.glob("state-*.pickle"))
    (cache / "state-1.pickle").write_bytes(left)
    monkeypatch.setattr(buildcache, "_RACY_NS", -10**18)
    again = build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    build(src, tmp_path / "fresh-2", site_url=SITE, workers=1)
    assert site_of(out) == site_of(tmp_path / "fresh-2") and again.written == 0


def test_a_change_to_the_text_alone_remakes_the_page_and_the_feeds_not_the_listings(src, tmp_path, monkeypatch):
    """Listings, calendars, sitemaps and the neighbours' prev/next links show what a light
    record holds (title, date, summary): a change that leaves it as it was leaves them alone."""
    from minutes import build as build_module
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    remade = []
    expect = build_module._Writer.expect
    monkeypatch.setattr(build_module._Writer, "expect",
                        lambda self, path, inputs: remade.append(path) or expect(self, path, inputs))
    path = src / "openxla" / "2022-10-03-sync.md"
    path.write_text(path.read_text() + "- c\n")   # one more item: the same title and summary
    result = build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    assert sorted(remade) == ["/atom.xml", "/feed.xml", "/openxla/2022-10-03-sync/index.html",
                              "/openxla/atom.xml", "/openxla/feed.xml"]
    assert result.records == build(src, tmp_path / "fresh", site_url=SITE, workers=1).records
    assert site_of(out) == site_of(tmp_path / "fresh")


def test_a_correction_patches_only_the_search_shards_of_the_words_it_changed(src, tmp_path, monkeypatch):
    """The rebuild has the corrected meeting's old record: its day holds the same meetings (the
    same ids), so only the shards of the words it gained or lost are read and patched."""
    out, cache = tmp_path / "site", tmp_path / "cache"
    monkeypatch.setattr(search, "PER_SHARD", 0)   # SHARDS term files, however few the meetings
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    patched = []
    real = search._patch
    monkeypatch.setattr(search, "_patch", lambda current, **kw: patched.append(kw) or real(current, **kw))
    path = src / "openxla" / "2022-10-03-sync.md"
    path.write_text(path.read_text().replace("- b\n", "- zebrafish\n"))   # "b" out, "zebrafish" in
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    assert sorted(w for kw in patched for w in kw["added"]) == ["zebrafish"] and len(patched) == 2
    build(src, tmp_path / "fresh", site_url=SITE, workers=1)
    assert site_of(out) == site_of(tmp_path / "fresh")


def test_random_corrections_to_generated_minutes_give_the_fresh_build(tmp_path):
    """Words gained, lost, moved into a title, meetings added and removed on days with other
    meetings: after each rebuild, the site (search shards included) is the fresh build's."""
    import random

    from bench.sitegen import generate
    generated = generate(tmp_path / "gen", 20, seed=5)
    src, out, cache = generated.minutes, tmp_path / "site", tmp_path / "cache"
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    rng = random.Random(7)
    paths = sorted(src.rglob("*.md"))
    for step in range(4):
        path = rng.choice(paths)
        text = path.read_text()
        lines = text.splitlines(keepends=True)
        if step % 3 == 0:
            del lines[rng.randrange(8, len(lines))]                     # words lost
        elif step % 3 == 1:
            lines.insert(rng.randrange(8, len(lines)), f"- quokka{step} and {rng.choice(lines).strip()}\n")
        else:
            lines[1] = lines[1].replace('title: "', f'title: "Quokka{step} ')   # into the title
        path.write_text("".join(lines))
        if step == 3:   # a new meeting on an existing meeting's day, and one removed
            (path.parent / f"{path.stem}-extra.md").write_text(text)
            paths[0].unlink()
            paths = sorted(src.rglob("*.md"))
        build(src, out, site_url=SITE, workers=1, cache_dir=cache)
        build(src, tmp_path / f"fresh-{step}", site_url=SITE, workers=1)
        assert site_of(out) == site_of(tmp_path / f"fresh-{step}"), step


def test_a_correction_makes_again_only_its_own_feed_entry(src, tmp_path, monkeypatch):
    """Each scope's feeds keep their entries' bytes in the cache, by the store key of the whole
    record each was made from: a correction makes its own entry again (once with its page for
    its group's feeds, once for the overall ones), not the entries the feeds show besides. A
    memo that cannot be read is made again whole; the memo of a scope that is gone goes with
    it."""
    from minutes import build as build_module, feeds
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    made, documents = [], []
    monkeypatch.setattr(build_module, "entry_parts", lambda records, **options: made.extend(
        r.meeting for r in records) or documents.append(len(records)) or feeds.entry_parts(
        records, **options))
    path = src / "openxla" / "2022-10-03-sync.md"
    path.write_text(path.read_text() + "- c\n")
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    assert made == ["2022-10-03-sync", "2022-10-03-sync"]
    build(src, tmp_path / "fresh", site_url=SITE, workers=1)
    assert site_of(out) == site_of(tmp_path / "fresh")
    assert len(list((cache / "feeds").iterdir())) == 4   # /, openxla, rust-lang, k8s
    group_memo = cache / "feeds" / f"{hashes.digest(b'/openxla/')[:32]}.pickle"
    group_memo.write_bytes(b"damaged")
    made.clear()
    documents.clear()
    monkeypatch.setattr(build_module, "_ENTRIES_PER_DOCUMENT", 3)
    path.write_text(path.read_text() + "- d\n")
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    in_group = ["2022-09-20-community-meeting", *(f"2022-10-0{day}-sync" for day in range(1, 8))]
    # The corrected one with its page, the others of its group read again, and for "/".
    assert sorted(made) == sorted(["2022-10-03-sync", *in_group])
    # A few whole records at a time (feedgen's tree of a whole feed would stay in the process).
    assert max(documents) == build_module._ENTRIES_PER_DOCUMENT == 3 and sum(documents) == 9
    group_emptied(src)
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    assert len(list((cache / "feeds").iterdir())) == 3
    build(src, tmp_path / "fresh-2", site_url=SITE, workers=1)
    assert site_of(out) == site_of(tmp_path / "fresh-2")


@pytest.mark.parametrize("limit", [3, 50])
def test_a_cold_build_reads_each_whole_record_once_and_makes_each_feed_entry_once(
        src, tmp_path, monkeypatch, limit):
    """Each group's feeds are made with the pages of the meetings they show: a meeting's whole
    record is read once, for its page and its entry in its group's feeds (decision 70); the
    site-wide feeds read those they show again. With a feed limit below a group's size the
    pages no feed shows are made apart. The feeds are what site.feed_files makes of the whole
    records, and a correction makes its entry again, for its group's feeds with its page and
    for the site-wide feeds."""
    from minutes import feeds, site
    from minutes.pages import SiteConfig
    monkeypatch.setattr(build_module, "FEED_LIMIT", limit)
    made, read, wholes = [], [], {}
    monkeypatch.setattr(build_module, "entry_parts", lambda records, **options: made.extend(
        r.url_path for r in records) or feeds.entry_parts(records, **options))
    original = build_module.whole_record

    def reading(stored, at, segment, loaded=None):
        record = original(stored, at, segment, loaded)
        read.append(record.url_path)
        wholes[record.url_path] = record
        return record

    monkeypatch.setattr(build_module, "whole_record", reading)
    out, cache = tmp_path / "site", tmp_path / "cache"
    result = build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    config = SiteConfig(site_url=SITE)
    scopes = ["/", *sorted({f"/{r.group}/" for r in result.records if r.listed})]
    shown = {scope: feeds.feed_records([r for r in wholes.values() if scope in ("/", f"/{r.group}/")],
                                       limit=limit) for scope in scopes}
    assert len(shown["/"]) == min(limit, len(feeds.feed_records(result.records, limit=99)))
    site_wide = [r.url_path for r in shown["/"]]
    assert sorted(read) == sorted([*(r.url_path for r in result.records), *site_wide])
    assert sorted(made) == sorted([*(r.url_path for scope in scopes[1:] for r in shown[scope]),
                                   *site_wide])
    for scope in scopes:
        for item in site.feed_files(config, scope, shown[scope], limit=limit):
            assert (out / item.key).read_bytes() == item.body, item.path
    made.clear()
    write(src / "openxla" / "2022-10-07-sync.md", "# Sync 7, corrected\n\n- item 7\n- b\n")
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    assert made == ["/openxla/2022-10-07-sync/", "/openxla/2022-10-07-sync/"]
    build(src, tmp_path / "fresh", site_url=SITE, workers=2)
    assert site_of(out) == site_of(tmp_path / "fresh")


def test_a_folder_emptied_of_site_files_keeps_what_else_is_in_it(src, tmp_path):
    """Removing a meeting removes the folders its files leave empty, and no folder holding
    anything the build did not make."""
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    owned, gone = out / "openxla" / "2022-10-01-sync", out / "openxla" / "2022-10-02-sync"
    assert (owned / "index.html").is_file() and (gone / "index.html").is_file()
    (owned / "notes.txt").write_text("the site's owner put this here")
    for day in (1, 2):
        (src / "openxla" / f"2022-10-0{day}-sync.md").unlink()
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    assert (owned / "notes.txt").exists() and not (owned / "index.html").exists()
    assert not gone.exists() and (out / "openxla" / "index.html").is_file()


def test_a_rebuild_that_crosses_a_power_of_two_cuts_the_index_into_the_new_count(src, tmp_path):
    """The count of term files follows the number of listed meetings (search.shard_count): a
    rebuild whose archive crosses a power of two writes the index of the new count (and
    removes the term files it no longer has), the same bytes as a fresh build, both ways."""
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)

    def count() -> int:
        return search.meta_count((out / "search" / "meta.json").read_bytes())

    assert count() == search.shard_count(17) == 2
    added = [src / "openxla" / f"2023-01-0{day}-extra.md" for day in range(1, 5)]
    for path in added:
        write(path, f"# Extra {path.stem}\n\n- zebrafish {path.stem}\n")
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    build(src, tmp_path / "fresh-4", site_url=SITE, workers=1)
    assert count() == search.shard_count(21) == 4 and site_of(out) == site_of(tmp_path / "fresh-4")
    assert {p.name for p in (out / "search" / "t").iterdir()} <= {f"{n:03x}.json" for n in range(4)}
    for path in added:
        path.unlink()
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    build(src, tmp_path / "fresh-2", site_url=SITE, workers=1)
    assert count() == 2 and site_of(out) == site_of(tmp_path / "fresh-2")
    assert {p.name for p in (out / "search" / "t").iterdir()} <= {"000.json", "001.json"}


def test_a_file_made_again_is_left_alone_only_when_its_bytes_on_disk_are_those_made(tmp_path):
    """No digest of a written file is kept (decision 114): a file made again is compared with
    what is on disk, so one changed behind the build's back, even with its size and time kept,
    is written again; an untouched one is left alone (same inode, same time)."""
    target = str(tmp_path / "page" / "index.html")
    body = b"<p>the page</p>\n"
    _, first, wrote = build_module._put("/page/index.html", target, body, None, set())
    assert wrote and first.digest == "" and Path(target).read_bytes() == body
    before = os.stat(target)
    _, again, wrote = build_module._put("/page/index.html", target, [body[:5], body[5:]], first, set())
    assert not wrote and again == first and os.stat(target).st_ino == before.st_ino
    Path(target).write_bytes(b"<p>THE PAGE</p>\n")   # as long as it, its time set back
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    _, third, wrote = build_module._put("/page/index.html", target, body, first, set())
    assert wrote and Path(target).read_bytes() == body
    _, fourth, wrote = build_module._put("/page/index.html", target, body + b"more", third, set())
    assert wrote and Path(target).read_bytes() == body + b"more"
