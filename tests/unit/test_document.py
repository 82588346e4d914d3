"""document.parse_document: every rejection and warning of the source format, and the shapes of
real minutes that must be accepted (issue 4)."""
from __future__ import annotations

import datetime as dt

import pytest

from minutes.document import DEFAULT_MAX_BYTES, KNOWN_KEYS, parse_document
from minutes.problems import Problem, Rejected, Severity

KEY = "minutes/sig-docs/2024-05-07-weekly.md"
BODY = "# Weekly sync\n\n## Notes\n\n- one\n- two\n- three\n"


def rejected(data: bytes | str, key: str = KEY, **options) -> list[Problem]:
    if isinstance(data, str):
        data = data.encode("utf-8")
    with pytest.raises(Rejected) as caught:
        parse_document(data, key=key, **options)
    problems = caught.value.problems
    for problem in problems:
        assert problem.code and problem.message and problem.hint, problem
    errors = [p for p in problems if p.severity is Severity.ERROR]
    assert errors
    return errors  # the warnings that come along are tested on their own


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


def warnings(data: str, key: str = KEY) -> dict[str, list[Problem]]:
    """Warnings and infos (what only `minutes check --verbose` shows), by code."""
    doc = parse_document(data.encode("utf-8"), key=key)
    found: dict[str, list[Problem]] = {}
    for problem in doc.problems:
        assert problem.severity in (Severity.WARNING, Severity.INFO) and problem.hint, problem
        found.setdefault(problem.code, []).append(problem)
    return found


# --- rejections --------------------------------------------------------------------------

def only_warning(data: bytes, code: str, key: str = KEY) -> tuple[str, Problem]:
    """The document's body and its one warning of `code` (it was published, not rejected)."""
    doc = parse_document(data, key=key)
    (problem,) = [p for p in doc.problems if p.code == code]
    assert problem.severity is Severity.WARNING and problem.hint, problem
    return doc.body, problem


def test_a_stray_byte_in_utf8_shows_as_a_replacement_character_with_a_warning():
    body, problem = only_warning(b"# T\n\nabc \xff d\xc3\xa9f\n", "not-utf8")
    assert "abc \ufffd déf" in body
    assert "byte offset 9" in problem.message and "0xff" in problem.message
    assert (problem.line, problem.column) == (3, 5)
    assert "UTF-8" in problem.hint


def test_utf16_with_its_byte_order_mark_is_read():
    body, problem = only_warning("# Weekly Réunion\n\n- a\n- b\n".encode("utf-16"), "encoding")
    assert body.startswith("# Weekly Réunion\n") and "UTF-16" in problem.message


def test_utf16_that_does_not_decode_is_still_rejected():
    problem = only(rejected(b"\xff\xfe#\x00 \x00T"))
    assert problem.code == "not-utf8" and "UTF-16" in problem.message


def test_windows_1252_is_read_as_such_with_a_warning():
    body, problem = only_warning("# Réunion\n\n\u201cCafé\u201d\n".encode("cp1252"), "encoding")
    assert body == "# Réunion\n\n\u201cCafé\u201d\n"
    assert (problem.line, problem.column) == (1, 4) and "Windows-1252" in problem.message


@pytest.mark.parametrize("data", [b"", b"   ", b"\n\n\t \n", b"\xef\xbb\xbf\r\n  \r\n"])
def test_empty_or_whitespace_only(data):
    assert only(rejected(data)).code == "empty"


def test_too_large_uses_the_default_limit():
    problem = only(rejected(b"# T\n" + b"x" * DEFAULT_MAX_BYTES))
    assert problem.code == "too-large"
    assert f"{DEFAULT_MAX_BYTES:,}" in problem.message and "Split" in problem.hint


def test_the_size_limit_is_configurable():
    assert only(rejected(BODY, max_bytes=20)).code == "too-large"
    parse_document(BODY.encode(), key=KEY, max_bytes=len(BODY))   # exactly at the limit is fine


