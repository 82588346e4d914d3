"""The static search: the chunked index (term shards + one result file per meeting), how it is
updated one change at a time, and the progressive page around it."""
from __future__ import annotations

import datetime as dt
import itertools
import json
import random
import re
from pathlib import Path

from minutes.model import MeetingRecord
from minutes.pages import PageRenderer, SiteConfig
from minutes.search import (_WORD, CHUNK_DAYS, DAY_SLOTS, KEYS_DIR, MAX_WORD, META_PATH, PASSES, PER_SHARD, SHARDS,
                            doc_ids, doc_path, file_key, index_files, keys_entry, keys_path, meta_count, meta_file,
                            needs_reshard, packed_terms, plain_text, plan_days, reshard_steps, search_files,
                            searchable, shard_count, stray_terms, shard_file, shard_for, shard_key, shard_path, terms,
                            week_of, word_path, words)
from tests.unit.test_pages import Tags

SITE = "https://minutes.example.org"


def record(day=dt.date(2022, 9, 20), slug="sig", group="openxla", **changes) -> MeetingRecord:
    segment = f"{day.isoformat()}-{slug}"
    return MeetingRecord(group=group, meeting=segment, segment=segment, title=f"Meeting {slug}",
                         date=day, summary="Short.", content_html="<p>x</p>").with_changes(**changes)


