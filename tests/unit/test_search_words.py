"""`minutes build` finds each meeting's search words with search.packed_terms, a cheaper way to
the words terms() defines (the word pattern over the text of the sanitised HTML, decision 48).
Here the two are proved to agree: on random text of the characters that matter, on every
corpus meeting, every hostile input, deep nesting, the benchmark's generated minutes and
fragments aimed at the rules; and the index made from the packed words is the one made from
the whole records, byte for byte.

A build takes a meeting's text from the Markdown walk when the page holds no raw HTML
(Assembled.search_text, render.shown_text; decision 66): its words are proved to be those of
the record's HTML on the same inputs, on random Markdown and folder meetings, and on the
shapes that must fall back to the HTML (raw HTML, a heading id marker, a section's `id="`)."""
from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given, settings, strategies as st
from test_hostile import HOSTILE, NESTED

from bench.sitegen import generate
from minutes.meeting import SourceFile, assemble
from minutes.model import MeetingRecord
from minutes.problems import Rejected
from minutes.meeting import Assembled
from minutes.search import (_WORD, MAX_WORD, _rest_text, _word_set, doc_ids, index_files, keys_entry,
                            packed_terms, search_files, searchable, terms)
from tests.support.corpus import CORPUS, corpus_files

# Word characters of several scripts and cases, every connector, the punctuation words() strips,
# whitespace str.split() knows (and the pattern does not join across), combining marks, digits
# of other scripts, a final sigma and letters whose lower case is longer or ASCII.
ALPHABET = ("aZ9_ \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u1680\u2000\u2028\u3000.'’+#-,;:!?()[]\"/<>&*…“”«»"
            "éßΩΣσς日本٣½²\u0301\u200b\u200dİKÅǅ")


def regex_words(text: str) -> set[str]:
    """The definition: every match of the word pattern over the lower-cased text, long ones out."""
    return {word for word in _WORD.findall(text.lower()) if len(word) <= MAX_WORD}


def test_word_set_is_the_pattern_over_the_whole_text_on_random_text():
    rng = random.Random(11)
    texts = ["".join(rng.choice(ALPHABET) for _ in range(rng.randrange(80))) for _ in range(5000)]
    texts += ["ΟΔΟΣ:Β ΟΔΟΣ. ΑΣ'Β", "a" * MAX_WORD + " " + "b" * (MAX_WORD + 1), "x-" * 30, "",
              " \t\n ", "a.b.c.. .d '’x'’ -y- #z# c++ c# __init__ x_y v1.2.3. (k8s) «ça» ½x ²",
              "İstanbul KELVIN K Straße ǅemal", "e\u0301t\u0301e\u0301 de\u0301ja\u0300"]
    for text in texts:
        assert _word_set(text) == regex_words(text), repr(text)


def test_word_set_is_the_pattern_over_text_of_every_ascii_character():
    """_word_set makes ASCII punctuation spaces on the text's UTF-8 bytes first: every ASCII
    character beside the word characters and connectors, text outside ASCII (whose bytes are
    all 0x80 and over) and lone surrogates leave the words as the pattern finds them."""
    rng = random.Random(12)
    alphabet = [chr(c) for c in range(128)] + list("’éΩ日٣\u0301\ud800\udfff\x85\xa0") + ["a"] * 40
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(60))) for _ in range(6000)]
    texts += ["(note: typeof(foo)) \"quoted\" https://example.org/a-b/c.d?x=1&y_z=2 word, end.",
              "don't v1.2 c++ c# k8s -x- 'y' #z a_b a/b a\\b a|b a~b a`b a@b a$b a%b a^b a=b"]
    for text in texts:
        assert _word_set(text) == regex_words(text), repr(text)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(ALPHABET) | st.characters(), max_size=120))
def test_word_set_is_the_pattern_over_the_whole_text_on_any_text(text):
    assert _word_set(text) == regex_words(text)


def record_of(text: str, key: str = "minutes/g/2024-05-07-m.md") -> MeetingRecord:
    assembled = assemble([SourceFile(key, text.encode())], site_host="minutes.example.org")
    assert_walk_words(assembled)
    return assembled.record


def assert_walk_words(assembled: Assembled) -> bool:
    """When the walk gives the meeting's text, its words are those of the record's HTML, and
    packed_terms gives the same Words from it; whether it gave one."""
    record, shown = assembled.record, assembled.search_text
    if shown is None:
        return False
    assert _word_set(f"{record.group} {record.date.isoformat()} {shown}") == _word_set(_rest_text(record))
    new, old = packed_terms(record, shown), packed_terms(record)
    assert (set(new.title.split()), set(new.other.split()), new.shards) == \
        (set(old.title.split()), set(old.other.split()), old.shards)   # a Words' order means nothing
    return True


def assert_packed_is_terms(record: MeetingRecord) -> None:
    """Each word once, in the title or not as terms() says; the shards keys_entry names."""
    packed = packed_terms(record)
    title, other = packed.title.split(), packed.other.split()
    assert len(set(title)) == len(title) and len(set(other)) == len(other)
    assert {**dict.fromkeys(other, False), **dict.fromkeys(title, True)} == terms(record)
    assert len(title) + len(other) == len(terms(record))
    assert packed.shards.split() == keys_entry(record)