def test_control_characters_are_removed_each_with_line_and_column():
    doc = parse_document("# T\n\nab\x07c\n\x1b[0m done\x7f\n\n- a\n".encode(), key=KEY)
    found = [(p.code, p.line, p.column) for p in doc.problems if p.code == "control-char"]
    assert found == [("control-char", 3, 3), ("control-char", 4, 1), ("control-char", 4, 10)]
    assert all(p.severity is Severity.WARNING for p in doc.problems)
    assert "U+0007" in doc.problems[0].message and "removed" in doc.problems[0].message
    assert doc.body == "# T\n\nabc\n[0m done\n\n- a\n"


def test_control_characters_are_capped_so_the_report_stays_readable():
    doc = parse_document(("# T\n" + "\x01" * 500 + "\n\n- a\n- b\n").encode(), key=KEY)
    found = [p for p in doc.problems if p.code == "control-char"]
    assert len(found) == 20 and "481 more" in found[-1].message
    assert "\x01" not in doc.body


@pytest.mark.parametrize("data", [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"%PDF-1.4\n\x00\x01",
                                  b"PK\x03\x04\x14\x00\x00\x00"])
def test_binary_content(data):
    problem = only(rejected(data))
    assert problem.code == "binary" and "PDF" in problem.hint


@pytest.mark.parametrize("text", [
    "<!DOCTYPE html>\n<html><head><title>Notes</title></head><body><p>x</p></body></html>",
    "  <html lang=en>\n<body>Notes</body></html>",
    "<!doctype HTML><p>Notes",
])
def test_a_whole_html_document(text):
    problem = only(rejected(text))
    assert (problem.code, problem.line, problem.column) == ("html-document", 1, 1)
    assert "Markdown" in problem.hint


def test_malformed_yaml_says_where():
    problem = only(rejected("---\ntitle: Weekly: sync\n---\n# T\n"))
    assert problem.code == "front-matter-yaml"
    assert (problem.line, problem.column) == (2, 14)   # file line, after the opening '---'
    assert "quote" in problem.hint


def test_unterminated_yaml_flow_points_at_the_end():
    problem = only(rejected("---\ntitle: a\ntags: [x, y\n---\n# T\n"))
    assert problem.code == "front-matter-yaml" and problem.line == 4


@pytest.mark.parametrize("yaml_text", ["- a\n- b", "just words", "42", "# Weekly\n\nnotes"])
def test_dashes_then_prose_are_a_horizontal_rule_not_front_matter(yaml_text):
    doc = parse_document(f"---\n{yaml_text}\n---\n# T\n".encode(), key=KEY)
    assert doc.body.startswith(f"---\n{yaml_text}") and doc.body_line == 1


@pytest.mark.parametrize("typo, meant", [("titel", "title"), ("Date", "date"), ("atendees", "attendees"),
                                         ("timezon", "timezone"), ("sumary", "summary")])
def test_a_near_miss_of_a_known_key_is_an_error_with_did_you_mean(typo, meant):
    problem = only(rejected(f"---\nsummary: s\n{typo}: x\n---\n# T\n" if typo != "sumary"
                            else f"---\ntitle: t\n{typo}: x\n---\n# T\n"))
    assert problem.code == "front-matter-typo"
    assert (problem.line, problem.column) == (3, 1)
    assert f"'{meant}'" in problem.hint and "Did you mean" in problem.hint


@pytest.mark.parametrize("line, field, message, key", [
    ("draft: maybe", "draft", "true or false", KEY),
    ("notify: 1", "notify", "true or false", KEY),
    ("date: 7 May 2024", "date", "YYYY-MM-DD", "minutes/g/weekly.md"),   # the key has no date
    ("date: 20240507", "date", "YYYY-MM-DD", "minutes/g/weekly.md"),
])
def test_a_value_of_the_wrong_type_that_cannot_be_left_out(line, field, message, key):
    problem = only(rejected(f"---\n{line}\n---\n# T\n", key=key))
    assert problem.code == "front-matter-type", problem
    assert (problem.line, problem.column) == (2, 1)
    assert f"'{field}'" in problem.message and message in problem.message