def postings(files: dict[str, bytes], word: str) -> list[tuple[int, bool]]:
    """(id, in title) of the meetings with this word, read as search.js reads them."""
    data = files.get(word_path(word, meta_count(files.get(META_PATH))))
    if data is None:
        return []
    total, found = 0, []
    for delta in json.loads(data)["w"].get(word, []):
        total += delta
        found.append((total // 2, bool(total % 2)))
    return found


def test_a_meeting_is_found_by_the_words_of_its_title_group_date_and_text():
    meeting = record(content_html='<h2 id="a">StableHLO &amp; XLA</h2><p>We <em>agreed</em> on v1.2.'
                                  ' We agreed!</p><pre><code>don\'t&lt;T&gt;</code></pre>')
    assert terms(meeting) == {"meeting": True, "sig": True, "openxla": False, "2022-09-20": False,
                              "stablehlo": False, "xla": False, "we": False, "agreed": False,
                              "on": False, "v1.2": False, "don't": False, "t": False}
    files = search_files([meeting])
    [meeting_id] = doc_ids([meeting]).values()
    assert postings(files, "stablehlo") == [(meeting_id, False)]
    assert postings(files, "sig") == [(meeting_id, True)]
    assert json.loads(files[doc_path(meeting_id)]) == {str(meeting_id): {
        "title": "Meeting sig", "date": "2022-09-20", "group": "openxla",
        "path": "/openxla/2022-09-20-sig/", "status": "published", "summary": "Short."}}
    assert json.loads(files[keys_path(meeting_id)]) == {str(meeting_id): sorted(shard_for(meeting))}
    # A word's shard is the FNV-1a hash of its prefix's UTF-8 (the published test vectors:
    # "a" 0xe40c292c, "foo" 0xa9f37ed7), modulo SHARDS: three hex digits whatever the script.
    assert shard_key("a") == f"{0xe40c292c % SHARDS:03x}" and shard_key("foobar") == f"{0xa9f37ed7 % SHARDS:03x}"
    assert shard_key("v1.2") == shard_key("v1.x") and re.fullmatch(r"/search/t/[0-9a-f]{3}\.json", shard_path(shard_key("ста")))


def test_packed_words_are_the_terms_and_make_the_same_index_from_light_records():
    """`minutes build` finds a meeting's words where it assembles it (packed_terms) and indexes
    its light record with them: the same files as from the whole records."""
    rng = random.Random(5)
    vocabulary = ["Rust", "rust", "v1.2", "don't", "k8s", "naïve", "日本", "x" * 50, "a-b", "&amp;", "c++"]
    records = []
    for n in range(40):
        text = " ".join(rng.choice(vocabulary) for _ in range(rng.randrange(1, 30)))
        title = " ".join(rng.choice(vocabulary) for _ in range(rng.randrange(0, 4)))
        records.append(record(day=dt.date(2022, 9, 1 + n % 9), slug=f"m{n}", group=f"g{n % 3}",
                              title=title, content_html=f"<p>{text}</p><h2>{title}</h2>"))
    for meeting in records:
        packed = packed_terms(meeting)
        assert {**dict.fromkeys(packed.other.split(), False), **dict.fromkeys(packed.title.split(), True)} \
            == terms(meeting)
        assert packed.shards.split() == keys_entry(meeting)
    ids = doc_ids(records)
    docs = sorted((ids[(r.group, r.meeting)], r) for r in records)
    light = [(doc_id, r.with_changes(content_html=""), packed_terms(r)) for doc_id, r in docs]
    assert dict(index_files(light, listed=len(searchable(records)))) == search_files(records)


def test_packed_words_hold_each_pass_words_in_its_own_part():
    """packed_terms puts the words of each pass of index_files in a part of their own, in pass
    order (the pass of a word is its shard modulo PASSES): each pass splits out its part alone."""
    rng = random.Random(106)
    vocabulary = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyzäß日") for _ in range(rng.randrange(1, 9)))
                  for _ in range(300)]
    for n in range(20):
        meeting = record(slug=f"m{n}", title=" ".join(rng.sample(vocabulary, 5)),
                         content_html=f"<p>{' '.join(rng.sample(vocabulary, 120))}</p>")
        packed = packed_terms(meeting)
        for words in (packed.title, packed.other):
            parts = words.split("\n")
            assert len(parts) == PASSES
            assert all(int(shard_key(word), 16) % PASSES == at
                       for at, part in enumerate(parts) for word in part.split())
        assert sorted(packed.title.split() + packed.other.split()) == sorted(terms(meeting))


def test_upcoming_meetings_are_searchable_drafts_never_and_the_files_are_deterministic():
    records = [record(day=dt.date(2022, 1, 1), slug="old"), record(day=dt.date(2023, 1, 1), slug="new"),
               record(slug="draft", status="draft"), record(day=dt.date(2030, 1, 1), slug="next", status="upcoming")]
    files = search_files(records)
    shown = [doc["path"] for p, b in files.items() if p.startswith("/search/d/") for doc in json.loads(b).values()]
    assert sorted(shown) == ["/openxla/2022-01-01-old/", "/openxla/2023-01-01-new/", "/openxla/2030-01-01-next/"]
    assert "draft" not in postings(files, "draft") and postings(files, "draft") == []
    assert search_files(records) == search_files(list(reversed(records)))


def test_ids_follow_the_date_so_newest_first_needs_nothing_else():
    records = [record(day=dt.date(2022, 1, 1), slug="b"), record(day=dt.date(2022, 1, 1), slug="a"),
               record(day=dt.date(2021, 12, 31), slug="z", group="jax")]
    ids = doc_ids(records)
    assert ids[("jax", "2021-12-31-z")] < ids[("openxla", "2022-01-01-a")] < ids[("openxla", "2022-01-01-b")]
    assert ids[("openxla", "2022-01-01-b")] - ids[("openxla", "2022-01-01-a")] == 1


def test_a_day_with_more_meetings_than_slots_leaves_the_rest_out_of_search_only():
    crowded = [record(slug=f"m{n:03d}") for n in range(DAY_SLOTS + 3)]
    ids = doc_ids(crowded)
    assert len(ids) == DAY_SLOTS and len(set(ids.values())) == DAY_SLOTS
    files = search_files(crowded)
    [results] = [json.loads(b) for p, b in files.items() if p.startswith("/search/d/")]
    assert sorted(map(int, results)) == sorted(ids.values())


def test_words_are_the_regex_words_of_the_text_though_most_tokens_skip_the_regex():
    """words() strips punctuation off whitespace-separated tokens and takes an all-letters rest
    as it is: the same words, in the same order, as the word pattern over the whole text."""
    rng = random.Random(3)
    alphabet = "aZ9_ \t\n.'’+#-,;:!?()[]\"/<>&*…“”«»éßΩ日本٣½²\u200b\u00a0x"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(60))) for _ in range(3000)]
    texts += [" ".join(TEXTS), "a.b.c.. .d '’x'’ -y- #z# c++ c# __init__ x_y v1.2.3. (k8s) «ça» ½x ²"]
    for text in texts:
        expected = [w for w in dict.fromkeys(_WORD.findall(text.lower())) if len(w) <= MAX_WORD]
        assert words(text) == expected, repr(text)


def test_the_words_of_a_page_are_those_of_its_plain_text():
    """terms() only takes the tags out (each a word boundary) and decodes entities: the words
    plain_text's blocks and spacing give."""
    pages = ['<p>end</p><p>start</p><ul><li>a</li><li>b<br>c<br/>d</li></ul>',
             '<a title="a>b</p>c" href="#x">link</a>x<img alt="no" src="y.png">z',
             '<table><tr><td>1</td><td>2</td></tr></table><pre><code>a&lt;T&gt;b&amp;c&#39;d</code></pre>',
             '<h2 id="h">Ünïcode&nbsp;text</h2><blockquote><p>quoted</p></blockquote>tail']
    for page in pages:
        meeting = record(content_html=page, title="", group="g")
        expected = words(f"g 2022-09-20 {plain_text(page)}")
        assert list(terms(meeting)) == expected, page


