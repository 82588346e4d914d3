"""meeting.assemble: the files of one meeting -> one MeetingRecord."""
from __future__ import annotations

import datetime as dt

import pytest

from minutes.meeting import SourceFile, assemble
from minutes.problems import Rejected

FOLDER = "minutes/openxla/2022-09-20-community-meeting/"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"


def src(key: str, text: str | bytes) -> SourceFile:
    return SourceFile(key, text.encode("utf-8") if isinstance(text, str) else text)


def test_a_single_file_meeting():
    record = assemble([src("minutes/g/2024-05-07-weekly.md", "# Weekly\n\nHello there, this is it.\n")],
                      site_host="minutes.example.org").record
    assert (record.group, record.meeting, record.segment, record.title) == (
        "g", "2024-05-07-weekly", "2024-05-07-weekly", "Weekly")
    assert record.url_path == "/g/2024-05-07-weekly/"
    assert record.status == "published"
    assert record.feed_id == "tag:minutes.example.org,2024:g/2024-05-07-weekly"
    assert record.published == dt.datetime(2024, 5, 7, tzinfo=dt.timezone.utc)
    assert "<h1" not in record.content_html   # the title is the page's h1, shown once


def test_a_folder_meeting_is_one_page_with_sections_and_attachments():
    files = [
        src(FOLDER + "NOTES.md", "# Community meeting\n\n## Notes\n\n- see [slides]"
                                 "(%5BPublic%5D%20Slides%202022.9.20.pdf)\n- and the [agenda](AGENDA.md)\n"),
        src(FOLDER + "AGENDA.md", "# Agenda\n\n1. Welcome\n2. Roadmap\n"),
        src(FOLDER + "ATTENDEES.md", "- Ada\n- Grace\n"),
        src(FOLDER + "[Public] Slides 2022.9.20.pdf", PDF),
    ]
    assembled = assemble(files, site_host="h")
    record = assembled.record
    assert record.meeting == "2022-09-20-community-meeting" and record.status == "published"
    assert record.title == "Community meeting"
    html = record.content_html
    assert html.index("Notes") < html.index('id="agenda"') < html.index('id="attendees"')
    assert 'href="/openxla/2022-09-20-community-meeting/%5BPublic%5D%20Slides%202022.9.20.pdf"' in html
    assert 'href="/openxla/2022-09-20-community-meeting/#agenda"' in html
    assert [a.name for a in record.attachments] == ["[Public] Slides 2022.9.20.pdf"]
    assert [a.size for a in record.attachments] == [len(PDF)]
    assert not [p for p in assembled.problems if p.code == "missing-local-file"]


def test_an_agenda_alone_is_an_upcoming_meeting():
    record = assemble([src(FOLDER + "AGENDA.md", "# Agenda\n\n1. a\n2. b\n3. c\n")], site_host="h").record
    assert record.status == "upcoming"


def test_draft_and_notify_come_from_the_minutes():
    assembled = assemble([src("minutes/g/2024-05-07.md", "---\ndraft: true\nnotify: false\n---\n# T\n")],
                         site_host="h")
    assert assembled.record.status == "draft" and assembled.record.url_path == "/g/_drafts/2024-05-07/"
    assert assembled.notify is False


def test_a_link_to_a_local_file_that_was_not_uploaded():
    assembled = assemble([src("minutes/g/2024-05-07.md", "# T\n\nSee [slides](slides.pdf) and "
                              "[pic](img/photo.png) and [web](https://e.org/x.pdf).\n")], site_host="h")
    found = [p for p in assembled.problems if p.code == "missing-local-file"]
    assert [p.message for p in found] == ["'slides.pdf' is linked but was not uploaded.",
                                          "'img/photo.png' is linked but was not uploaded."]
    assert all(p.file == "minutes/g/2024-05-07.md" and p.hint for p in found)


def test_a_link_to_other_minutes_goes_to_their_page():
    # rust-lang/minutes/2019.04.18.md says "Renamed to [2019-04-18.md](2019-04-18.md)".
    assembled = assemble([src("minutes/rust-lang/2019.04.18.md", "Renamed to [2019-04-18.md](2019-04-18.md)\n")],
                         site_host="h")
    assert 'href="/rust-lang/2019-04-18/"' in assembled.record.content_html
    assert not [p for p in assembled.problems if p.code == "missing-local-file"]


