"""Mail without parsing the page's HTML again (decision 57): the text part comes from the text
form the render walk wrote (ast_text.py), the HTML part from one pass over the canonical
fragment. Each is proved equal to what the HTML parser makes of the same record (the path
records stored before text forms still take), on the corpus, hostile inputs and edge cases;
and the emails, parsed back, are the same either way."""
from __future__ import annotations

import email
import email.policy
import gzip

import pytest
from test_hostile import HOSTILE, NESTED, unsafe_parts

from minutes import mail, plaintext
from minutes.aws.dynamo import MAX_ITEM_BYTES, item_from_record, item_size, record_from_item
from minutes.links import without_heading_anchors
from minutes.mailing import MeetingMailing
from minutes.meeting import SourceFile, assemble
from minutes.problems import Rejected
from tests.support.corpus import corpus_files

SITE = "https://minutes.example.org/archive"
OPTIONS = dict(sender="Minutes <minutes@example.org>", site_url=SITE + "/",
               list_domain="minutes.example.org")
UNSUBSCRIBE = "https://minutes.example.org/unsubscribe?token=abc"


def record_of(text: str, *, key: str = "minutes/g/2024-05-07.md", extra: dict[str, bytes] | None = None,
              mail_text: bool = True):
    files = [SourceFile(key, text.encode())] + [SourceFile(k, v) for k, v in (extra or {}).items()]
    return assemble(files, site_host="minutes.example.org", mail_text=mail_text).record


def parsed_bodies(record) -> tuple[str, str]:
    """(text, HTML) as the tree path (html.parser) makes them: the reference."""
    page_url = SITE + record.url_path
    root = mail._parse(without_heading_anchors(record.content_html))
    text = mail._render_text(root, base_url=page_url)
    mail._clean_for_mail(root, page_url)
    return text, mail._serialize(root.children)


def linear_bodies(record) -> tuple[str | None, str | None]:
    page_url = SITE + record.url_path
    text = None if record.content_text is None else mail.finish_text_form(record.content_text,
                                                                          base_url=page_url)
    return text, mail._mail_fragment(without_heading_anchors(record.content_html), page_url)


def same_tree(fragment: str) -> str:
    return mail._serialize(mail._parse(fragment).children)


def assert_same_bodies(record, *, text_form: bool = True) -> None:
    want_text, want_html = parsed_bodies(record)
    text, page = linear_bodies(record)
    if text_form:
        assert record.content_text is not None
        assert text == want_text
    elif text is not None:
        assert text == want_text
    assert page is not None and same_tree(page) == want_html


def message(record, recipient: str = "reader@example.org"):
    raw = mail.meeting_email(record, recipient=recipient, unsubscribe_url=UNSUBSCRIBE, **OPTIONS).as_bytes()
    return email.message_from_bytes(raw, policy=email.policy.default)


def assert_same_email(record) -> None:
    """With its text form, and as a record stored before text forms (the parse), the email
    a client reads is the same: every header and both decoded parts."""
    mail._meeting_bodies.cache_clear()
    new, old = message(record), message(record.with_changes(content_text=None))
    assert new.items() == old.items()
    for a, b in zip(new.iter_parts(), old.iter_parts(), strict=True):
        assert a.get_content_type() == b.get_content_type()
        assert a.get_content() == b.get_content()


# --- the corpus --------------------------------------------------------------------------------

def test_every_corpus_meeting_mails_the_same_without_parsing_its_html():
    with_text = checked = 0
    for key, path in corpus_files().items():
        if not key.endswith(".md"):
            continue
        try:
            record = record_of(path.read_text(encoding="utf-8", errors="replace"), key=key)
        except Rejected:
            continue
        checked += 1
        with_text += record.content_text is not None
        assert_same_bodies(record, text_form=False)
    assert checked >= 290
    assert with_text >= checked - 3     # only a body with real raw HTML has none