def test_words_are_distinct_lowercase_in_order_and_block_boundaries_split_them():
    assert words("Rust rust RUST, Go; go-lang") == ["rust", "go", "go-lang"]
    assert plain_text("<p>end</p><p>start</p><ul><li>a</li><li>b</li></ul>") == "end start a b"
    assert plain_text('<a title="a>b" href="#x">link</a>') == "link"


# --- one change at a time ----------------------------------------------------------------------

TEXTS = ["roadmap stablehlo compiler", "roadmap release notes", "compiler bugs triage", "release",
         "Straße über ünicode 日本語 テスト", "c++ c# v1.2 don't"]


def random_record(rng: random.Random, n: int) -> MeetingRecord:
    day = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(20))   # three weeks: three d/ files
    text = " ".join(rng.sample(TEXTS, rng.randint(1, 3)))
    return record(day=day, slug=f"m{n}", group=rng.choice(["openxla", "jax"]),
                  title=rng.choice(["Weekly sync", "Roadmap review", "Triage"]),
                  content_html=f"<p>{text}</p>", status=rng.choice(["published"] * 4 + ["draft", "upcoming"]))


def reshard_first(files: dict[str, bytes], listed: int) -> tuple[dict[str, bytes], list]:
    """What the index service does before a plan: when the count of term files changes or a
    move was cut short (meta.json marks it), every term file is moved; then the term files the
    count does not have are deleted. The files after that, and the writes (in order)."""
    moves = []
    if needs_reshard(files.get(META_PATH), listed):
        moves = [item for step in reshard_steps({p: b for p, b in files.items() if p.startswith("/search/t/")},
                                                listed, meta=files.get(META_PATH)) for item in step]
    files = write(files, moves)
    stray = [(path, None) for path in stray_terms(files, meta_count(files.get(META_PATH)))]
    return write(files, stray), moves + stray


def plan_change(files: dict[str, bytes], before: list[MeetingRecord], after: list[MeetingRecord],
                changed: set, reads: list | None = None) -> list:
    """What the index service does for one change set: a re-shard when the number of listed
    meetings crosses a power of two, then plan_days with the listed meetings of the touched
    days before (light) and now (full records), reading the current files."""
    days = {r.date for r in before + after if (r.group, r.meeting) in changed}
    listed = len(searchable(after))
    files, moves = reshard_first(files, listed)

    def read(path):
        if reads is not None:
            reads.append(path)
        return files.get(path)

    plan = plan_days(before=[r for r in before if r.date in days and r.listed],
                     after=[r for r in after if r.date in days], listed=listed, read=read)
    assert_one_write_per_path_a_step(plan)
    return moves + plan


def assert_one_write_per_path_a_step(plan: list) -> None:
    """The index writes a plan a folder at a time, the files of a step concurrently: a path
    twice in one step would leave whichever write landed last."""
    for folder, step in itertools.groupby(plan, key=lambda item: item[0].rsplit("/", 1)[0]):
        paths = [path for path, _ in step]
        assert len(paths) == len(set(paths)), (folder, paths)


def write(files: dict[str, bytes], plan: list) -> dict[str, bytes]:
    files = dict(files)
    for path, body in plan:
        if body is None:
            files.pop(path, None)
        else:
            files[path] = body
    return dict(sorted(files.items()))


def apply_change(files, before, after, changed) -> tuple[dict, dict]:
    reads: list[str] = []
    plan = plan_change(files, before, after, changed, reads)
    return write(files, plan), {"written": dict(plan), "read": reads}


def random_change(rng: random.Random, records: list[MeetingRecord], step: int) -> set:
    """Change `records` in place at random; the (group, meeting) keys changed."""
    action = rng.random()
    if action < 0.1 and records:              # a second meeting on a day that has one
        twin = rng.choice(records)
        records.append(random_record(rng, step).with_changes(date=twin.date))
        return {(records[-1].group, records[-1].meeting)}
    if action < 0.5 or not records:
        records.append(random_record(rng, step))
        return {(records[-1].group, records[-1].meeting)}
    if action < 0.8:
        at = rng.randrange(len(records))
        records[at] = random_record(rng, step).with_changes(group=records[at].group, meeting=records[at].meeting,
                                                            segment=records[at].segment, date=records[at].date)
        return {(records[at].group, records[at].meeting)}
    gone = records.pop(rng.randrange(len(records)))
    return {(gone.group, gone.meeting)}


