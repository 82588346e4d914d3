"""A meeting's feed id comes from its key (decision 104): the year is the one of the date the key
carries, whatever the front matter says, so a re-upload that moves the date to another year
keeps the id the pipeline stored and a fresh build mints the same."""
from __future__ import annotations

import datetime as dt

import feedparser
import pytest

from minutes import running_notes
from minutes.feeds import atom_feed
from minutes.meeting import SourceFile, assemble

HOST = "minutes.example.org"
BODY = "# Weekly\n\n- one\n- two\n"
MOVED = "---\ndate: 2024-05-07\n---\n" + BODY   # the front matter takes the meeting to 2024


def feed_id(key: str, text: str) -> str:
    return assemble([SourceFile(key, text.encode())], site_host=HOST).record.feed_id


@pytest.mark.parametrize("key, expected", [
    ("minutes/wg/2019-04-18.md", "tag:minutes.example.org,2019:wg/2019-04-18"),
    ("minutes/wg/2019-04-18-weekly.md", "tag:minutes.example.org,2019:wg/2019-04-18-weekly"),
    ("minutes/wg/2019.04.18.md", "tag:minutes.example.org,2019:wg/2019.04.18"),
    ("minutes/onnx-x/001-20190710.md", "tag:minutes.example.org,2019:onnx-x/001-20190710"),
    ("minutes/wg/2019-04-18-sync/NOTES.md", "tag:minutes.example.org,2019:wg/2019-04-18-sync"),
    ("minutes/wg/2019/04/18/notes.md", "tag:minutes.example.org,2019:wg/2019/04/18/notes"),
    ("minutes/wg/2019-04-18-sync/raw/notes.md",
     "tag:minutes.example.org,2019:wg/2019-04-18-sync/raw/notes"),
])
def test_a_dated_key_gives_its_own_year_whatever_the_front_matter_says(key, expected):
    assert feed_id(key, BODY) == expected
    moved = assemble([SourceFile(key, MOVED.encode())], site_host=HOST).record
    assert moved.date == dt.date(2024, 5, 7)   # the front matter does move the meeting
    assert moved.feed_id == expected            # but not its id


def test_a_key_without_a_date_takes_the_front_matter_year():
    # The only meeting whose id follows its front matter: its key has no date, and without a
    # front-matter date it is no meeting at all (date-missing) or a running-notes file.
    assert feed_id("minutes/wg/planning.md", MOVED) == "tag:minutes.example.org,2024:wg/planning"
    later = MOVED.replace("2024-05-07", "2025-01-02")
    assert feed_id("minutes/wg/planning.md", later) == "tag:minutes.example.org,2025:wg/planning"


def test_a_running_notes_section_takes_the_year_of_its_own_heading():
    text = ("# SIG Apps\n\n## Jan 2, 2025\n\n- new year\n\n## Dec 31, 2024\n\n- old year\n\n"
            "## Dec 31, 2024\n\n- a second meeting that day\n")
    notes = running_notes.split("minutes/wg/meeting-notes.md", text.encode())
    ids = [item.record.feed_id for item in running_notes.assemble_sections(notes, site_host=HOST)]
    assert ids == ["tag:minutes.example.org,2025:wg/2025-01-02@notes",
                   "tag:minutes.example.org,2024:wg/2024-12-31-2@notes",
                   "tag:minutes.example.org,2024:wg/2024-12-31@notes"]
    # The same sections in the yearly archive file: the same meetings, the same ids.
    archived = running_notes.split("minutes/wg/meeting-notes-2024.md", text.encode())
    assert [item.record.feed_id
            for item in running_notes.assemble_sections(archived, site_host=HOST)] == ids


@pytest.mark.parametrize("key", ["minutes/wg/2019-04-18.md", "minutes/wg/2019/04/18/notes.md",
                                 "minutes/wg/planning.md"])
def test_a_feed_of_a_record_without_a_stored_id_derives_the_id_minting_gives(key):
    record = assemble([SourceFile(key, MOVED.encode())], site_host=HOST).record
    feed = feedparser.parse(atom_feed([record.with_changes(feed_id="")], site_url=f"https://{HOST}",
                                      title="t", description="d", self_path="/atom.xml"))
    assert [entry.id for entry in feed.entries] == [record.feed_id]