def test_corpus_emails_parse_back_the_same():
    for n, (key, path) in enumerate(sorted(corpus_files().items())):
        if n % 9 or not key.endswith(".md"):
            continue
        try:
            record = record_of(path.read_bytes().decode("utf-8", "replace"), key=key)
        except Rejected:
            continue
        assert_same_email(record)


# --- edge cases of the text rules --------------------------------------------------------------

EDGES = {
    "tight and loose task lists": "- [x] done *em* `code` ~~gone~~\n- [ ] open\n\n"
                                  "1. [x] a\n\n   more\n2. [ ]\n",
    "ordered from 7, nested": "7. seven\n   - nested [link](https://x.example/a?b=1&c=2)\n8. eight\n",
    "images": "![](team_photo-2022.png) ![Chart **bold** `c`](chart.png) "
              "[![inner](https://i.example/x.png)](https://i.example/)\n",
    "anchors": "[#](#agenda) [¶](#x) [Agenda](#agenda) [](#x)\n\n## Agenda\n",
    "autolinks": "<https://x.example/a> www.y.example mail@z.example [https://x.example/a](https://x.example/a)\n",
    "empty and hostile hrefs": "[empty]() [js](javascript:alert(1)) [data](data:text/html,x) [rel](notes.md)\n",
    "self link": "[this page](/g/2024-05-07/) and [to it](/g/2024-05-07/#top) [](/g/2024-05-07/)\n",
    "breaks": "line one  \nline two\\\nthree\nsoft\n",
    "quote and code": "> q1\n> q2\n>\n> > inner\n\n```py\nx = 1\n\n\ny\n```\n\n    indented\n\n---\n",
    "table": "| a | *b* |\n|:-|-:|\n| [l](https://l.example) | |\n| | |\n",
    "tag-like words": "Vec<T> and <name> stay; <!-- gone --> Option<U>\n\n<Foo>\n",
    "headings": "# Title\n\nBody text long enough to be a paragraph.\n\n### Deep *emph*\n\n###### Six\n\nSetext\n---\n",
    "wide characters": "## 東京 会議\n\n- 日本\n",
    "entities": "&amp; &lt;b&gt; &copy; &#x1F600; AT&T \"quoted\" 'single' a\u00a0b\n",
    "attachment link": "[slides](slides.pdf) ![photo](photo.png) [missing](nope.pdf)\n",
}


@pytest.mark.parametrize("name", EDGES)
def test_edge_cases_give_the_parsers_text(name):
    extra = {"minutes/g/2024-05-07/slides.pdf": b"%PDF-1.4", "minutes/g/2024-05-07/photo.png": b"\x89PNG"}
    key = "minutes/g/2024-05-07/NOTES.md" if "attachment" in name else "minutes/g/2024-05-07.md"
    record = record_of(EDGES[name], key=key, extra=extra if "attachment" in name else None)
    want_text, _ = parsed_bodies(record)
    if record.content_text is not None and mail.finish_text_form(
            record.content_text, base_url=SITE + record.url_path) is None:
        # a link that would vanish: the caller takes the tree path
        assert_same_email(record)
        return
    assert_same_bodies(record)
    assert_same_email(record)


def test_a_body_with_real_raw_html_has_no_text_form_and_mails_by_the_parse():
    record = record_of("Before <b>bold</b> and <details><summary>s</summary>d</details>\n")
    assert record.content_text is None
    assert_same_bodies(record, text_form=False)
    assert_same_email(record)


def test_agenda_and_attendees_sections_keep_their_headings_in_the_text():
    record = assemble([SourceFile("minutes/g/2024-05-07/NOTES.md", b"# Notes\n\nWe met. [a](AGENDA.md#item)\n"),
                       SourceFile("minutes/g/2024-05-07/AGENDA.md", b"- item one\n- [two](#x)\n"),
                       SourceFile("minutes/g/2024-05-07/ATTENDEES.md", b"- Ann\n- Bo\n")],
                      site_host="minutes.example.org", mail_text=True).record
    assert "Agenda\n------" in mail.finish_text_form(record.content_text, base_url=SITE + record.url_path)
    assert_same_bodies(record)
    assert_same_email(record)