def test_patching_the_touched_days_gives_the_bytes_of_a_fresh_index():
    rng = random.Random(7)
    records: list[MeetingRecord] = []
    files = search_files(records)
    counts = set()
    for step in range(120):
        before = list(records)
        changed = random_change(rng, records, step)
        files, _ = apply_change(files, before, records, changed)
        assert files == search_files(records), f"step {step}"
        counts.add(meta_count(files.get(META_PATH)))
    assert counts >= {1, 2, 4}   # the archive grew across powers of two: re-shards were planned


def test_a_plan_applied_again_or_retried_after_failing_halfway_converges():
    """The index retries a batch whose writes failed partway (SQS redelivers it): the plan made
    again from the half-written files must still give a fresh index's bytes."""
    rng = random.Random(11)
    records: list[MeetingRecord] = []
    files = search_files(records)
    retried = 0
    for step in range(150):
        before = list(records)
        changed = random_change(rng, records, step)
        plan = plan_change(files, before, records, changed)
        half = write(files, plan[:rng.randrange(len(plan) + 1)])   # the writes that got through
        files = write(half, plan_change(half, before, records, changed))
        assert files == search_files(records), f"step {step}"
        again = plan_change(files, before, records, changed)        # a duplicate delivery
        assert write(files, again) == files, f"step {step}"
        retried += len(plan) > 1
    assert retried > 50   # most steps really were cut halfway through a plan of several files
    assert meta_count(files.get(META_PATH)) >= 4


def test_a_batch_cut_anywhere_and_dead_lettered_whose_meeting_changes_again_leaves_nothing_stale():
    """Version 2 of a meeting is cut after any of its writes and dead-lettered; version 3
    (other words again) runs over what it left; then the dead batch is replayed. The index is
    a fresh index's after version 3 and after the replay: no posting of version 2 stays in a
    shard that neither version 1 nor version 3 uses."""
    others = archive(150)                                  # 16 term files
    was = record(day=others[4].date, slug="edited", content_html="<p>alpha beta gamma delta</p>")
    v2 = was.with_changes(content_html="<p>" + " ".join(f"{a}{b}{c}middle" for a in "fhkpsw" for b in "aeiou"
                                                        for c in "lnrt") + "</p>")   # many prefixes
    v3 = was.with_changes(content_html="<p>omega</p>")
    key = {(was.group, was.meeting)}
    start = search_files([*others, was])
    plan = plan_change(start, [*others, was], [*others, v2], key)
    assert len(plan) > 10
    for cut in range(len(plan) + 1):
        files = write(start, plan[:cut])
        files = write(files, plan_change(files, [*others, v2], [*others, v3], key))   # v3 runs
        assert files == search_files([*others, v3]), cut
        files = write(files, plan_change(files, [*others, was], [*others, v3], key))  # the replay
        assert files == search_files([*others, v3]), cut


def test_a_batch_whose_shards_are_already_written_writes_its_k_file_once():
    """A batch cut before its k/ write by the order of before (term shards, d/, k/ last), replayed
    once the k/ files are written first: its shards and d/ file are already right, so the plan
    is the k/ file alone, once (twice in one step, the last write to land would win)."""
    v1 = record(content_html="<p>alpha beta</p>")
    v2 = record(content_html="<p>alpha gamma</p>")
    assert set(keys_entry(v1)) - set(keys_entry(v2)) and set(keys_entry(v2)) - set(keys_entry(v1))
    files, done = search_files([v1]), search_files([v2])
    cut = {p: b for p, b in done.items() if not p.startswith(KEYS_DIR)}
    cut.update({p: b for p, b in files.items() if p.startswith(KEYS_DIR)})
    plan = plan_days(before=[v1], after=[v2], listed=1, read=cut.get)
    assert [path for path, _ in plan] == [p for p in done if p.startswith(KEYS_DIR)]
    assert write(cut, plan) == done