@pytest.mark.parametrize("line, field, message", [
    ("title: [a, b]", "title", "got a list"),
    ("title: {a: 1}", "title", "'key: value' pairs"),
    ("attendees: {lead: Ada}", "attendees", "got a set of"),
    ("attendees: [[a], b]", "attendees", "holding lists"),
    ("tags: {a: 1}", "tags", "got a set of"),
    ("time: 25:00", "time", "16:00"),
    ("time: soon", "time", "16:00"),
    ("date: 7 May 2024", "date", "file name is used"),
])
def test_a_value_of_the_wrong_type_is_left_out_with_a_warning(line, field, message):
    doc = parse_document(f"---\n{line}\n---\n# T\n\n- a\n- b\n".encode(), key=KEY)
    (problem,) = [p for p in doc.problems if p.code == "front-matter-type"]
    assert problem.severity is Severity.WARNING and (problem.line, problem.column) == (2, 1)
    assert f"'{field}'" in problem.message and message in problem.message
    assert doc.title == "T" and doc.date == dt.date(2024, 5, 7)
    assert doc.time is None and doc.attendees == () and doc.tags == ()


def test_an_unknown_time_zone_is_left_out_with_a_warning():
    doc = parse_document(b"---\ntimezone: Mars/Olympus\n---\n# T\n\n- a\n- b\n", key=KEY)
    (problem,) = [p for p in doc.problems if p.code == "timezone-unknown"]
    assert "Europe/Berlin" in problem.hint and doc.timezone is None


@pytest.mark.parametrize("zone", ["../../etc/passwd", "America", "", "/etc/localtime"])
def test_odd_time_zones_are_refused_not_crashed_on(zone):
    doc = parse_document(f"---\ntimezone: '{zone}'\n---\n# T\n\n- a\n- b\n".encode(), key=KEY)
    assert doc.timezone is None
    assert [p.code for p in doc.problems if p.code == "timezone-unknown"] == ["timezone-unknown"]


def test_a_date_that_does_not_exist_in_front_matter():
    problem = only(rejected("---\ndate: 2023-02-30\n---\n# T\n", key="minutes/g/notes.md"))
    assert (problem.code, problem.line) == ("date-invalid", 2)
    assert "2023-02-30" in problem.message


def test_a_date_that_does_not_exist_in_the_key():
    problem = only(rejected(BODY, key="minutes/g/2023-02-30-weekly.md"))
    assert problem.code == "date-invalid"
    assert "2023-02-30" in problem.message and "month and day" in problem.hint


def test_no_date_anywhere_says_every_way_to_give_one():
    problem = only(rejected(BODY, key="minutes/sig-docs/weekly.md"))
    assert problem.code == "date-missing"
    assert "minutes/sig-docs/weekly.md" in problem.message
    for way in ("<yyyy-mm-dd>-<topic>.md", "<yyyymmdd>", "NOTES.md", "<yyyy>/<mm>/<dd>", "date: "):
        assert way in problem.hint


def test_running_notes_get_a_hint_to_split_them():
    text = "# SIG Node Meeting Notes\n\n" + "".join(
        f"## {day}\n\n- notes\n\n" for day in ("Dec 31, 2024", "Dec 24, 2024", "12/17/2024",
                                               "10 Dec 2024", "2024-12-03"))
    problem = only(rejected(text, key="minutes/k8s-sig-node/meeting-notes-2024.md"))
    assert problem.code == "date-missing"
    assert "running-notes file with 5 meetings" in problem.hint
    assert "one file per meeting named <yyyy-mm-dd>-<topic>.md" in problem.hint
    assert "minutes/k8s-sig-node/2024-12-31-meeting.md" in problem.hint
    assert "2024-12-03 to 2024-12-31" in problem.message


def test_one_dated_heading_is_not_running_notes():
    problem = only(rejected("# Notes of Dec 31, 2024\n\nx\n", key="minutes/g/notes.md"))
    assert "running-notes" not in problem.hint and "date: " in problem.hint


def test_front_matter_date_rescues_an_undated_key():
    doc = parse_document(b"---\ndate: 2024-05-07\n---\n# T\n\nx\ny\nz\n", key="minutes/g/weekly.md")
    assert doc.date == dt.date(2024, 5, 7)


@pytest.mark.parametrize("key, code", [("notes/g/2024-05-07.md", "key-outside-minutes"),
                                       ("minutes/index/2024-05-07.md", "group-name"),
                                       ("minutes/assets/2024-05-07.md", "group-name"),
                                       ("minutes/Sig Docs/2024-05-07.md", "group-name"),
                                       ("minutes/g/../2024-05-07.md", "key-shape")])
