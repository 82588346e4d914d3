"""The core on real minutes (../shared/corpus): every meeting whose date can be found publishes
unchanged; each running-notes file publishes every dated section as a meeting of its own."""
from __future__ import annotations

import time
from collections import defaultdict

import pytest

from minutes import keys, running_notes
from minutes.document import parse_document
from minutes.meeting import SourceFile, assemble
from minutes.problems import Rejected
from test_hostile import assert_safe_html
from tests.support.corpus import CORPUS, SAMPLES, corpus_files

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not here")

RUNNING_NOTES = {  # a year of meetings in one file, no day in the name
    ("k8s-sig-docs", "2021_Weekly_Meeting_Minutes"),
    ("k8s-sig-node", "meeting-notes-2024"),
    ("k8s-sig-release", "2023"),
}
NOT_MINUTES = {("openxla", "README"), ("openxla", "OPENXLA_MEETINGS_GUIDE")}   # no date: right


def corpus_meetings() -> dict[tuple[str, str], list[SourceFile]]:
    """Corpus files grouped by meeting, as build.gather groups a folder."""
    meetings: dict[tuple[str, str], list[SourceFile]] = defaultdict(list)
    for key, path in corpus_files().items():
        parsed = keys.parse_key(key)
        if parsed.is_markdown or parsed.is_folder:
            meetings[(parsed.group, parsed.meeting)].append(SourceFile(key, path.read_bytes()))
    return dict(meetings)


@pytest.fixture(scope="module")
def outcomes() -> dict[tuple[str, str], object]:
    """Every corpus meeting assembled once: an Assembled or the Rejected."""
    found = {}
    started = time.perf_counter()
    for ident, files in corpus_meetings().items():
        try:
            notes = running_notes.split(files[0].key, files[0].data) if len(files) == 1 else None
            if notes is not None:
                found[ident] = running_notes.assemble_sections(notes, site_host="minutes.example.org")
                continue
            found[ident] = assemble(files, site_host="minutes.example.org")
        except Rejected as rejected:
            found[ident] = rejected
    print(f"\nassembled {len(found)} corpus meetings in {time.perf_counter() - started:.2f} s")
    return found


def test_the_corpus_is_all_there(outcomes):
    assert len(outcomes) >= 290
    assert {g for g, _ in outcomes} >= {"openxla", "onnx-operators", "rust-lang", "rust-lang-design",
                                        "k8s-sig-apps", "k8s-sig-node"}


def test_every_meeting_with_a_findable_date_publishes(outcomes):
    refused = {ident: [f"{p.code}: {p.message}" for p in r.problems]
               for ident, r in outcomes.items() if isinstance(r, Rejected)}
    assert set(refused) == NOT_MINUTES, refused
    for ident in NOT_MINUTES:
        assert [p.split(":")[0] for p in refused[ident]] == ["date-missing"]


def test_published_meetings_have_a_title_a_date_and_safe_html(outcomes):
    for ident, outcome in outcomes.items():
        if isinstance(outcome, Rejected):
            continue
        for assembled in (outcome if isinstance(outcome, tuple) else (outcome,)):
            record = assembled.record
            assert record.title and "\n" not in record.title, ident
            assert record.segment.startswith(record.date.isoformat()), ident
            assert record.content_html.strip(), ident
            assert all(not p.is_error for p in assembled.problems), ident
            assert_safe_html(record.content_html)


# Every dated heading of each file, counted by hand: `## Dec 31, 2024` ... one a week (with
# `## \`1Oct 29, 2024`, a typo that is still a date); sig-docs has `### 12/14/2021` headings,
# then bold lines (`**_09/14/2021_** Async in Slack`), and two meetings on 09/21/2021.
RUNNING_NOTES_MEETINGS = {
    ("k8s-sig-docs", "2021_Weekly_Meeting_Minutes"): (48, "2021-01-05", "2021-12-14"),
    ("k8s-sig-node", "meeting-notes-2024"): (53, "2024-01-02", "2024-12-31"),
    ("k8s-sig-release", "2023"): (46, "2023-01-10", "2023-12-19"),
}


def test_running_notes_publish_every_dated_section(outcomes):
    for ident, (count, oldest, newest) in RUNNING_NOTES_MEETINGS.items():
        meetings = outcomes[ident]
        assert isinstance(meetings, tuple), (ident, meetings)
        records = [m.record for m in meetings]
        assert len(records) == count, ident
        assert (records[-1].date.isoformat(), records[0].date.isoformat()) == (oldest, newest)
        assert [r.date for r in records] == sorted((r.date for r in records), reverse=True)
        assert len({r.meeting for r in records}) == count == len({r.url_path for r in records})
        assert all(r.meeting.endswith("@notes") and r.status == "published" for r in records)