def test_one_new_meeting_touches_only_the_shards_of_its_words():
    archive = [record(day=dt.date(2020, 1, 1) + dt.timedelta(weeks=n), slug=f"m{n}",
                      content_html=f"<p>{TEXTS[n % len(TEXTS)]} word{n} other{n % 50}</p>") for n in range(400)]
    files = search_files(archive)
    new = record(day=dt.date(2030, 1, 1), slug="new", content_html="<p>roadmap review</p>")
    updated, io = apply_change(files, archive, archive + [new], {("openxla", new.meeting)})
    new_id = doc_ids([new])[("openxla", new.meeting)]
    assert updated == search_files(archive + [new])
    count = shard_count(401)
    assert count == shard_count(400) == meta_count(files[META_PATH]) == 64   # no re-shard here
    shards = sum(p.startswith("/search/t/") for p in files)
    written = [p for p in io["written"] if p.startswith("/search/t/")]
    assert len(written) == len({file_key(shard, count) for shard in shard_for(new)}) and len(written) < shards / 4
    # Only the shards it goes into (its day had none), and its week's d/ and k/ files.
    assert sorted(io["read"]) == sorted(written + [META_PATH, doc_path(new_id), keys_path(new_id)])
    assert {p for p in io["written"] if not p.startswith("/search/t/")} == {doc_path(new_id), keys_path(new_id)}
    assert shard_file(file_key(shard_key("roadmap"), count), [(new_id, new)], count=count) is not None


# --- the page ----------------------------------------------------------------------------------


def test_the_script_finds_a_result_in_the_d_file_of_its_week():
    """search.js computes the d/ file of an id and the shard of a word itself, with the same
    constants (the browser tests run its hash on words of several scripts)."""
    script = (Path(__file__).parents[2] / "layers/minutes/minutes/static/search.js").read_text()
    assert f"var WEEK = {DAY_SLOTS} * {CHUNK_DAYS};" in script and f"var SHARDS = {SHARDS};" in script
    first, last = doc_ids([record(day=dt.date(2024, 1, 1)), record(day=dt.date(2024, 1, 7))]).values()
    assert week_of(first) == week_of(last) == first // (DAY_SLOTS * CHUNK_DAYS)   # Monday to Sunday
    assert week_of(doc_ids([record(day=dt.date(2024, 1, 8))]).popitem()[1]) == week_of(first) + 1


def test_search_page_is_progressive_and_its_script_is_the_only_one_on_the_site():
    renderer = PageRenderer(SiteConfig(site_url=SITE))
    html = renderer.search_page()
    tags = Tags(html, page="/search/")
    [form] = tags.find("form", role="search")
    assert "hidden" in form                       # shown by the script, so never a dead form
    assert form["data-root"] == "../index.html"   # the index is search/t/ and search/d/ under it
    assert tags.find("input", type="search", name="q")
    assert "Search needs JavaScript" in html
    assert "/" in tags.hrefs()                    # the archive works without it
    [script] = tags.find("script")
    assert script["src"] == renderer.search_script_path and "defer" in script
    assert tags.find("link", rel="canonical", href=f"{SITE}/search/")


