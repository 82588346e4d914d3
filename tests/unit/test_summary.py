"""Summaries say what a meeting was about: topics or a paragraph of substance, never logistics."""
from __future__ import annotations

import pytest

from minutes.meeting import SourceFile, assemble
from minutes.render import parse_markdown
from minutes.summary import summarize


def summary(text: str, title: str = "") -> str:
    return summarize(parse_markdown(text), title=title)


def test_agenda_items_are_the_topics():
    text = ("# Friday Dec 11, 2020 10:30-11:30am PST\n* https://zoom.us/j/737?pwd=Sjd\n\n"
            "## Agenda\n* Greetings!\n* Discussion topics\n    * Converters project updates\n"
            "    * Custom ops story\n\n## Attendees\n* Chin Huang (IBM)\n\n## Notes\n* one\n")
    assert summary(text) == "Converters project updates; Custom ops story"


def test_an_agenda_label_and_numbered_items_with_links():
    text = ("Agenda:\n\n1. Release 1.19 (https://example.org/1)\n2. Testing in ONNX [Christian]\n"
            "3. [Recording](https://youtu.be/x)\n")
    assert summary(text) == "Release 1.19; Testing in ONNX [Christian]"


@pytest.mark.parametrize("label", ["Agenda:", "ITEMS:", "** Topics **", "Meeting agenda",
                                   "ıtems:", "İtems:", "_Discussion topics_"])
def test_an_agenda_label_in_any_spelling_the_pattern_takes(label):
    """_agenda runs its pattern only on a text that may match (decision 112): each spelling
    _AGENDA matches, outside ASCII too (IGNORECASE takes a dotless i for an i), still starts
    the agenda; a paragraph that only mentions one does not."""
    items = "\n\n- Release 1.19 planning\n- Converters and custom ops\n"
    assert summary(label + items) == "Release 1.19 planning; Converters and custom ops"
    assert summary("We went through the agenda." + items) != summary(label + items)


@pytest.mark.parametrize("box", ["[10 min]", "(5 mins)", "15 minutes -", "٣ min", "\u2003[10 min]"])
def test_time_boxes_in_any_spelling_the_pattern_takes(box):
    """Time boxes are looked for only in texts starting with a bracket or a digit (decision
    112): Unicode digits count, as the pattern's \\d has them."""
    text = f"{box} Release planning for the spring\n\n{box} Converters and custom ops\n"
    assert summary(text) == "Release planning for the spring; Converters and custom ops"


def test_time_boxed_agenda_lines():
    text = ("**Date:** 2023-03-21\n\n**Location:** [Zoom](https://us02web.zoom.us/j/8?pwd=Q)\n\n"
            "[10 min] Welcomes & housekeeping\n\n[30 min] Technical presentations:\n"
            "- StableHLO release (Eugene)\n- Contributor workflow (David)\n\n"
            "[5 min] Open Discussion\n")
    assert summary(text) == "StableHLO release (Eugene); Contributor workflow (David)"


def test_a_lead_paragraph_of_substance_wins_over_headings():
    text = ("# Design meeting: temporary lifetimes\n\nRecording available here\n\n"
            "Rust's rules on temporary lifetimes often work well but have some sharp edges.\n\n"
            "## Background\n\nlots\n\n## Proposal\n\nmore\n")
    assert summary(text, "Design meeting: temporary lifetimes") == (
        "Rust's rules on temporary lifetimes often work well but have some sharp edges.")


def test_topic_headings_that_carry_discussion():
    text = ("# T-lang meeting agenda\n\n* Meeting date: 2022-09-13\n\n## Attendance\n\n"
            "* Team members: niko, felix\n\n## Announcements or custom items\n\n"
            "### Async functions in traits\n\nWent over the proposed design in detail.\n\n"
            "### Empty template topic\n\n## Proposed FCPs\n\n"
            "### \"Stabilize let else\" rust#93628\n\n**Link:** https://github.com/x/y/93628\n\n"
            "### Draft blog post about unsafe\n\nfelix: I put up a draft blog post.\n")
    assert summary(text, "T-lang meeting agenda") == (
        "Async functions in traits; Draft blog post about unsafe")


def test_a_list_of_notes_gives_its_first_items():
    text = ("# July 27, 2016\n\n* Intro by Matt\n* Gerred presented a demo of Deis and its "
            "release.\n  * details\n* Matt presented the results of the operator survey.\n")
    assert summary(text, "July 27, 2016") == ("Gerred presented a demo of Deis and its release; "
                                              "Matt presented the results of the operator survey")


@pytest.mark.parametrize("text", [
    "# Sync 2021-02-03\n\nMeeting date: 2021-02-03\n",
    "[Recording | Slides](https://youtu.be/x)\n",
    "Recording available [here](https://youtu.be/x)\n\nhttps://zoom.us/j/7376656864?pwd=SjdiaGdv\n",
    "Join: https://meet.google.com/abc-defg-hij (passcode 1234)\n\nAttendees: Ada, Grace\n",
    "Date/time: 2022-08-09 9-10AM PDT\n\nHost: Thea\n\nScribe: James\n",
])
def test_logistics_alone_give_no_summary(text):
    assert summary(text) == ""


def test_long_summaries_are_cut_at_a_word():
    text = "## Agenda\n\n" + "".join(f"- Topic number {n} about something\n" for n in range(40))
    found = summary(text)
    assert len(found) <= 241 and found.endswith("…") and "Topic number 0" in found


def test_a_folder_meeting_without_notes_of_substance_uses_its_agenda():
    folder = "minutes/openxla/2023-01-24-community-meeting/"
    assembled = assemble([
        SourceFile(folder + "NOTES.md", b"## Community Meeting - 2023-01-24\n\n[Recording here](https://youtu.be/B)\n"),
        SourceFile(folder + "AGENDA.md", b"# Agenda\n\n- StableHLO specification (Sandeep)\n- Governance\n- Events\n"),
    ], site_host="h")
    assert assembled.record.summary == "StableHLO specification (Sandeep); Governance; Events"


def test_front_matter_summary_wins():
    assembled = assemble([SourceFile("minutes/g/2024-05-07-x.md",
                                     b"---\nsummary: What we decided.\n---\n## Agenda\n\n- Other\n- Thing\n")],
                         site_host="h")
    assert assembled.record.summary == "What we decided."


def test_addresses_and_references_are_cut_as_the_patterns_cut_them():
    """summary skips its address and reference patterns on texts that cannot hold one (most
    blocks): on random strings of the characters that matter, cased and not, ASCII and not
    (IGNORECASE folds 'ſ' to 's' and 'K' to 'k'), the result is the patterns' own."""
    import random

    from minutes import summary
    pieces = ["www.", "WwW.", "http", "HTTPS", "httpſ", "://", ":/", "@", "a", "x.org", " ", "\t",
              "#", "#12", "rust-lang/rfcs", "/", ".", ")", "é", "K", "w", "ww"]
    rng = random.Random(7)
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 10)))
        for replacement in ("", " "):
            assert summary._without_addresses(text, replacement) == summary._URL.sub(replacement, text)
        expected = summary._URL.sub(" ", summary._REFERENCE.sub(" ", text))
        summary._words.cache_clear()
        words = tuple(w for w in (w.lower().strip("'’-") for w in summary._WORD.findall(expected))
                      if len(w) > 1)
        assert summary._words(text) == words