def test_bad_keys_are_rejected_by_parse_document_too(key, code):
    assert code in [p.code for p in rejected(BODY, key=key)]


def test_unclosed_front_matter():
    problem = only(rejected("---\ntitle: Weekly\ndate: 2024-05-07\n\n# Weekly\n\nNotes\n"))
    assert (problem.code, problem.line, problem.column) == ("front-matter-unclosed", 1, 1)
    assert "'---'" in problem.hint


def test_every_error_of_a_file_is_reported_at_once():
    problems = rejected("---\ntitel: x\ndraft: maybe\nnotify: 99\n---\n# T\n", key="minutes/g/x.md")
    assert [p.code for p in problems] == ["front-matter-typo", "front-matter-type",
                                          "front-matter-type", "date-missing"]
    assert [p.line for p in problems[:3]] == [2, 3, 4]


# --- YAML safety -------------------------------------------------------------------------

def test_yaml_alias_bombs_are_refused_fast():
    bomb = "---\na: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(9)) + "---\n# T\n"
    problem = only(rejected(bomb))
    assert problem.code == "front-matter-yaml" and "aliases" in problem.message
    assert problem.line == 3


@pytest.mark.parametrize("tag", ["!!python/object:os.system", "!!python/object/apply:os.system",
                                 "!!python/name:os.system", "!custom"])
def test_yaml_tags_are_a_rejection_never_an_object(tag):
    problem = only(rejected(f"---\ntitle: {tag} ['echo hi']\n---\n# T\n"))
    assert problem.code == "front-matter-yaml" and problem.line == 2


def test_yaml_1_1_surprises_stay_strings():
    doc = parse_document(b"---\ntime: 8:00\ndate: 2024-05-07\ntitle: 1e3\n---\n# T\n\na\nb\nc\n",
                         key="minutes/g/x.md")
    assert doc.time == "08:00" and doc.date == dt.date(2024, 5, 7) and doc.title == "1e3"


# --- warnings ----------------------------------------------------------------------------

def test_title_date_that_contradicts_the_key():
    found = warnings("# Weekly sync 2024-05-14\n\n" + "- a\n" * 3)
    assert "2024-05-14" in found["title-date-mismatch"][0].message
    assert "title-date-mismatch" not in warnings("# Weekly sync May 7, 2024\n\n" + "- a\n" * 3)


def test_several_meetings_in_one_dated_file():
    text = "# Notes\n\n" + "".join(f"## 2024-05-{d:02d}\n\n- x\n\n" for d in (7, 14, 21))
    problem = only(warnings(text)["several-meetings"])
    assert "3 headings" in problem.message and problem.line == 7
    assert "<yyyy-mm-dd>-<topic>.md" in problem.hint


def test_unclosed_fence_points_at_its_opening_line():
    text = "# T\n\nintro\n\n```rust\nfn main() {}\n\n## Later\n\ntext\n"
    problem = only(warnings(text)["unclosed-fence"])
    assert problem.line == 5 and "```" in problem.hint


def test_tilde_fence_with_text_after_it_is_unclosed_too():
    # Dropbox Paper exports write `~~~~- ~~struck~~`: CommonMark opens a code block there.
    text = "# T\n\n- a\n~~~~- ~~April 27~~\n- b\n- c\n"
    assert only(warnings(text)["unclosed-fence"]).line == 4


def test_closed_fences_are_fine():
    assert "unclosed-fence" not in warnings("# T\n\n````\n```\nx\n```\n````\n\n~~~\ny\n~~~\n")