def test_links_between_documents_of_a_folder_meeting_reach_their_sections():
    page = "/openxla/2022-09-20-community-meeting/"
    html = assemble([src(FOLDER + "NOTES.md", "# T\n\n## Decisions\n\n[item](AGENDA.md#roadmap) "
                                              "[other](../2022-10-18-sync/NOTES.md)\n"),
                     src(FOLDER + "AGENDA.md", "## Roadmap\n\n[back](NOTES.md#decisions) [top](#roadmap)\n")],
                    site_host="h").record.content_html
    assert f'href="{page}#agenda-roadmap"' in html and 'id="agenda-roadmap"' in html
    assert f'href="{page}#decisions"' in html and 'id="decisions"' in html
    assert 'href="#agenda-roadmap"' in html
    assert 'href="/openxla/2022-10-18-sync/"' in html


def test_a_sections_ids_are_prefixed_in_its_tags_and_its_text_is_left_as_written():
    html = assemble([src(FOLDER + "NOTES.md", "# T\n\nnotes\n"),
                     src(FOLDER + "AGENDA.md", '## Layout\n\nUse id="main" and href="#top", '
                                               '`<a id="x">`, [up](#layout)\n\n    id="in-code"\n')],
                    site_host="h").record.content_html
    assert 'Use id="main" and href="#top", <code>&lt;a id="x"&gt;</code>' in html
    assert '<pre><code>id="in-code"' in html
    assert 'id="agenda-layout"' in html and 'href="#agenda-layout"' in html


def test_a_link_out_of_minutes_is_left_alone():
    html = assemble([src("minutes/g/2024-05-07.md", "# T\n\n[x](../../../etc/passwd.md)\n")],
                    site_host="h").record.content_html
    assert 'href="../../../etc/passwd.md"' in html


def test_unsupported_attachments_are_reported_not_served():
    assembled = assemble([src(FOLDER + "NOTES.md", "# T\n\na\nb\nc\n"),
                          src(FOLDER + "evil.svg", b"<svg onload=alert(1)/>"),
                          src(FOLDER + "page.html", b"<script>alert(1)</script>")], site_host="h")
    assert assembled.attachments == ()
    assert sorted(p.file for p in assembled.problems if p.code == "attachment-type") == [
        FOLDER + "evil.svg", FOLDER + "page.html"]


def test_a_folder_of_attachments_only_is_rejected_with_an_error():
    with pytest.raises(Rejected) as caught:
        assemble([src(FOLDER + "slides.pdf", PDF)], site_host="h")
    problem = caught.value.problems[0]
    assert problem.code == "no-documents" and problem.is_error and "NOTES.md" in problem.hint


def test_a_rejected_agenda_is_left_out_with_a_warning_naming_the_file():
    """Decision 94: the rest of the folder meeting is published, as build and publish agree."""
    assembled = assemble([src(FOLDER + "NOTES.md", "# T\n\na\nb\nc\n"),
                          src(FOLDER + "AGENDA.md", "---\ntitel: x\n---\n1. a\n")], site_host="h")
    assert assembled.record.status == "published" and "Agenda" not in assembled.record.content_html
    [problem] = assembled.problems
    assert (problem.code, problem.file, problem.line, problem.is_error) == \
        ("front-matter-typo", FOLDER + "AGENDA.md", 2, False)
    assert [(p.code, p.is_error) for p in assembled.left_out] == [("front-matter-typo", True)]
    assert assembled.record.warnings == (problem.message,)


def test_errors_in_the_minutes_reject_the_meeting_and_name_the_file():
    """The minutes are never left out (the agenda would turn them into an upcoming meeting),
    nor a document standing in for them, nor one of two documents that differ only in case."""
    for files in ([src(FOLDER + "NOTES.md", "---\ntitel: x\n---\n1. a\n"),
                   src(FOLDER + "AGENDA.md", "# Agenda\n\n- a\n- b\n")],
                  [src(FOLDER + "talk.md", "---\ntitel: x\n---\n1. a\n"),
                   src(FOLDER + "AGENDA.md", "# Agenda\n\n- a\n- b\n")],
                  [src(FOLDER + "NOTES.md", "# T\n\na\nb\nc\n"),
                   src(FOLDER + "agenda.md", "# Agenda\n\n- a\n- b\n"),
                   src(FOLDER + "AGENDA.md", "# Agenda\n\n- a\n- b\n")]):
        with pytest.raises(Rejected) as caught:
            assemble(files, site_host="h")
        assert caught.value.problems[0].code in ("front-matter-typo", "duplicate-source")
        assert caught.value.problems[0].file in (FOLDER + "NOTES.md", FOLDER + "talk.md",
                                                 FOLDER + "agenda.md")


