"""The static search: the chunked index (term shards + one result file per meeting), how it is
updated one change at a time, and the progressive page around it."""
from __future__ import annotations

import datetime as dt
import json
import random

from minutes.model import MeetingRecord
from minutes.pages import PageRenderer, SiteConfig
from minutes.search import (DAY_SLOTS, doc_ids, doc_path, patch_shard, plain_text, search_files,
                            shard_file, shard_for, shard_key, shard_path, terms, words)
from tests.unit.test_pages import Tags

SITE = "https://minutes.example.org"


def record(day=dt.date(2022, 9, 20), slug="sig", group="openxla", **changes) -> MeetingRecord:
    segment = f"{day.isoformat()}-{slug}"
    return MeetingRecord(group=group, meeting=segment, segment=segment, title=f"Meeting {slug}",
                         date=day, summary="Short.", content_html="<p>x</p>").with_changes(**changes)


def postings(files: dict[str, bytes], word: str) -> list[tuple[int, bool]]:
    """(id, in title) of the meetings with this word, read as search.js reads them."""
    data = files.get(shard_path(shard_key(word)))
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
    assert json.loads(files[doc_path(meeting_id)]) == {
        "title": "Meeting sig", "date": "2022-09-20", "group": "openxla",
        "path": "/openxla/2022-09-20-sig/", "status": "published", "summary": "Short."}
    # Shards are named by the UTF-8 of their key: any script gives a safe file name.
    assert shard_path("ста") == "/search/t/d181d182d0b0.json" and shard_key("v1.2") == "v1."


def test_upcoming_meetings_are_searchable_drafts_never_and_the_files_are_deterministic():
    records = [record(day=dt.date(2022, 1, 1), slug="old"), record(day=dt.date(2023, 1, 1), slug="new"),
               record(slug="draft", status="draft"), record(day=dt.date(2030, 1, 1), slug="next", status="upcoming")]
    files = search_files(records)
    shown = [json.loads(b)["path"] for p, b in files.items() if p.startswith("/search/d/")]
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
    assert sum(p.startswith("/search/d/") for p in files) == DAY_SLOTS


def test_words_are_distinct_lowercase_in_order_and_block_boundaries_split_them():
    assert words("Rust rust RUST, Go; go-lang") == ["rust", "go", "go-lang"]
    assert plain_text("<p>end</p><p>start</p><ul><li>a</li><li>b</li></ul>") == "end start a b"
    assert plain_text('<a title="a>b" href="#x">link</a>') == "link"


# --- one change at a time ----------------------------------------------------------------------

TEXTS = ["roadmap stablehlo compiler", "roadmap release notes", "compiler bugs triage", "release",
         "Straße über ünicode 日本語 テスト", "c++ c# v1.2 don't"]


def random_record(rng: random.Random, n: int) -> MeetingRecord:
    day = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(6))
    text = " ".join(rng.sample(TEXTS, rng.randint(1, 3)))
    return record(day=day, slug=f"m{n}", group=rng.choice(["openxla", "jax"]),
                  title=rng.choice(["Weekly sync", "Roadmap review", "Triage"]),
                  content_html=f"<p>{text}</p>", status=rng.choice(["published"] * 4 + ["draft", "upcoming"]))


def apply_change(files: dict[str, bytes], before: list[MeetingRecord], after: list[MeetingRecord]) -> dict:
    """What the index service does for one change: re-id the changed day's meetings, patch only
    the shards their words (old and new) fall in, rewrite their result files."""
    old_ids, new_ids = doc_ids(before), doc_ids(after)
    moved = {k for k in old_ids.keys() | new_ids.keys() if old_ids.get(k) != new_ids.get(k)}
    by_key = {(r.group, r.meeting): r for r in after}
    old_by_key = {(r.group, r.meeting): r for r in before}
    changed = moved | {k for k in by_key.keys() & old_by_key.keys() if by_key[k] != old_by_key[k]}
    files = dict(files)
    touched = set()
    for k in changed:
        touched |= shard_for(old_by_key[k]) if k in old_by_key else set()
        touched |= shard_for(by_key[k]) if k in by_key else set()
    remove = {old_ids[k] for k in changed if k in old_ids}
    add = [(new_ids[k], by_key[k]) for k in changed if k in new_ids]
    for shard in touched:
        patched = patch_shard(shard, files.get(shard_path(shard)), remove=remove, add=add)
        if patched is None:
            files.pop(shard_path(shard), None)
        else:
            files[shard_path(shard)] = patched
    for k in changed:
        if k in old_ids:
            files.pop(doc_path(old_ids[k]), None)
    for k in changed:
        if k in new_ids:
            from minutes.search import doc_file
            files[doc_path(new_ids[k])] = doc_file(by_key[k])
    return dict(sorted(files.items())), len(touched)


def test_patching_the_touched_shards_gives_the_bytes_of_a_fresh_index():
    rng = random.Random(7)
    records: list[MeetingRecord] = []
    files = search_files(records)
    for step in range(120):
        before = list(records)
        action = rng.random()
        if action < 0.5 or not records:
            records.append(random_record(rng, step))
        elif action < 0.8:
            at = rng.randrange(len(records))
            records[at] = random_record(rng, step).with_changes(group=records[at].group, meeting=records[at].meeting,
                                                                segment=records[at].segment, date=records[at].date)
        else:
            records.pop(rng.randrange(len(records)))
        files, _ = apply_change(files, before, records)
        assert files == search_files(records), f"step {step}"


def test_one_new_meeting_touches_only_the_shards_of_its_words():
    archive = [record(day=dt.date(2020, 1, 1) + dt.timedelta(weeks=n), slug=f"m{n}",
                      content_html=f"<p>{TEXTS[n % len(TEXTS)]} word{n} other{n % 50}</p>") for n in range(400)]
    files = search_files(archive)
    new = record(day=dt.date(2030, 1, 1), slug="new", content_html="<p>roadmap review</p>")
    updated, touched = apply_change(files, archive, archive + [new])
    assert updated == search_files(archive + [new])
    shards = sum(p.startswith("/search/t/") for p in files)
    assert touched == len(shard_for(new)) and touched < shards / 10
    assert shard_file("roa", [(doc_ids([new])[("openxla", new.meeting)], new)]) is not None


# --- the page ----------------------------------------------------------------------------------


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