def test_the_fence_and_stub_checks_agree_with_their_line_by_line_definitions():
    """_fence_warning finds fence lines by pattern, not line by line, and the stub check stops
    at the third line with text: the same answers as reading every line (random bodies)."""
    import random
    import re

    from minutes.document import _fence_warning, _has_lines
    fence = re.compile(r"^ {0,3}(`{3,}|~{3,})")

    def unclosed(body: str) -> tuple[str, int] | None:
        open_fence, open_line = None, 0
        for number, line in enumerate(body.split("\n")):
            if not (match := fence.match(line)):
                continue
            marker = match.group(1)
            if open_fence is None:
                open_fence, open_line = marker, number
            elif marker[0] == open_fence[0] and len(marker) >= len(open_fence) \
                    and not line.strip()[len(marker):].strip():
                open_fence = None
        return None if open_fence is None else (open_fence, 10 + open_line)

    pieces = ["```", "~~~", "````", "   ```", "    ```", "``` x", "```  ", "~~~~ ", "text", "",
              " ", "\x0c", "\u2028", "a\u2029b", "\x85"]
    rng = random.Random(9)
    for _ in range(5_000):
        body = "\n".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))) + rng.choice(["", "\n"])
        found = _fence_warning(body, 10)
        assert ((found[0].hint.split("'")[1], found[0].line) if found else None) == unclosed(body), body
        assert _has_lines(body, 3) == (len([ln for ln in body.splitlines() if ln.strip()]) >= 3), body


def test_tag_like_words_are_shown_and_reported():
    text = "# T\n\nWe discussed Vec<T> and\nthe <name> placeholder, <b>bold</b> is fine.\n\n- x\n"
    found = warnings(text)["tag-like-text"]
    assert [(p.line, p.column) for p in found] == [(3, 17), (4, 5)]
    assert all(p.is_info for p in found)   # shown as written: nothing to fix
    assert "'<T>'" in found[0].message and "`<T>`" in found[0].hint


def test_tag_like_words_are_reported_once_each():
    text = "# T\n\n" + "Vec<T> " * 50 + "\n\n" + "".join(f"<Tag{i}>\n\n" for i in range(30))
    found = warnings(text)["tag-like-text"]
    assert len(found) == 10 and found[0].message.startswith("'<T>'")


def test_words_in_code_are_not_tag_like():
    assert "tag-like-text" not in warnings("# T\n\n`Vec<T>`\n\n```\n<name>\n```\n\n- x\n")


def test_empty_sections():
    found = warnings("# T\n\n## Agenda\n\n## Notes\n\n- x\n- y\n\n## Action items\n")
    assert [(p.message, p.line) for p in found["empty-section"]] == [
        ("Section 'Agenda' is empty.", 3), ("Section 'Action items' is empty.", 10)]
    assert all(p.is_info for p in found["empty-section"])   # template headings: nobody acts


def test_a_section_with_subsections_is_not_empty():
    assert "empty-section" not in warnings("# T\n\n## Notes\n\n### Topic\n\n- x\n- y\n")


@pytest.mark.parametrize("text, what", [
    ("# Sync\n\nDate: YYYY-MM-DD\n\n- a\n- b\n", "YYYY-MM-DD"),
    ("# Sync\n\nDate: {{ date }}\n\n- a\n- b\n", "{{ date }}"),
    ("# Sync\n\nMeeting on <meeting-date>\n\n- a\n- b\n", "<meeting-date>"),
    ("# TBD\n\n- a\n- b\n- c\n", "TBD"),
])
def test_template_placeholders(text, what):
    found = warnings(text)["placeholder"]
    assert any(what in p.message for p in found)


@pytest.mark.parametrize("text", [
    "# Sync\n\n    /// {{produces}}\n\n- a\n- b\n",                     # a code sample
    "# Sync\n\nUse `YYYY-MM-DD` dates.\n\n- a\n- b\n",                  # inline code
    '# Sync\n\nPost a topic "Status update for YYYY-MM-DD meeting".\n\n- a\n',  # quoted
])
def test_a_placeholder_mentioned_not_left_in_is_fine(text):
    assert "placeholder" not in warnings(text)


def test_placeholder_in_the_body_says_where():
    problem = only(warnings("# Sync\n\nwritten\n\nDate: YYYY-MM-DD\n\n- a\n")["placeholder"])
    assert (problem.line, problem.column) == (5, 7)


def test_a_stub():
    assert "stub" in warnings("# T\n")
    assert "stub" in warnings("just one line")
    assert "stub" not in warnings(BODY)