def test_another_document_is_left_out_only_beside_good_minutes():
    assembled = assemble([src(FOLDER + "NOTES.md", "# T\n\na\nb\nc\n"),
                          src(FOLDER + "talk.md", b"\x00binary")], site_host="h")
    assert [(p.code, p.file) for p in assembled.left_out] == [("binary", FOLDER + "talk.md")]


def test_warnings_carry_their_file():
    assembled = assemble([src(FOLDER + "NOTES.md", "# T\n\n## Empty\n\n## Full\n\na\nb\n"),
                          src(FOLDER + "AGENDA.md", "# Agenda\n\n- Vec<T>\n- b\n- c\n")], site_host="h")
    by_code = {p.code: p.file for p in assembled.problems + assembled.notes}
    assert by_code == {"empty-section": FOLDER + "NOTES.md", "tag-like-text": FOLDER + "AGENDA.md"}
    # Both are infos: kept apart, never in the record's (the scribe's) warnings.
    assert not assembled.problems and not assembled.record.warnings
    assert assembled.record.warnings == tuple(p.message for p in assembled.problems)


def test_the_feed_id_and_first_publication_are_kept_when_given():
    when = dt.datetime(2024, 6, 1, 12, tzinfo=dt.timezone.utc)
    record = assemble([src("minutes/g/2024-05-07.md", "# T\n")], site_host="h",
                      feed_id="tag:old,2024:g/x", published=when).record
    assert (record.feed_id, record.published, record.updated) == ("tag:old,2024:g/x", when, when)


@pytest.mark.parametrize("name", ["index", "feed.xml", "atom", "page", "2024", "_drafts", "assets"])
def test_a_file_named_like_a_site_path_cannot_collide_with_it(name):
    # Every meeting URL segment starts with its date, so no name can shadow feed.xml, page/2/,
    # a year archive or the drafts folder of its group.
    record = assemble([src(f"minutes/g/{name}.md", "---\ndate: 2024-05-07\n---\n# T\n")],
                      site_host="h").record
    assert record.segment.startswith("2024-05-07") and record.url_path.startswith("/g/2024-05-07")


def test_a_meeting_moved_to_another_segment_takes_its_attachments_and_links_along():
    key = "minutes/g/2024-05-07-sync/"
    assembled = assemble([SourceFile(key + "NOTES.md", b"# Sync\n\nSee [slides](slides.pdf).\n\nMore.\n\nMore.\n"),
                          SourceFile(key + "slides.pdf", b"%PDF-1.4")], site_host="h")
    record = assembled.record
    moved = record.moved_to("2024-05-07-sync-2")
    assert moved.url_path == "/g/2024-05-07-sync-2/"
    assert moved.attachments[0].url_path == "/g/2024-05-07-sync-2/slides.pdf"
    assert '"/g/2024-05-07-sync-2/slides.pdf"' in moved.content_html
    assert "/g/2024-05-07-sync/" not in moved.content_html


def test_a_verdict_only_assembly_finds_the_same_problems():
    """`minutes check` skips the HTML, summary and page resources (only pages, feeds and mail
    read them): every problem, note and other field of the record is what publish gets.
    (tests/unit/test_engine_proof.py compares the problems on every corpus meeting.)"""
    import dataclasses

    from tests.support.corpus import corpus_files
    files = [(k, p) for k, p in corpus_files().items() if k.endswith(".md")][::7]
    files.append(("minutes/g/2024-05-07-weekly/NOTES.md", None))
    compared = 0
    for key, path in files:
        data = path.read_bytes() if path else b"# Weekly\n\n[slides](slides.pdf) and [x](./missing.png)\n"
        sources = [SourceFile(key, data)] + ([src("minutes/g/2024-05-07-weekly/slides.pdf", PDF)] if not path else [])
        try:
            full = assemble(sources, site_host="minutes.example.org")
        except Rejected as rejected:
            with pytest.raises(Rejected) as again:
                assemble(sources, site_host="minutes.example.org", verdict_only=True)
            assert again.value.problems == rejected.problems
            continue
        light = assemble(sources, site_host="minutes.example.org", verdict_only=True)
        assert (light.problems, light.notes, light.attachments) == (full.problems, full.notes, full.attachments)
        assert light.record.resources is None and full.record.resources is not None
        assert light.record.content_html == "" and full.record.content_html
        assert dataclasses.replace(light.record, summary=full.record.summary, resources=full.record.resources,
                                   content_html=full.record.content_html) == full.record
        compared += 1
    assert compared >= 30
