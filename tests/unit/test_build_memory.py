"""`minutes build` holds little at once: a new search index is made holding one whole record
at a time (its postings, not the records), and listings are made and written one unit at a
time, never the whole site's listings together."""
from __future__ import annotations

import datetime as dt
import gc
import json
import os
import random
import weakref

import pytest

from minutes import build_search, search, site
from minutes.build import build
from minutes.model import MeetingRecord
from minutes.pages import PageRenderer, SiteConfig
from tests.unit.test_build_rebuild import SITE, snapshot, src  # noqa: F401  (src: a fixture)


def record(day: dt.date, slug: str, group: str, words: str) -> MeetingRecord:
    segment = f"{day.isoformat()}-{slug}"
    return MeetingRecord(group=group, meeting=segment, segment=segment, title=f"Meeting {slug}",
                         date=day, summary="Short.", content_html=f"<p>{words}</p>")


def many() -> list[MeetingRecord]:
    return [record(dt.date(2022, 1, 1) + dt.timedelta(days=n // 3), f"m{n}", f"g{n % 4}",
                   f"alpha beta word{n} shared{n % 7} {'three' if n % 3 == 0 else 'other'}")
            for n in range(60)]


def test_a_new_index_holds_one_whole_record_at_a_time_and_equals_search_files():
    records = many()
    light = [r.with_changes(content_html="") for r in records]
    by_key = {(r.group, r.meeting): r for r in records}
    alive: set[int] = set()
    most = 0

    def whole(key):
        nonlocal most
        gc.collect()
        copy = by_key[key].with_changes(summary="Short.")   # a new object, as the store gives
        alive.add(id(copy))
        weakref.finalize(copy, alive.discard, id(copy))
        most = max(most, len(alive))
        return copy

    made = dict(build_search.fresh(light, whole))
    assert made == search.search_files(records)
    assert most <= 2   # the one being indexed, and at most the one before it not yet collected


def postings_held_at_once(docs, *, listed: int, again: bool, monkeypatch) -> tuple[dict, int, int]:
    """index_files's files, the most postings (a word's bytearray) alive at once, and how
    many it made in all."""
    alive, counts = set(), [0, 0]

    class Postings(bytearray):   # a bytearray that a weak reference can follow
        pass

    def tracked():
        values = Postings()
        alive.add(id(values))
        weakref.finalize(values, alive.discard, id(values))
        counts[1] += 1
        return values

    def noting_most(*args):   # a pass's postings are all made before its first term file
        counts[0] = max(counts[0], len(alive))
        return real_term_file(*args)

    real_term_file = search._term_file
    monkeypatch.setattr(search, "_new_postings", tracked)
    monkeypatch.setattr(search, "_term_file", noting_most)
    files = dict(search.index_files(docs, listed=listed, again=again))
    monkeypatch.undo()
    return files, counts[0], counts[1]


def test_a_new_index_made_in_passes_holds_a_share_of_the_postings_and_equals_search_files(monkeypatch):
    """With docs it may read again (a cold build's), index_files makes the term files in
    search.PASSES passes, each holding the postings of its files' words alone (decision 86):
    the same files, a quarter of the postings at a time, about."""
    rng = random.Random(86)
    vocabulary = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6)) for _ in range(400)]
    records = [record(dt.date(2022, 1, 1) + dt.timedelta(days=n // 3), f"m{n}", f"g{n % 4}",
                      " ".join(rng.sample(vocabulary, 40))) for n in range(60)]
    ids = search.doc_ids(records)
    docs = sorted((ids[(r.group, r.meeting)], r.with_changes(content_html=""), search.packed_terms(r))
                  for r in records)
    assert search.shard_count(len(records)) >= search.PASSES
    once, most_once, made_once = postings_held_at_once(docs, listed=len(records), again=False,
                                                       monkeypatch=monkeypatch)
    passes, most, made = postings_held_at_once(docs, listed=len(records), again=True, monkeypatch=monkeypatch)
    assert passes == once == search.search_files(records)
    assert list(passes) != list(once)   # the term files come pass by pass
    assert made == made_once == most_once   # every word's postings, all alive at once in one pass
    assert 0 < most <= made // 2


def test_passes_read_any_words_right_and_an_index_of_fewer_files_than_passes():
    """A Words whose strings are not grouped by pass (made elsewhere) is read right, only
    slower; an archive of fewer term files than passes takes one pass per file."""
    records = many()
    ids = search.doc_ids(records)
    plain = [(ids[(r.group, r.meeting)], r.with_changes(content_html=""),
              search.Words(*(" ".join(part.split()) for part in search.packed_terms(r))))
             for r in records]
    assert all("\n" not in words.other for _, _, words in plain)
    assert dict(search.index_files(sorted(plain), listed=len(records), again=True)) == search.search_files(records)
    few = records[:15]
    assert search.shard_count(len(few)) == 2 < search.PASSES
    ids = search.doc_ids(few)
    docs = sorted((ids[(r.group, r.meeting)], r, None) for r in few)
    assert dict(search.index_files(docs, listed=len(few), again=True)) == search.search_files(few)


def test_packed_words_come_grouped_by_the_pass_that_makes_their_term_file():
    for r in many()[:10]:
        packed = search.packed_terms(r)
        for found in (packed.title, packed.other):
            parts = found.split("\n")
            assert len(parts) == search.PASSES
            for at, part in enumerate(parts):
                assert all(int(search.shard_key(word), 16) % search.PASSES == at for word in part.split())


def test_listing_units_make_exactly_what_listing_files_makes():
    renderer = PageRenderer(SiteConfig(site_url=SITE))
    records = many()
    units = list(site.listing_units(renderer, records, feed_limit=5))
    made = [item for unit in units for item in unit.make()]
    assert [i.path for unit in units for i in unit.make()] == [p for unit in units for p in unit.paths]
    expected = {f.path: f.body for f in site.listing_files(renderer, records, feed_limit=5)
                if not search.is_search_file(f.path)}
    static = {f.path for f in site.static_files(renderer)}
    assert {f.path: f.body for f in made} == {p: b for p, b in expected.items() if p not in static}
    assert len({p for unit in units for p in unit.paths}) == len(made)   # no file in two units


def test_a_build_writes_each_listing_unit_before_making_the_next(src, tmp_path, monkeypatch):  # noqa: F811
    """While a unit is made, every file of the units before it is already on disk."""
    out = tmp_path / "site"
    checked = []
    listing_units = site.listing_units

    def watching(*args, **kwargs):
        before: list[str] = []
        for unit in listing_units(*args, **kwargs):
            make = unit.make

            def made(make=make, before=tuple(before)):
                checked.extend((out / p.lstrip("/")).is_file() for p in before)
                return make()

            yield site.Unit(unit.paths, unit.label, unit.shows, made)
            before += unit.paths

    monkeypatch.setattr("minutes.build.listing_units", watching)
    build(src, out, site_url=SITE, workers=1)
    build(src, tmp_path / "plain", site_url=SITE, workers=1)
    assert checked and all(checked)
    assert {k: v[0] for k, v in snapshot(out).items()} == {k: v[0] for k, v in snapshot(tmp_path / "plain").items()}


def _slow_pid(item: int) -> tuple[int, int]:
    import time
    time.sleep(0.03)
    return item, os.getpid()


def test_two_processes_mean_the_main_one_and_one_worker_both_working():
    """--jobs 2 is two processes, not three: the main process takes items from the back of
    the queue while the worker takes them from the front; results come back in order."""
    from minutes.build import _Pool
    with _Pool(2) as pool:
        results = list(pool.map(_slow_pid, list(range(12))))
    assert [item for item, _ in results] == list(range(12))
    pids = [pid for _, pid in results]
    assert os.getpid() in pids and len(set(pids)) == 2
    # Each side took one end of the queue: the worker a prefix, the main process the rest.
    ours = [at for at, pid in enumerate(pids) if pid == os.getpid()]
    assert ours == list(range(ours[0], 12))


def _pid_when(flag: str) -> int:
    import time
    deadline = time.monotonic() + 5
    while not os.path.exists(flag) and time.monotonic() < deadline:
        time.sleep(0.01)
    return os.getpid()


def test_the_main_process_takes_an_item_it_waits_for_rather_than_wait_behind_the_queue(tmp_path):
    """A build queues the meeting pages, then the feeds behind them, and collects the feeds
    first: the main process must take every queued feed itself, the first one too, not wait
    for the worker to reach it after every page (a 10,000-meeting build's main process sat
    3.9 s idle so). Here the worker is held by the first queue's items until the main process
    has the second queue's results."""
    from minutes.build import _Pool
    flag = tmp_path / "flag"
    with _Pool(2) as pool:
        first = pool.map(_pid_when, [str(flag)] * 2)    # the worker takes these, and waits
        second = pool.map(_pid_when, [str(tmp_path)] * 3)   # answered at once, by whoever runs it
        assert list(second) == [os.getpid()] * 3
        flag.touch()
        assert len(list(first)) == 2


class _Work:
    """A queued item's argument, to watch whether anything still holds it."""

    def __init__(self, folder: str):
        self.folder = folder


def _pid_of(work: _Work) -> int:
    return _pid_when(work.folder)


def test_an_item_the_main_process_made_is_not_held_once_made(tmp_path):
    """The main process lets go of an item it took from the queue once it has made it, as a
    worker's are once sent: a build's jobs (pages, feeds) are freed as they are made, so the
    pages and feeds the main process makes later reuse their space (decision 86)."""
    from minutes.build import _Pool
    flag = tmp_path / "flag"
    with _Pool(2) as pool:
        first = pool.map(_pid_when, [str(flag)] * 2)    # the worker takes these, and waits
        works = [_Work(str(tmp_path)) for _ in range(3)]
        held = [weakref.ref(work) for work in works]
        second = pool.map(_pid_of, works)
        del works
        assert next(second) == os.getpid()   # the main process made all three, last first
        gc.collect()
        assert [ref() for ref in held] == [None, None, None]
        assert list(second) == [os.getpid()] * 2
        flag.touch()
        assert len(list(first)) == 2


def test_the_places_of_a_packs_meetings_share_one_path(tmp_path):
    """The store's places (record_at, words_at) of the meetings of one pack name it with one
    string, not one per place: a build holds ~3 places per meeting until its end."""
    from minutes.buildcache import BuildCache
    cache = BuildCache(tmp_path / "cache", options=())
    pack = str(tmp_path / "cache" / "records" / "abc-0123.pack")
    for n in range(3):
        cache.keep_meeting(f"m{n}", [], (pack, 100 * n, 60, 0), (pack, 100 * n + 60, 40, 0))
    places = [cache.record_at(f"m{n}") for n in range(3)] + [cache.words_at(f"m{n}") for n in range(3)]
    assert [place[1:] for place in places] == [(0, 60, 0), (100, 60, 0), (200, 60, 0),
                                               (60, 40, 0), (160, 40, 0), (260, 40, 0)]
    assert {place[0] for place in places} == {pack}
    assert len({id(place[0]) for place in places}) == 1


def test_below_solo_below_meetings_a_build_starts_no_process(src, tmp_path, monkeypatch):  # noqa: F811
    from minutes.forkpool import ForkPool
    started = []
    monkeypatch.setattr(ForkPool, "_start",
                        lambda pool: started.append(pool) or pytest.fail("a worker was started"))
    build(src, tmp_path / "site", site_url=SITE)
    assert started == []


def test_the_process_count_follows_the_meetings_to_assemble_not_the_archive(src, tmp_path,
                                                                            monkeypatch):  # noqa: F811
    """From SOLO_BELOW meetings to assemble a build uses every core; a rebuild that assembles
    fewer (one change in a big archive) starts no process, however big the archive."""
    from minutes import build as build_module
    from minutes.forkpool import ForkPool
    real, started = ForkPool._start, []
    monkeypatch.setattr(ForkPool, "_start", lambda pool: started.append(pool.workers) or real(pool))
    monkeypatch.setattr(build_module, "SOLO_BELOW", 10)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(src, out, site_url=SITE, cache_dir=cache)          # 18 meetings to assemble
    assert started == [2]   # the main process and one worker
    (src / "openxla" / "2022-10-03-sync.md").write_text("# Sync 3, corrected\n\n- item 3\n")
    result = build(src, out, site_url=SITE, cache_dir=cache)   # one
    assert result.reused == len(result.records) - 1   # meetings: one was assembled
    assert started == [2]


def test_a_cold_build_forks_its_worker_before_it_makes_any_meetings_job(src, tmp_path,
                                                                        monkeypatch):  # noqa: F811
    """Decision 87: with a cache that knows no source, the worker is forked before the main
    process makes its per-meeting jobs (pages of them the main process writes later would be
    the worker's alone); a rebuild that assembles as many forks when it first has work, after
    its jobs (it cannot know how many before it has compared each source with the cache)."""
    from minutes import build as build_module
    from minutes.forkpool import ForkPool
    real_job, real_start, made, jobs_at_fork = build_module._job, ForkPool._start, [], []
    monkeypatch.setattr(build_module, "_job", lambda *args: made.append(1) or real_job(*args))
    monkeypatch.setattr(ForkPool, "_start",
                        lambda pool: jobs_at_fork.append(len(made)) or real_start(pool))
    monkeypatch.setattr(build_module, "SOLO_BELOW", 10)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(src, out, site_url=SITE, cache_dir=cache)          # cold: 18 meetings
    assert jobs_at_fork == [0]
    for path in sorted(src.rglob("*.md")):                    # every meeting changed
        path.write_text(path.read_text() + "\nOne more line.\n")
    made.clear()
    build(src, out, site_url=SITE, cache_dir=cache)
    assert jobs_at_fork == [0, len(made)] and len(made) >= 10


def test_a_cold_builds_early_worker_is_stopped_when_the_build_fails_before_its_pool_is_used(
        src, tmp_path, monkeypatch):  # noqa: F811
    from minutes import build as build_module
    from minutes.forkpool import ForkPool
    pools = []
    real_start = ForkPool._start
    monkeypatch.setattr(ForkPool, "_start", lambda pool: pools.append(pool) or real_start(pool))
    monkeypatch.setattr(build_module, "SOLO_BELOW", 10)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(build_module, "_jobs", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build(src, tmp_path / "site", site_url=SITE, cache_dir=tmp_path / "cache")
    assert len(pools) == 1 and not pools[0].started   # closed: its worker has ended


def test_postings_of_the_first_and_last_dates_python_holds_fit_the_index():
    """index_files keeps postings as 32-bit ints: the ids of year 1 and year 9999 fit."""
    first, last = record(dt.date.min, "first", "g", "ancient"), record(dt.date.max, "last", "g", "future")
    files = search.search_files([first, last])
    ids = search.doc_ids([first, last])
    for word, found in (("ancient", first), ("future", last)):
        (posting,) = json.loads(files[search.word_path(word, search.meta_count(files[search.META_PATH]))])["w"][word]
        assert posting == ids[(found.group, found.meeting)] * 2   # not in the title


def test_with_two_processes_the_worker_makes_feeds_and_pages_and_the_bytes_are_the_same(
        src, tmp_path, monkeypatch):  # noqa: F811
    """After assembly one queue holds the meeting pages and then the feeds: the worker takes
    them from the front while the main process writes search and the other listings. The
    forked worker inherits the patches below, so each records which process made what."""
    from minutes import build as build_module
    made = tmp_path / "made"
    made.mkdir()

    def noting(kind, original):
        def wrapper(*args, **kwargs):
            (made / f"{kind}-{os.getpid()}-{os.urandom(4).hex()}").touch()
            return original(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(build_module, "_render_feeds", noting("feeds", build_module._render_feeds))
    monkeypatch.setattr(build_module, "_render_pages", noting("pages", build_module._render_pages))
    monkeypatch.setattr(build_module, "_assemble_one", noting("assemble", build_module._assemble_one))
    def made_by_kind() -> dict[str, list[int]]:
        by_kind: dict[str, list[int]] = {}
        for name in os.listdir(made):
            kind, pid, _ = name.split("-")
            by_kind.setdefault(kind, []).append(int(pid))
            os.unlink(made / name)
        return by_kind

    build(src, tmp_path / "two", site_url=SITE, workers=2)
    by_kind = made_by_kind()
    build(src, tmp_path / "one", site_url=SITE, workers=1)
    alone = made_by_kind()
    workers = {pid for pids in by_kind.values() for pid in pids} - {os.getpid()}
    assert workers, "no worker made anything"
    # Every scope's feeds (/ and 3 groups) went through the queue, in either build (a group's
    # with the pages of the meetings they show); the worker took work from the queue's front
    # (the main process only helps from the back).
    assert len(by_kind["feeds"]) == len(alone["feeds"]) == 4
    assert workers & {*by_kind["feeds"], *by_kind["pages"]}
    assert {pid for pids in alone.values() for pid in pids} == {os.getpid()}
    assert {k: v[0] for k, v in snapshot(tmp_path / "two").items()} == \
           {k: v[0] for k, v in snapshot(tmp_path / "one").items()}


def test_each_process_empties_what_assembling_memoised_before_its_second_phase(
        src, tmp_path, monkeypatch):  # noqa: F811
    """The memos of assembly (summary's block words, comrak_html's tags: ~5 MiB per process
    at 1,000 meetings; the parsed keys, which the main process also fills as it lists the
    sources: decision 96) are emptied in each process once its assembling is over, so its
    pages, feeds and the search index reuse that space (decision 72); the bytes are the same."""
    from minutes import build as build_module, comrak_html, keys, markdown, summary
    seen = tmp_path / "seen"
    seen.mkdir()

    memos = [value for value in vars(summary).values() if hasattr(value, "cache_info")]
    assert len(memos) >= 3   # summary's lru_caches, whatever their names
    memos.append(keys.parse_key)

    def memo_sizes() -> int:
        return (sum(memo.cache_info().currsize for memo in memos) + len(comrak_html._SAME_ON_EVERY_PAGE)
                + len(markdown._SLUGS))

    def noting(kind, original):
        def wrapper(*args, **kwargs):
            (seen / f"{kind}-{os.getpid()}-{memo_sizes()}-{os.urandom(4).hex()}").touch()
            return original(*args, **kwargs)
        return wrapper

    assembled = build_module._assemble_one

    def assembling(*args, **kwargs):
        made = assembled(*args, **kwargs)
        (seen / f"assembled-{os.getpid()}-{memo_sizes()}-{os.urandom(4).hex()}").touch()
        return made

    monkeypatch.setattr(build_module, "_assemble_one", assembling)
    for name in ("_render_pages", "_render_feeds", "_make_search", "_write_listings"):
        monkeypatch.setattr(build_module, name, noting(name, getattr(build_module, name)))
    build(src, tmp_path / "two", site_url=SITE, workers=2)
    found = [name.split("-")[:3] for name in os.listdir(seen)]
    assert {kind for kind, _, _ in found} == {"assembled", "_render_pages", "_render_feeds",
                                              "_make_search", "_write_listings"}
    assert any(int(size) > 0 for kind, _, size in found if kind == "assembled")   # memos were in use
    assert {(kind, size) for kind, _, size in found if kind != "assembled"} <= \
           {(kind, "0") for kind in ("_render_pages", "_render_feeds", "_make_search", "_write_listings")}
    assert {pid for _, pid, _ in found} - {str(os.getpid())}, "no worker made anything"
    build(src, tmp_path / "one", site_url=SITE, workers=1)
    assert {k: v[0] for k, v in snapshot(tmp_path / "two").items()} == \
           {k: v[0] for k, v in snapshot(tmp_path / "one").items()}


def test_the_main_process_keeps_what_it_was_handed_only_once_its_memos_are_emptied(
        src, tmp_path, monkeypatch):  # noqa: F811
    """Decision 92: each assembled meeting comes back pickled, and the main process makes what
    it keeps of it (the light records, the cache's entries) only once its own assembling is over
    and its memos are emptied, not among its assembling's temporaries; the progress still counts
    the meetings as they are assembled, and the site is the one-process build's."""
    from minutes import build as build_module
    from minutes.buildcache import BuildCache
    events, shown, main = [], [], os.getpid()
    forget, keep = build_module._forget_assembly, BuildCache.keep_meeting
    monkeypatch.setattr(build_module, "_forget_assembly",
                        lambda: (os.getpid() == main and events.append("forget")) or forget())
    monkeypatch.setattr(BuildCache, "keep_meeting",
                        lambda cache, *args: events.append("keep") or keep(cache, *args))
    result = build(src, tmp_path / "two", site_url=SITE, workers=2,
                   progress=lambda done, total, stage=build_module.FIRST_STAGE:
                   stage == build_module.FIRST_STAGE and shown.append((done, total)))
    sources = len(build_module.gather(src))   # a running-notes file may hold more meetings
    assert events.count("keep") == sources > 10 and len(result.records) >= sources
    assert events.index("forget") < events.index("keep")
    assert shown[-1] == (sources, sources) and shown == sorted(shown) and len(shown) > 1
    build(src, tmp_path / "one", site_url=SITE, workers=1)
    assert {k: v[0] for k, v in snapshot(tmp_path / "two").items()} == \
           {k: v[0] for k, v in snapshot(tmp_path / "one").items()}


def test_a_memo_is_pickled_into_its_file_not_first_into_one_bytes_object(tmp_path):
    """A scope's feed entries (~1.5 MB at 1,000 meetings) are pickled one by one into the
    file: the process never holds their pickle whole beside them."""
    import pickle
    import tracemalloc
    from minutes.buildcache import load_memo, store_memo
    value = {f"entry-{n}": (os.urandom(16_000), os.urandom(16_000)) for n in range(100)}   # 3.2 MB
    path = tmp_path / "memo.pickle"
    tracemalloc.start()
    try:
        store_memo(str(path), value)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 512 * 1024
    assert load_memo(str(path)) == value
    assert path.read_bytes() == b"".join(pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
                                         for item in value.items())


def test_a_memo_of_another_shape_is_refused_not_read_as_entries(tmp_path):
    """A memo file a build before decision 97 wrote (one pickled dict) is not entries: read
    as such, a dict of two entries would unpack into two names (the build then makes the
    entries again: build._feed_memo)."""
    import pickle
    from minutes.buildcache import load_memo
    path = tmp_path / "old.pickle"
    path.write_bytes(pickle.dumps({"a": (b"1", b"2"), "b": (b"3", b"4")}))
    with pytest.raises(ValueError, match="not a memo of entries"):
        load_memo(str(path))


def test_the_memoised_words_of_blocks_hold_each_distinct_word_once():
    """summary._words memoises the words of up to 4,096 block texts while a process assembles:
    a word the blocks share is one string, not one per block (decision 74)."""
    from minutes import summary
    summary.forget()
    texts = [f"Budget review number {n}: the committee approved the budget" for n in range(50)]
    words = [summary._words(text) for text in texts]
    summary.forget()
    assert all("budget" in found and "committee" in found for found in words)
    for word in ("budget", "review", "committee", "approved"):
        assert len({id(w) for found in words for w in found if w == word}) == 1, word


def test_a_rendered_meeting_page_leaves_no_cycle_holding_its_record():
    """A page's whole record (its content: ~20-40 KB) is freed as soon as the page is made,
    not when the cycle collector next runs: with a macro of its own, the page's template
    context and the macro referred to each other, and a worker's feeds job of fifty pages left
    ~1.9 MiB of such garbage each (decision 74)."""
    from minutes.model import Resource
    from minutes.pages import PageRenderer, SiteConfig
    renderer = PageRenderer(SiteConfig(site_url=SITE))
    day = dt.date(2022, 9, 20)
    page = record(day, "sig", "openxla", "words").with_changes(resources=(
        Resource("slides", "/openxla/2022-09-20-sig/deck.pdf", "Deck"),
        Resource("recording", "https://video.example/v", "Video")))
    renderer.meeting_page(page, previous=None, next=None)   # the templates' first use
    html, held = _with_cycle_garbage(lambda: renderer.meeting_page(page, previous=None, next=None))
    assert 'href="deck.pdf"' in html and 'href="https://video.example/v"' in html
    assert "Context" not in held, held   # the page's context, and with it the record, went at once


def test_a_listing_page_leaves_no_cycle_to_the_collector():
    """The listing page imports its macros without context (a macro that writes links is given
    `url`): imported "with context", the macros' module was made again for each page and it
    and the page's context referred to each other (~750 KiB of garbage in the main process
    after the 1,000 bench meetings' listings; decision 74)."""
    renderer = PageRenderer(SiteConfig(site_url=SITE))
    units = [u for u in site.listing_units(renderer, many(), feed_limit=5) if u.feed_scope is None]
    paged = [u for u in units if any('class="pagination"' in i.body.decode() for i in u.make())]
    assert paged, "no listing with pagination among the units"
    made, held = _with_cycle_garbage(lambda: [item for unit in paged for item in unit.make()])
    assert made and "Context" not in held, held


def _with_cycle_garbage(make):
    """make()'s result, and the type names of the objects it left to the cycle collector."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        made = make()
        gc.collect()
        return made, [type(o).__name__ for o in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def test_a_scopes_feeds_are_written_from_their_pieces_never_joined(src, tmp_path, monkeypatch):  # noqa: F811
    """An RSS or Atom document a rebuild makes again is written as the pieces it is the join
    of (its head, each entry, its end; feeds.feed_pieces), never made whole first: at 1,000
    meetings a scope's two documents were ~1.6 MB held beside the fifty entries they repeat,
    and the worker's peak (decision 82). The file holds exactly the pieces' bytes."""
    import tracemalloc
    from minutes import build as build_module, feeds
    from tests.unit.test_build_rebuild import edit
    out = tmp_path / "site"
    build(src, out, site_url=SITE, workers=1, cache_dir=tmp_path / "cache")
    for n in range(1, 8):   # every group's feeds and the site's change: each made again
        (src / "rust-lang" / f"2019-04-0{n}.md").write_text(f"# Lang {n}, again\n\n- a {n}\n- b\n")
    edit(src)
    written: dict[str, object] = {}
    peaks: dict[str, int] = {}
    original = build_module._put

    def put(path, target, body, old, folders):
        if not path.endswith(("/feed.xml", "/atom.xml")):
            return original(path, target, body, old, folders)
        written[path] = body
        # What _put itself allocates: a join of the pieces (one bytes object the document's
        # size) shows as a peak of that size; written piece by piece it is a few hundred bytes.
        tracemalloc.start()
        try:
            return original(path, target, body, old, folders)
        finally:
            peaks[path] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()

    monkeypatch.setattr(build_module, "_put", put)
    monkeypatch.setattr(feeds, "feed_documents", lambda *a, **k: pytest.fail("a whole feed made"))
    build(src, out, site_url=SITE, workers=1, cache_dir=tmp_path / "cache")
    assert sorted(written) == ["/atom.xml", "/feed.xml", "/openxla/atom.xml", "/openxla/feed.xml",
                               "/rust-lang/atom.xml", "/rust-lang/feed.xml"]
    for path, body in written.items():
        assert isinstance(body, list) and len(body) >= 3, path   # head, an entry or more, end
        assert (out / path.lstrip("/")).read_bytes() == b"".join(body)
    # A join would peak at the document's size; a small feed is below _put's own ~1 KB.
    big = {path: sum(map(len, body)) for path, body in written.items() if sum(map(len, body)) > 4096}
    assert len(big) >= 2, written.keys()
    for path, size in big.items():
        assert peaks[path] < size // 2, (path, size, peaks[path])


def test_a_cold_builds_feeds_are_written_entry_by_entry_holding_a_few(tmp_path, monkeypatch):
    """A scope's feeds no earlier build wrote are written as their entries are made, one at a
    time, each also pickled into the memo as it is written: the process making them never
    holds every entry the feeds show (~1 MiB at 1,000 meetings in each process making a
    scope's feeds, where the tree's peak came; decision 97). The files and the memo hold
    every entry, in the feeds' order, and the bytes are those of feeds made whole."""
    import tracemalloc
    from minutes import build as build_module
    from minutes.buildcache import load_memo
    words = random.Random(7).choices([f"w{n}" for n in range(5000)], k=40 * 1500)
    src = tmp_path / "src"
    (src / "big").mkdir(parents=True)
    for n in range(40):   # ~8 KB of text each: each entry ~9 KB, in RSS and in Atom
        text = " ".join(words[n * 1500:(n + 1) * 1500])
        (src / "big" / f"2023-01-{n % 28 + 1:02d}-m{n}.md").write_text(f"# Meeting {n}\n\n{text}\n")
    peaks: dict[str, int] = {}
    original = build_module._stream_feeds

    def streaming(config, state, work):
        tracemalloc.start()
        try:
            return original(config, state, work)
        finally:
            # Above what stays (the renderer and its templates, made at the first use).
            left, peak = tracemalloc.get_traced_memory()
            peaks[work.scope] = peak - left
            tracemalloc.stop()

    monkeypatch.setattr(build_module, "_stream_feeds", streaming)
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    assert sorted(peaks) == ["/", "/big/"]
    for scope in peaks:
        entries = sum((out / scope.lstrip("/") / name).stat().st_size for name in ("feed.xml", "atom.xml"))
        assert entries > 600_000, entries   # forty entries of ~9 KB, in each document
        assert peaks[scope] < entries // 4, (scope, peaks[scope], entries)
    memos = [load_memo(str(path)) for path in (cache / "feeds").iterdir()]
    assert sorted(len(memo) for memo in memos) == [40, 40]
    rss = (out / "big" / "feed.xml").read_bytes()
    for memo in memos:
        items = [b"".join(item) for item, _ in memo.values()]
        assert all(item in rss for item in items)
        assert [rss.index(item) for item in items] == sorted(rss.index(item) for item in items)
    # The same bytes as feeds made whole (a rebuild's way), and the same entries memoised
    # (named by their packs, which each build names afresh).
    monkeypatch.setattr(build_module, "_stream_feeds", build_module._remade_feeds)
    build(src, tmp_path / "whole", site_url=SITE, workers=1, cache_dir=tmp_path / "cache2")
    assert {k: v[0] for k, v in snapshot(tmp_path / "whole").items()} == \
           {k: v[0] for k, v in snapshot(out).items()}
    whole = [load_memo(str(path)) for path in (tmp_path / "cache2" / "feeds").iterdir()]
    assert sorted(list(memo.values()) for memo in whole) == sorted(list(memo.values()) for memo in memos)