def test_unknown_front_matter_keys_are_kept_and_noted():
    doc = parse_document(b"---\nlocation: Room 4\nzoom_link: x\n---\n" + BODY.encode(), key=KEY)
    found = {p.message: p for p in doc.problems if p.code == "front-matter-unknown-key"}
    assert set(found) == {"Front-matter key 'location' is not used; it is kept.",
                          "Front-matter key 'zoom_link' is not used; it is kept."}
    assert all(k in found["Front-matter key 'location' is not used; it is kept."].hint
               for k in KNOWN_KEYS)
    assert all(p.is_info for p in found.values())


def test_empty_front_matter_values_count_as_not_given():
    doc = parse_document(b"---\ntitle:\ndate:\ntags:\n---\n" + BODY.encode(), key=KEY)
    assert doc.title == "Weekly sync" and doc.date == dt.date(2024, 5, 7) and doc.tags == ()


# --- accepted ----------------------------------------------------------------------------

def test_front_matter_fields():
    doc = parse_document("""---
title: "  Weekly\\r\\n  sync  "
date: 2024-05-08
time: "9:30"
timezone: Europe/Berlin
attendees: Ada Lovelace, Grace Hopper
tags: "lang, compiler"
summary: Short.
draft: true
notify: false
---
Notes
more
more
""".encode(), key=KEY)
    assert (doc.title, doc.date, doc.time, doc.timezone) == (
        "Weekly sync", dt.date(2024, 5, 8), "09:30", "Europe/Berlin")
    assert doc.attendees == ("Ada Lovelace", "Grace Hopper") and doc.tags == ("lang", "compiler")
    assert (doc.summary, doc.draft, doc.notify, doc.body_line) == ("Short.", True, False, 12)


def test_no_h1_takes_the_first_heading():
    doc = parse_document(b"Intro\n\n## Agenda\n\n- a\n- b\n", key=KEY)
    assert (doc.title, doc.title_from_h1) == ("Agenda", False)


def test_no_heading_at_all_falls_back_to_group_and_date():
    doc = parse_document(b"just notes\nmore\nmore\n", key="minutes/sig-docs/2024-05-07.md")
    assert doc.title == "Sig Docs meeting 2024-05-07"


def test_several_h1s_take_the_first():
    doc = parse_document(b"# One\n\n# Two\n\n# Three\n", key=KEY)
    assert (doc.title, doc.title_from_h1) == ("One", True)


def test_a_title_with_a_tag_like_word_keeps_it():
    doc = parse_document(b"# Review of Vec<T> and <b>bold</b> API\n\nx\ny\nz\n", key=KEY)
    assert doc.title == "Review of Vec<T> and bold API"


def test_a_multi_line_heading_title_stays_one_line():
    doc = parse_document(b"Weekly\r\nsync\r\n======\r\n\r\nx\r\ny\r\nz\r\n", key=KEY)
    assert doc.title == "Weekly sync"


@pytest.mark.parametrize("title", ["Weekly\r\nBcc: victim@example.org", "a\rb", "a\u2028b",
                                   "a\x85b", "a\tb"])
def test_a_front_matter_title_with_line_breaks_stays_one_line(title):
    escaped = title.encode("unicode_escape").decode().replace('"', '\\"')
    doc = parse_document(f'---\ntitle: "{escaped}"\n---\n{BODY}'.encode(), key=KEY)
    assert "\n" not in doc.title and "\r" not in doc.title and len(doc.title.splitlines()) == 1


def test_crlf_bom_and_emoji():
    data = "\ufeff# Réunion 🎉\r\n\r\n## Notes\r\n\r\n- café ☕\r\n- 中文\r\n".encode("utf-8")
    doc = parse_document(data, key=KEY)
    assert doc.title == "Réunion 🎉" and "\r" not in doc.body and not doc.body.startswith("\ufeff")


def test_old_mac_line_ends():
    doc = parse_document(b"# T\r\rline\rline\rline\r", key=KEY)
    assert doc.body.count("\n") == 5


def test_fifty_thousand_character_lines():
    line = ("word " * 10_000)[:50_000]
    doc = parse_document(f"# T\n\n{line}\n\n{line}\n".encode(), key=KEY)
    assert len(doc.body) > 100_000