def test_the_build_does_not_pay_for_the_text_form():
    assert record_of("Some minutes.\n", mail_text=False).content_text is None


def test_an_anchor_to_this_page_without_words_falls_back_to_the_parse():
    record = record_of("See [#](/g/2024-05-07/#x) here.\n")
    site = "https://minutes.example.org"          # the site at its host's root: this page
    assert record.content_text is not None
    assert mail.finish_text_form(record.content_text, base_url=site + record.url_path) is None
    text, _ = mail._bodies_with_slots(record, site_url=site, group_name=None)
    assert "See here." in text


def test_a_marker_character_in_a_record_is_never_taken_for_one():
    record = record_of("Plain minutes here.\n")
    assert mail.finish_text_form(record.content_text + plaintext.SEP, base_url=SITE + "/g/") is None


# --- the HTML part in one pass -----------------------------------------------------------------

@pytest.mark.parametrize("fragment", [
    "<h1>SIG OpenXLA</h1><p>x</p>",                     # a title heading to drop: the tree
    "<p>a</p><!-- c --><p>b</p>",                       # not the sanitiser's shape
    "<p>a</p><script>alert(1)</script>",                # an element mail drops with its content
    "<p>a<a href='x'>b</a></p>",                        # single quotes: not canonical
    "<p>a</p><div/>", "<P>a</P>", '<p ONCLICK="x">a</p>', "<p>a < b</p>",
])
def test_a_fragment_of_another_shape_takes_the_tree_path(fragment):
    assert mail._mail_fragment(without_heading_anchors(fragment), SITE + "/g/m/") is None \
        or fragment.startswith("<h1")
    record = record_of("Plain minutes here, long enough.\n").with_changes(content_html=fragment)
    mail._meeting_bodies.cache_clear()
    bodies = mail._bodies_with_slots(record, site_url=SITE, group_name=None)
    mail._meeting_bodies.cache_clear()
    assert bodies == mail._bodies_with_slots(record.with_changes(content_text=None), site_url=SITE,
                                             group_name=None)
    assert "alert" not in bodies[1] and "onclick" not in bodies[1].lower()


def test_the_one_pass_cleans_as_the_tree_does():
    fragment = ('<p><a href="/g/m/slides.pdf" title="t" rel="noopener">s</a> <a href="#x">x</a> '
                '<a href="mailto:a@b.example">m</a> <img src="p.png" alt=""> <img src="q.png" alt="Q">'
                ' <a href="javascript:x">j</a> <img alt="no src"> <input type="checkbox" checked="" disabled="">'
                ' <input type="text"> <a href="x" style="color:red" srcset="y" onclick="z">k</a></p>'
                '<ul class="contains-task-list"><li><input type="checkbox" disabled=""> t</li></ul>'
                '<blockquote cite="c.html"><p>&amp; &lt;q&gt; &nbsp; &quot;</p></blockquote>')
    got = mail._mail_fragment(fragment, SITE + "/g/m/")
    root = mail._parse(fragment)
    mail._clean_for_mail(root, SITE + "/g/m/")
    assert got is not None and same_tree(got) == mail._serialize(root.children)
    assert 'href="https://minutes.example.org/g/m/slides.pdf"' in got and 'alt="p"' in got and "\u2611" in got


# --- hostile inputs ----------------------------------------------------------------------------

@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_minutes_mail_as_the_parse_would_and_safely(payload):
    try:
        record = record_of(f"Intro text.\n\n{payload}\n\nMore text.\n")
    except Rejected:
        return
    assert_same_bodies(record, text_form=False)
    assert unsafe_parts(linear_bodies(record)[1]) == []
    assert_same_email(record)