def assert_same_index(records: list[MeetingRecord]) -> None:
    """The index from light records and their packed words (a cold build) is the one
    search_files makes from the whole records (the index service's way)."""
    records = list({(r.group, r.meeting): r for r in records}.values())   # one per meeting
    ids = doc_ids(records)
    light = sorted(((ids[(r.group, r.meeting)], r.with_changes(content_html=""), packed_terms(r))
                    for r in records if (r.group, r.meeting) in ids), key=lambda doc: doc[0])
    assert dict(index_files(light, listed=len(searchable(records)))) == search_files(records)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the corpus is not here")
def test_every_corpus_meeting_packs_its_terms_and_indexes_the_same():
    records, from_walk = [], 0
    for n, (key, path) in enumerate(corpus_files().items()):
        if not key.endswith(".md"):
            continue
        try:
            assembled = assemble([SourceFile(key, path.read_bytes())], site_host="minutes.example.org")
        except Rejected:
            continue
        from_walk += assert_walk_words(assembled)
        # a meeting a day apart from the next, so that every one gets an id
        record = assembled.record.with_changes(date=dt.date(2020, 1, 1) + dt.timedelta(days=n))
        assert_packed_is_terms(record)
        records.append(record)
    assert len(records) >= 290
    assert from_walk >= 200   # most corpus pages hold no raw HTML: the walk's text is proved
    assert_same_index(records)


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_minutes_pack_their_terms(payload):
    try:
        record = record_of(f"# Title {payload}\n\nIntro text.\n\n{payload}\n\nMore text.\n")
    except Rejected:
        return
    assert_packed_is_terms(record)