def test_future_dates_are_fine():
    doc = parse_document(BODY.encode(), key="minutes/g/2099-12-31-far.md")
    assert doc.date == dt.date(2099, 12, 31)


@pytest.mark.parametrize("key", [
    "minutes/g/2024-05-07 Weekly Sync (final) [v2].md", "minutes/g/20240507.md",
    "minutes/g/2024_05_07-ünïcödé-名前.md", "minutes/g/2024/05/07/notes.md",
    "minutes/g/2024-05-07-x/README.md", "minutes/g/deep/er/2024-05-07.md",
    "minutes/a_b-c/2024-05-07.MD",
])
def test_odd_names_are_fine(key):
    assert parse_document(BODY.encode(), key=key).date == dt.date(2024, 5, 7)


def test_title_without_a_year_is_no_mismatch():
    doc = parse_document(b"# SIG OpenXLA Meeting Minutes 09/20 8AM PT\n\n- a\n- b\n- c\n",
                         key="minutes/openxla/2022-09-20-sig-openxla.md")
    assert doc.title == "SIG OpenXLA Meeting Minutes 09/20 8AM PT"
    assert not [p for p in doc.problems if p.code == "title-date-mismatch"]


def test_raw_html_in_minutes_is_no_error():
    text = ("# T\n\nline<br>break <img src=\"x.png\">\n\n<details><summary>More</summary>\n\n"
            "hidden\n\n</details>\n\n<!-- a comment -->\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    parse_document(text.encode(), key=KEY)


def test_a_lone_thematic_break_closing_front_matter_like_text_is_yaml():
    # A file that opens with '---' and has a later '---' is read as front matter: say so.
    problem = only(rejected("---\nSome words: and more: here\n---\n# T\n"))
    assert problem.code == "front-matter-yaml"


def test_hackmd_html_export_yields_its_markdown():
    markdown = "# Lang team 2021-11-09\n\n- a &amp; b &lt;T&gt;\n- c\n"
    page = ('<!DOCTYPE html>\n<html lang="en">\n<head><title>x</title></head>\n<body>\n'
            f'<div id="doc" class="markdown-body container-fluid comment-enabled">\n{markdown}'
            '</div>\n<div class="ui-toc"></div>\n</body>\n</html>\n')
    doc = parse_document(page.encode(), key="minutes/rust-lang/2021-11-09.md")
    assert doc.title == "Lang team 2021-11-09"
    assert doc.body == "# Lang team 2021-11-09\n\n- a & b <T>\n- c\n"
    assert doc.body_line == 1


def test_the_parse_is_kept_for_the_renderer():
    doc = parse_document(BODY.encode(), key=KEY)
    assert doc.parsed and doc.parsed.blocks[0].type == "heading"


def test_a_front_matter_group_other_than_the_folder_is_a_warning_and_the_folder_wins():
    doc = parse_document(b"---\ngroup: Other Group\n---\n# T\n\nOne.\n\nTwo.\n\nThree.\n",
                         key="minutes/sig-docs/2024-01-01-x.md")
    (problem,) = [p for p in doc.problems if p.code == "group-mismatch"]
    assert (problem.severity.value, problem.line) == ("warning", 2)
    assert "minutes/other-group/" in problem.hint
    assert doc.key.group == "sig-docs"


def test_a_front_matter_group_matching_the_folder_says_nothing():
    doc = parse_document(b"---\ngroup: sig-docs\n---\n# T\n\nOne.\n\nTwo.\n\nThree.\n",
                         key="minutes/sig-docs/2024-01-01-x.md")
    assert not [p for p in doc.problems if p.code == "group-mismatch"]


def test_a_rejection_lists_the_warnings_too_so_one_round_fixes_everything():
    with pytest.raises(Rejected) as caught:
        parse_document(b"---\ntitel: Weekly\n---\n# Weekly 2024-05-08\n\n## Empty\n## Notes\n\n"
                       b"One.\n\nTwo.\n", key=KEY)
    problems = caught.value.problems
    # Infos (the empty section) are not the scribe's business, in a rejection either.
    assert [(p.code, p.severity.value) for p in problems] == [
        ("front-matter-typo", "error"), ("title-date-mismatch", "warning")]