@pytest.mark.parametrize("name", NESTED)
def test_deep_nesting_mails_as_the_parse_would(name):
    try:
        record = record_of(NESTED[name])
    except Rejected:
        return
    want_text, _ = parsed_bodies(record)
    text, page = linear_bodies(record)
    assert text is None or text == want_text
    assert page is not None


# --- storage -----------------------------------------------------------------------------------

def test_the_text_form_is_stored_and_read_back():
    record = record_of("Minutes with a [link](https://x.example/) and ![img](p.png).\n")
    item = item_from_record(record)
    assert gzip.decompress(item["text_gz"]).decode() == record.content_text
    assert record_from_item(item).content_text == record.content_text


def test_an_item_stored_before_text_forms_mails_by_the_parse():
    record = record_of("Minutes with a [link](https://x.example/).\n")
    item = item_from_record(record)
    del item["text_gz"]
    old = record_from_item(item)
    assert old.content_text is None
    assert_same_email(record)
    mail._meeting_bodies.cache_clear()
    assert message(old).as_bytes() == message(record).as_bytes()


def test_a_meeting_that_fits_only_without_its_text_form_is_stored_without_it():
    import random
    rng = random.Random(7)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
             for _ in range(70_000)]
    record = record_of(" ".join(words) + "\n")
    bare = item_from_record(record.with_changes(content_text=None))
    assert item_size(bare) - 3 <= MAX_ITEM_BYTES
    # The case this test is for: the text form would take the item past the limit.
    assert item_size(bare) - 3 + len(gzip.compress(record.content_text.encode())) > MAX_ITEM_BYTES
    item = item_from_record(record)
    assert "text_gz" not in item
    assert item_size(item) - 3 <= MAX_ITEM_BYTES


@pytest.mark.parametrize("text_form", [True, False])
def test_links_to_the_site_keep_its_path_prefix(text_form):
    """A site under a prefix: "/g/m/slides.pdf" joined onto the page's URL would drop it."""
    record = record_of("See [slides](slides.pdf), [older](/g/2024-04-30/) and ![p](photo.png).\n",
                       key="minutes/g/2024-05-07/NOTES.md",
                       extra={"minutes/g/2024-05-07/slides.pdf": b"%PDF", "minutes/g/2024-05-07/photo.png": b"x"})
    record = record if text_form else record.with_changes(content_text=None)
    mail._meeting_bodies.cache_clear()
    text, page = mail._bodies_with_slots(record, site_url=SITE, group_name=None)
    for url in (f"{SITE}/g/2024-05-07/slides.pdf", f"{SITE}/g/2024-04-30/", f"{SITE}/g/2024-05-07/photo.png"):
        assert f"<{url}>" in text and (f'href="{url}"' in page or f'src="{url}"' in page)
    assert "https://minutes.example.org/g/" not in text + page
    assert_same_email(record)


def test_moving_a_meeting_moves_the_links_of_its_text_form():
    record = record_of("[slides](slides.pdf) ![p](photo.png)\n", key="minutes/g/2024-05-07/NOTES.md",
                       extra={"minutes/g/2024-05-07/slides.pdf": b"%PDF", "minutes/g/2024-05-07/photo.png": b"x"})
    moved = record.moved_to("2024-05-07-2")
    assert "/g/2024-05-07-2/slides.pdf" in moved.content_text
    assert "/g/2024-05-07/slides.pdf" not in moved.content_text
    assert_same_bodies(moved)


def test_the_fast_fan_out_uses_the_same_bodies():
    record = record_of("# T\n\nMinutes with [a link](https://x.example/) and - [x] items.\n")
    fast = MeetingMailing(record, **OPTIONS).message(recipient="r@example.org", unsubscribe_url=UNSUBSCRIBE)
    plain = message(record, "r@example.org")
    parsed = email.message_from_bytes(fast, policy=email.policy.default)
    assert [p.get_content() for p in parsed.iter_parts()] == [p.get_content() for p in plain.iter_parts()]