def test_running_notes_read_the_time_under_the_heading(outcomes):
    records = {m.record.segment: m.record for m in outcomes[("k8s-sig-docs", "2021_Weekly_Meeting_Minutes")]}
    assert (records["2021-12-14"].time, records["2021-12-14"].timezone) == ("10:30", "America/Los_Angeles")
    # Two meetings on 09/21/2021: the lower (older) one is the first, the upper gets `-2`.
    assert (records["2021-09-21"].time, records["2021-09-21-2"].time) == ("18:00", "10:30")
    assert records["2021-05-25"].time == "18:00"          # `**18:00 Pacific (01:00 UTC)**`


def test_running_notes_sections_hold_their_own_notes_only(outcomes):
    records = {m.record.segment: m.record for m in outcomes[("k8s-sig-node", "meeting-notes-2024")]}
    assert records["2024-12-31"].title == "SIG Node Meeting Notes — Dec 31, 2024"
    assert "SIG Node Meeting Notes" not in records["2024-12-31"].content_html   # the header
    assert "Dec 24, 2024" not in records["2024-12-31"].content_html


def test_a_folder_meeting_links_its_slides(outcomes):
    record = outcomes[("openxla", "2022-09-20-community-meeting")].record
    assert record.attachments and all(a.url_path.startswith("/openxla/2022-09-20-community-meeting/")
                                      for a in record.attachments)
    agenda_only = outcomes[("openxla", "2023-03-21-community-meeting")].record
    assert agenda_only.status == "upcoming"


def test_same_day_twice_gives_the_same_segment_for_build_to_split(outcomes):
    a = outcomes[("rust-lang", "2019.04.18")].record
    b = outcomes[("rust-lang", "2019-04-18")].record
    assert a.segment == b.segment == "2019-04-18"


def test_the_sample_publishes_with_its_title():
    data = (SAMPLES / "2022-09-20-sig-openxla.md").read_bytes()
    assembled = assemble([SourceFile("minutes/openxla/2022-09-20-sig-openxla.md", data)],
                         site_host="minutes.example.org")
    assert assembled.record.title == "SIG OpenXLA Meeting Minutes 09/20 8AM PT"
    assert assembled.record.url_path == "/openxla/2022-09-20-sig-openxla/"
    assert not [p for p in assembled.problems if p.code == "title-date-mismatch"]


def test_a_hackmd_html_export_yields_its_markdown():
    path = CORPUS / "rust-lang" / "minutes" / "2021-11-09.md"
    data = path.read_bytes()
    assert data.lstrip().lower().startswith(b"<!doctype html")
    doc = parse_document(data, key="minutes/rust-lang/2021-11-09.md")
    assert doc.title == "Triage meeting 2021-11-09"
    assert "# T-lang meeting agenda" in doc.body and "<script" not in doc.body
    assert "window.GOOGLE_API_KEY" not in doc.body
    html = assemble([SourceFile("minutes/rust-lang/2021-11-09.md", data)], site_host="h").record.content_html
    assert "Attendance" in html and "hackmd.io/realtime" not in html
    assert_safe_html(html)


def test_a_build_of_the_corpus_publishes_every_rust_lang_meeting(tmp_path):
    """rust-lang holds `2019-04-18.md` (the minutes) beside `2019.04.18.md` (a stub: "Renamed
    to ...") and the same for 2019-09-26: two meetings of one URL each (decision 110). Every one
    is published, the stub (`2019.04.18` sorts after `2019-04-18`) at `-2`, with a warning."""
    from minutes.build import build
    files = {k: p for k, p in corpus_files().items() if k.startswith("minutes/rust-lang/")}
    for key, path in files.items():
        (tmp_path / key).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / key).write_bytes(path.read_bytes())
    result = build(tmp_path / "minutes", tmp_path / "site", site_url="https://minutes.example.org",
                   workers=1)
    assert not result.rejected
    published = {r.meeting: r.url_path for r in result.records}
    assert len(published) == len({keys.parse_key(k).meeting for k in files if k.endswith(".md")})
    for day in ("2019-04-18", "2019-09-26"):
        assert published[day] == f"/rust-lang/{day}/"
        assert published[day.replace("-", ".")] == f"/rust-lang/{day}-2/"
        assert (tmp_path / "site" / "rust-lang" / f"{day}-2" / "index.html").exists()
        assert [p.code for p in result.warnings[f"minutes/rust-lang/{day}.md"]] == ["shared-url"]