def test_read_many_gives_the_plan_read_gives_asking_for_the_week_files_then_the_shards():
    """The index reads through read_many (concurrently): two rounds, the d/ and k/ files of the
    days' weeks, then every shard concerned; the plan is the one read() gives."""
    rng = random.Random(5)
    records: list[MeetingRecord] = []
    files = search_files(records)
    for step in range(40):
        before = list(records)
        changed = random_change(rng, records, step)
        days = {r.date for r in before + records if (r.group, r.meeting) in changed}
        files, _ = reshard_first(files, len(searchable(records)))
        args = dict(before=[r for r in before if r.date in days and r.listed],
                    after=[r for r in records if r.date in days], listed=len(searchable(records)))
        rounds: list[list[str]] = []

        def read_many(paths):
            rounds.append(list(paths))
            return {path: files.get(path) for path in paths}

        plan = plan_days(**args, read_many=read_many)
        assert plan == plan_days(**args, read=files.get), f"step {step}"
        listed_days = {r.date for r in args["before"] + args["after"] if r.listed}
        weeks = {(d.toordinal() - dt.date(1900, 1, 1).toordinal()) // CHUNK_DAYS for d in listed_days}
        assert len(rounds) == 2 and sorted(rounds[0]) == sorted([META_PATH] + [f"/search/{f}/{w}.json"
                                                                               for f in "dk" for w in weeks])
        assert all(p.startswith("/search/t/") for p in rounds[1])
        assert {p for p, _ in plan if p.startswith("/search/t/")} <= set(rounds[1])
        files = write(files, plan)
    assert files == search_files(records)


# --- the count of term files follows the archive (decision 64) ----------------------------------


def test_the_count_of_term_files_is_a_power_of_two_that_follows_the_listed_meetings():
    """About PER_SHARD listed meetings a file (so each stays about the size it has at 10,000
    meetings), a power of two (it divides SHARDS), never more than SHARDS."""
    assert [shard_count(n) for n in (0, 1, PER_SHARD, PER_SHARD + 1, 1_000, 5_120, 5_121, 10_000, 10**6)] \
        == [1, 1, 1, 2, 128, 512, 1024, 1024, 1024]
    previous = 1
    for listed in range(0, 12_000, 7):
        count = shard_count(listed)
        assert count & (count - 1) == 0 and SHARDS % count == 0 and count >= previous
        assert count == SHARDS or listed <= count * PER_SHARD < 2 * listed + 2 * PER_SHARD
        previous = count
    # A word's file is its shard_key modulo the count (search.js computes the same).
    assert file_key("3ff", 1024) == "3ff" and file_key("3ff", 128) == "07f" and file_key("3ff", 1) == "000"
    assert word_path("roadmap", 64) == shard_path(f"{int(shard_key('roadmap'), 16) % 64:03x}")


def test_meta_file_names_the_count_and_exists_only_while_something_is_listed():
    assert meta_file(0) is None and json.loads(meta_file(1_000)) == {"shards": 128}
    assert meta_count(None) == SHARDS                       # an index made before meta.json
    for bad in (b"", b"{", b"[]", b'{"shards": 3}', b'{"shards": 0}', b'{"shards": 2048}', b'{"shards": "8"}'):
        assert meta_count(bad) == SHARDS, bad
    records = [record(day=dt.date(2024, 1, 1) + dt.timedelta(days=n), slug=f"m{n}") for n in range(25)]
    files = search_files(records)
    assert json.loads(files[META_PATH]) == {"shards": 4}
    assert {p for p in files if p.startswith("/search/t/")} <= {shard_path(f"{n:03x}") for n in range(4)}
    assert search_files([record(status="draft")]) == {}


def archive(n: int, *, start: int = 0) -> list[MeetingRecord]:
    return [record(day=dt.date(2020, 1, 1) + dt.timedelta(days=3 * k), slug=f"m{k}",
                   content_html=f"<p>{TEXTS[k % len(TEXTS)]} word{k} other{k % 7} {'x' * (k % 5)}y</p>")
            for k in range(start, start + n)]


def test_a_re_shard_moves_every_word_as_it_is_growing_and_shrinking():
    """reshard_steps of an index of one count into another gives the fresh index's term files
    of that count, and meta.json {"shards": count} last but the deletes. In every step, the
    home files of the count meta.json names hold every word's postings (decision 64's order):
    growing, the new files come before meta.json names them and the old files are cut after;
    shrinking, the merged files are written while meta.json still names the old count."""
    for small, large in ((10, 11), (40, 41), (80, 200), (1, 700)):
        for before, after in ((small, large), (large, small)):
            old, new = search_files(archive(before)), search_files(archive(after))
            terms_before = {p: b for p, b in old.items() if p.startswith("/search/t/")}
            steps = reshard_steps(terms_before, after, meta=old[META_PATH])
            assert needs_reshard(old[META_PATH], after)
            assert [item for item in steps[-1] if item[0] == META_PATH or item[1] is not None] in \
                ([(META_PATH, new[META_PATH])], [])
            # Re-cut only: every word keeps its postings, so with the same meetings listed the
            # files are those of a fresh index of `before` meetings at the new count.
            ids = doc_ids(archive(before))
            same = dict(index_files([(ids[(r.group, r.meeting)], r, None) for r in archive(before)], listed=after))
            files = dict(old)
            for step in steps:
                files = write(files, step)
                assert home_postings(files) == home_postings(old), (before, after, step)
            assert {p: b for p, b in files.items() if p.startswith("/search/t/")} \
                == {p: b for p, b in same.items() if p.startswith("/search/t/")}, (before, after)
            assert files[META_PATH] == new[META_PATH] and not needs_reshard(files[META_PATH], after)


def home_postings(files: dict[str, bytes]) -> dict[str, list[int]]:
    """What a reader finds: each word's postings in its home file under the count meta.json
    names (search.js: the file of the word's prefix), copies elsewhere ignored."""
    count, found = meta_count(files.get(META_PATH)), {}
    for path, data in files.items():
        if path.startswith("/search/t/"):
            for word, deltas in json.loads(data)["w"].items():
                if word_path(word, count) == path:
                    assert word not in found
                    found[word] = deltas
    return found


def test_a_re_shard_cut_short_anywhere_and_done_again_converges():
    """The index writes a re-shard's steps one after another; a crash may stop it after any
    write. Done again from what it left (meta.json still names the old count until the last
    step), it gives the same files; so does the whole change planned again after it."""
    rng = random.Random(13)
    for before, after in ((10, 11), (11, 10), (20, 41), (41, 20), (3, 90), (90, 3)):
        old_records, new_records = archive(before), archive(after)
        changed = {(r.group, r.meeting) for r in old_records + new_records} - \
            {(r.group, r.meeting) for r in old_records if r in new_records}
        files = search_files(old_records)
        plan = plan_change(files, old_records, new_records, changed)
        for _ in range(12):
            cut = rng.randrange(len(plan) + 1)
            half = write(files, plan[:cut])
            assert write(half, plan_change(half, old_records, new_records, changed)) == search_files(new_records), \
                (before, after, cut)


def test_files_under_t_that_are_not_term_files_are_left_alone_by_a_re_shard():
    files = search_files(archive(30))
    terms_before = {p: b for p, b in files.items() if p.startswith("/search/t/")}
    terms_before["/search/t/-0001.json"] = b"{}"
    terms_before["/search/t/notes.txt"] = b"not json"
    touched = {path for step in reshard_steps(terms_before, 5, meta=files[META_PATH]) for path, _ in step}
    assert not touched & {"/search/t/-0001.json", "/search/t/notes.txt"}


def test_a_re_shard_cut_short_then_dead_lettered_leaves_nothing_once_later_batches_run():
    """The index dies after the re-shard's first writes (meta.json still names the old count),
    the message is dead-lettered, and a later batch brings the count back below the boundary:
    the files the cut left are deleted (they are past the count), not merged back at the next
    crossing; a replay of the dead message then gives a fresh index's files."""
    a10, a11 = archive(10), archive(11)
    files = search_files(a10)                                          # one term file
    steps = reshard_steps({p: b for p, b in files.items() if p.startswith("/search/t/")}, 11,
                          meta=files[META_PATH])
    cut = write(files, steps[0])                                       # then the run died
    assert sorted(p for p in cut if p.startswith("/search/t/")) == ["/search/t/000.json", "/search/t/001.json"]
    a9 = a10[1:]                                                       # meeting 0 deleted: 9 listed
    later = write(cut, plan_change(cut, a10, a9, {(r.group, r.meeting) for r in a10[:1] + a11[10:]}))
    assert later == search_files(a9)
    grown = a9 + archive(3, start=20)                                  # 12: the next crossing
    again = write(later, plan_change(later, a9, grown, {(r.group, r.meeting) for r in archive(3, start=20)}))
    assert again == search_files(grown)
    assert write(again, plan_change(again, a10, grown, {(r.group, r.meeting) for r in a11[10:]})) == again


def test_any_sequence_of_cut_and_dead_lettered_batches_converges_once_they_are_replayed():
    """Changes that move the archive back and forth across powers of two; some batches are
    cut after any write and dead-lettered (the next batches run over what they left), then
    replayed a few batches later. After every batch no term file is past the count and every
    word a reader finds in its home file has the postings of the term files' union of home
    copies; once every dead batch is replayed, the files are a fresh index's."""
    rng = random.Random(17)
    records: list[MeetingRecord] = []
    files = search_files(records)
    dead: list[tuple[list, set]] = []
    target, cuts, counts, again = 12, 0, set(), 0
    for step in range(260):
        if rng.random() < 0.08:
            target = rng.choice([3, 9, 12, 19, 22, 39, 42])
        before = list(records)
        in_dead = [at for at, r in enumerate(records) if (r.group, r.meeting) in
                   {key for _, keys in dead for key in keys}]
        if in_dead and rng.random() < 0.3:    # a meeting of a dead batch changes again
            at = rng.choice(in_dead)
            records[at] = random_record(rng, step).with_changes(
                group=records[at].group, meeting=records[at].meeting, segment=records[at].segment,
                date=records[at].date)
            changed = {(records[at].group, records[at].meeting)}
        elif len(records) < target and rng.random() < 0.8:
            records.append(random_record(rng, step))
            changed = {(records[-1].group, records[-1].meeting)}
        elif len(records) > target and rng.random() < 0.8:
            gone = records.pop(rng.randrange(len(records)))
            changed = {(gone.group, gone.meeting)}
        else:
            changed = random_change(rng, records, step)
        # The k/ files a cut batch left must still name every shard its postings went to.
        again += bool(changed & {key for _, keys in dead for key in keys})
        plan = plan_change(files, before, records, changed)
        if rng.random() < 0.25 and plan:
            files = write(files, plan[:rng.randrange(len(plan))])      # cut, then dead-lettered
            dead.append((before, changed))
            cuts += 1
        else:
            files = write(files, plan)
        count = meta_count(files.get(META_PATH))
        counts.add(count)
        assert not stray_terms(files, count) or needs_reshard(files.get(META_PATH), len(searchable(records))), step
        if dead and rng.random() < 0.3 or step == 259:
            for old_before, old_changed in dead:                       # the dead-letter queue replayed
                files = write(files, plan_change(files, old_before, records, old_changed))
            dead = []
            files = write(files, plan_change(files, before, records, changed))   # and the last batch's retry
            assert files == search_files(records), step
    assert cuts > 40 and counts >= {1, 2, 4} and again > 5


def test_a_re_shard_reads_each_word_from_its_home_file_under_the_count_meta_json_names():
    """A copy of a word outside its home file (a leftover of a move), or a file past the count,
    is ignored: its postings may be stale (a meeting deleted since), and must not come back."""
    files = search_files(archive(30))                                  # 4 files
    terms_before = {p: b for p, b in files.items() if p.startswith("/search/t/")}
    home = word_path("roadmap", 4)
    elsewhere = next(p for p in sorted(terms_before) if p != home)
    stale = json.loads(terms_before[elsewhere])
    stale["w"]["roadmap"] = [7]                                        # a stale copy
    del terms_before[elsewhere]
    terms_before[elsewhere] = json.dumps(stale).encode()               # read after the home copy
    terms_before["/search/t/007.json"] = b'{"w":{"ghost":[7]}}'        # past the count
    for listed in (5, 30, 41, 90):
        moved = write({**files, **terms_before}, [item for step in reshard_steps(terms_before, listed,
                                                                                  meta=files[META_PATH])
                                                   for item in step])
        same = dict(index_files([(i, r, None) for r in archive(30) for i in [doc_ids(archive(30))[(r.group, r.meeting)]]],
                                listed=listed))
        assert {p: b for p, b in moved.items() if p.startswith("/search/t/")} == \
            {p: b for p, b in same.items() if p.startswith("/search/t/")}, listed


def test_k_files_written_from_the_packed_shards_are_the_json_of_their_names():
    # index_files writes a k/ file from each meeting's Words.shards string as it is (no split,
    # no per-name encoding); the bytes must be json.dumps of the names, whatever the string.
    from minutes.search import _keys_bytes
    rng = random.Random(71)
    keys = [f"{n:03x}" for n in range(SHARDS)]

    def reference(named):
        return json.dumps({str(i): named[i].split() for i in sorted(named)}, ensure_ascii=False,
                          separators=(",", ":")).encode()
    for _ in range(300):
        named = {rng.randrange(10**6): " ".join(sorted(rng.sample(keys, rng.randrange(0, 40))))
                 for _ in range(rng.randrange(1, 6))}
        assert _keys_bytes(named) == reference(named)
    odd = [" 0a1", "0a1 ", "0a1  0b2", "0a1\t0b2", 'a"b', "a\\b", "é1f", "日本", "a\nb", "a\x00b", "  ", ""]
    for text in odd:
        named = {5: "001 002", 3: text}
        assert _keys_bytes(named) == reference(named), text
    assert _keys_bytes({}) is None


def test_a_term_file_written_word_by_word_is_the_json_of_its_postings():
    # index_files writes a t/ file a word at a time (search._term_file), not through one
    # json.dumps of the whole file (decision 96); the bytes must be json.dumps's, whatever the
    # words: those json escapes, other non-ASCII letters, one posting or thousands.
    import array
    from minutes.search import _deltas, _DigitsMemo, _term_file
    rng = random.Random(96)
    odd = ['a"b', "a\\b", "a\nb", "a\x00b", "\x7f", "\u2028", "é", "naïve", "日本", "²", "ß", "it's",
           "a-b", "x_y", "42", "a b"]
    letters = "abcé1_-'\"\\\n\t"
    words = sorted(set(odd + ["".join(rng.choice(letters) for _ in range(rng.randint(1, 8)))
                              for _ in range(500)]))
    postings = {word: sorted(rng.sample(range(10**6), rng.choice([1, 2, 30, 3000]))) for word in words}

    def reference(chosen):
        return json.dumps({"w": {word: _deltas(postings[word]) for word in chosen}},
                          ensure_ascii=False, separators=(",", ":")).encode()
    digits = _DigitsMemo()   # one memo for every file of an index: its digits stay right
    for chosen in (words, words[:1], []):
        held = {word: bytearray(array.array("i", postings[word])) for word in chosen}   # index_files's
        assert _term_file(held, list(chosen), digits) == reference(chosen)
        assert held == {}   # each word's postings let go once written
    assert digits and all(text == str(number) for number, text in digits.items())