def test_hostile_minutes_index_the_same():
    records = []
    for n, payload in enumerate([*HOSTILE, *NESTED.values()]):
        try:
            records.append(record_of(f"Intro.\n\n{payload}\n", key=f"minutes/g/2024-05-07-m{n}.md")
                           .with_changes(date=dt.date(2024, 1, 1) + dt.timedelta(days=n // 60)))
        except Rejected:
            continue
    assert len(records) >= len(HOSTILE) // 2
    for record in records:
        assert_packed_is_terms(record)
    assert_same_index(records)


def test_generated_minutes_pack_their_terms_and_index_the_same(tmp_path):
    generated = generate(tmp_path, 40, seed=4)
    records = [record_of(generated.minutes.joinpath(key).read_text("utf-8"), key=f"minutes/{key}")
               for key in generated.keys]
    for record in records:
        assert_packed_is_terms(record)
    assert_same_index(records)


@pytest.mark.parametrize("fragment", [
    '<h2 id="a">StableHLO &amp; XLA</h2><p>We <em>agreed</em> on v1.2. We agreed!</p>',
    '<pre><code>don&#39;t&lt;T&gt;b&amp;c&#x27;d &quot;q&quot; a&nbsp;b &amp;amp; &ltx &copy</code></pre>',
    '<a title="a>b</p>c" href="#x">link</a>x<img alt="no words here" src="y.png">z',
    "<p>foo</p>bar<br>baz<br/>qux<li>a-</li>-b</li><td>x.</td>.y",
    "<p>" + "w" * (MAX_WORD + 1) + " " + "v" * MAX_WORD + "</p>",
    "<p>ΟΔΟΣ:Β Ünïcode İstanbul K \u00a0x\u2003y\u3000z e\u0301t\u0301e\u0301</p>",
    "", "<p></p>", "<p>&#32;&#10;&#0;&#x110000;&#xD800;</p>", "plain text, no tags",
])
@pytest.mark.parametrize("title", ["", "Weekly sync", "v1.2 Weekly weekly ΟΔΟΣ", "x" * 50])
def test_edge_cases_pack_their_terms(fragment, title):
    record = MeetingRecord(group="g-1", meeting="2022-09-20-m", segment="2022-09-20-m", title=title,
                           date=dt.date(2022, 9, 20), summary="", content_html=fragment)
    assert_packed_is_terms(record)
    assert_same_index([record])


# Pieces of Markdown that make every inline and block the walk reads, next to each other and
# inside each other: emphasis, code, links (autolinks, references, relative, anchors, dropped
# schemes), images (their alt is no text), entities, tables,
# task lists, code blocks, headings (setext too), breaks, text that section ids are rewritten in.
MARKDOWN_PIECES = list("ab Z9 *_~`[]()!&\\#-+.:/\n\t|\"'=") + [
    "www.example.com", "http://x.y/a_b", "https://e.org/p?q=1&r=2", "mailto:a@b.c", "a@b.co",
    "&amp;", "&copy;", "&#x27;", "&quot;", "&nbsp;", "&#0;", "&lt;b&gt;", "\u00a0",
    "é", "ΟΔΟΣ", "日本", "![", "](", "~~", "**", "__", "\n\n", "- ", "> ", "1. ", "- [ ] ",
    "- [x] ", "```", "```py\n", "~~~", "    ", "|-|", "| a | b |\n|---|:-:|\n| c | d |\n", "# ",
    "## ", "\n===\n", "\n---\n", "  \n", "[x]: http://r.s\n", "[x]", "[a](b.pdf)", "[a](#h)",
    "[a](/p)", "[a](javascript:x)", "![i](p.png \"t\")", 'id="', 'href="#', "don't", "v1.2", "c++",
    "k8s", "x_y", "\\*", "\\<", "`x`", "``a ` b``", ">",
]
# Raw HTML and heading id markers: the page, not the walk's text, gives their words.
FALLBACK_PIECES = ["<", "<b>", "</b>", "Vec<T>", "<!-- c -->", "<div>\n", "<br>", "&#2;", "&#3;"]


def random_markdown(rng: random.Random) -> str:
    """Random pieces; in one text of four, also those the walk's text does not stand for."""
    pieces = MARKDOWN_PIECES + (FALLBACK_PIECES if rng.random() < 0.25 else [])
    return "".join(rng.choice(pieces) for _ in range(rng.randint(1, 80)))


def test_walk_words_are_the_pages_words_on_random_markdown():
    """Random Markdown as one file, and folder meetings of up to four documents (the lead's
    first H1 dropped, the others in sections under their titles)."""
    rng = random.Random(66)
    from_walk = fell_back = 0
    for n in range(1200):
        if n % 3:
            files = [SourceFile("minutes/g/2024-05-07-m.md", random_markdown(rng).encode())]
        else:
            names = rng.sample(["NOTES.md", "AGENDA.md", "ATTENDEES.md", "other.md", "x y.md"],
                               rng.randint(1, 4))
            files = [SourceFile(f"minutes/g/2024-05-07-m/{name}", random_markdown(rng).encode())
                     for name in names]
        try:
            assembled = assemble(files, site_host="minutes.example.org")
        except Rejected:
            continue
        if assert_walk_words(assembled):
            from_walk += 1
        else:
            fell_back += 1
    assert from_walk >= 500 and fell_back >= 100   # both ways taken, often


@pytest.mark.parametrize("files, known", [
    # The first H1 is the title and not on the page: its words are not the page's either.
    ({"NOTES.md": "# Hello world\n\nText *here*.\n"}, True),
    ({"NOTES.md": "# `code_word` [link](x.pdf)\n\n## Second\n\nx![alt words](y.png)z\n"}, True),
    ({"NOTES.md": "text<b>bold</b>more\n"}, False),                    # raw HTML: the page tells
    ({"NOTES.md": "a<!-- gone -->b\n"}, False),                        # no tag left between a and b
    ({"NOTES.md": "<div>\nblock\n</div>\n\ntext\n"}, False),
    ({"NOTES.md": "# T\n\nx&#2;anchor&#3;y\n"}, False),               # an id marker in the text
    ({"NOTES.md": 'a id="x" and href="#y"\n'}, True),
    ({"NOTES.md": "notes\n", "AGENDA.md": 'a id="x" and href="#y"\n'}, True),   # in text: as written
    ({"NOTES.md": "notes\n", "AGENDA.md": "[x](#y) agenda\n", "slides notes.md": "s\n"}, True),
])
def test_walk_words_on_the_shapes_that_differ(files, known):
    assembled = assemble([SourceFile(f"minutes/g/2024-05-07-m/{name}", text.encode())
                          for name, text in files.items()], site_host="minutes.example.org")
    assert assert_walk_words(assembled) is known
    if known:   # the dropped title's words are not among the page's
        assert "hello" not in _word_set(assembled.search_text)


def fnv_shard(word: str) -> str:
    """shard_key's definition, written out here: FNV-1a (32 bits) of the prefix's UTF-8."""
    value = 0x811C9DC5
    for byte in word[:3].encode("utf-8"):
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return f"{value % 1024:03x}"


def test_prefixes_not_seen_yet_are_hashed_where_they_are_missed(monkeypatch):
    # packed_terms looks each prefix up in C (the memo's __getitem__); a prefix the process has
    # not seen is hashed by the memo's __missing__ alone, amid prefixes it has seen.
    from minutes import search
    monkeypatch.setattr(search, "_PLACE_OF", search._PlaceMemo({"sta": search._PLACE_OF["sta"]}))
    text = "<p>Stable stablehlo ста́тус 日本語 v1.2 don't x ab Ωmega naïve</p>"
    record = MeetingRecord(group="openxla", meeting="2022-09-20-sig", segment="2022-09-20-sig",
                           title="Standup naïve", date=dt.date(2022, 9, 20), summary="",
                           content_html=text)
    packed = packed_terms(record)
    found = set(packed.title.split()) | set(packed.other.split())
    assert {"stable", "stablehlo", "日本語", "v1.2", "don't", "x", "ab", "ωmega", "naïve"} <= found
    assert packed.shards.split() == sorted({fnv_shard(word) for word in found})
    assert set(search._PLACE_OF) == {word[:3] for word in found} | {"sta"}
