"""summary.py's cheaper steps give the summaries the way before gave: the functions that changed
(issue 9; decision 63) are kept here as they were, and summarize/agenda_summary with them put
back must give the same strings, and _blocks the same blocks, on every corpus meeting, every
hostile input, the benchmark's generated minutes and random Markdown made of summary shapes."""
from __future__ import annotations

import functools
import random
import re
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_hostile import HOSTILE, NESTED

from bench.sitegen import generate
from minutes import summary
from minutes.render import parse_markdown
from tests.support.corpus import CORPUS, corpus_files

_Block, _ENDS_AN_ITEM = summary._Block, summary._ENDS_AN_ITEM


# --- the way before (as at main 44441c0) ------------------------------------------------------

def _blocks_before(parsed):
    blocks = []
    depth, lists, list_ids, section = 0, 0, [], -1
    pending_item = False
    for block in parsed.blocks:
        kind = block.type
        if kind == "list_open":
            depth += 1
            lists += 1
            list_ids.append(lists)
            if blocks and blocks[-1].kind == "item" and blocks[-1].depth == depth - 1:
                blocks[-1].nested = True
        elif kind == "list_close":
            depth -= 1
            list_ids.pop()
        elif kind == "item_open":
            pending_item = True
        elif kind in _ENDS_AN_ITEM:
            pending_item = False
        if block.inline is None:
            continue
        text = block.inline.words
        if kind == "heading":
            blocks.append(_Block("heading", text, level=block.level))
            section = len(blocks) - 1
        elif pending_item and list_ids:
            blocks.append(_Block("item", text, depth=depth, list_id=list_ids[-1], section=section))
            pending_item = False
        elif text:
            blocks.append(_Block("para", text, depth=depth, section=section))
    return blocks


def _words_before(text):
    text = text[:400]
    if "#" in text:
        text = summary._REFERENCE.sub(" ", text)
    found = (w.lower().strip("'’-") for w in
             summary._WORD.findall(summary._without_addresses(text, " ")))
    return tuple(w for w in found if len(w) > 1)


def _agenda_before(blocks, sections, limit=None):   # the limit was _join's alone
    S = summary
    for index, block in enumerate(blocks):
        heading = block.kind == "heading" and S._AGENDA_WORD.search(block.text) \
            and sections.get(index) != "logistics" and not block.text.lower().startswith("no ")
        label = block.kind == "para" and S._AGENDA.match(block.text.rstrip(":"))
        if heading or label or (block.kind == "heading" and S._AGENDA.match(block.text)):
            topics = [S._clean(t) for t in _items_after_before(blocks, index) if S._is_topic(t)]
            if topics:
                return topics
    boxed = [i for i, b in enumerate(blocks) if b.kind != "heading" and S._TIMEBOX.match(b.text)]
    if len(boxed) >= 2:
        topics = []
        for index in boxed:
            text = S._TIMEBOX.sub("", blocks[index].text)
            if S._is_topic(text) and not S._is_label_only(text):
                topics.append(S._clean(text))
            else:
                topics += [S._clean(t) for t in _items_after_before(blocks, index, first_list_only=True)
                           if S._is_topic(t)]
        return topics
    return []


def _items_after_before(blocks, index, *, first_list_only=False):   # as at main ebfa453
    S = summary
    found, base, list_id = [], None, None
    for position in range(index + 1, len(blocks)):
        block = blocks[position]
        if block.kind == "heading":
            break
        if block.kind != "item":
            if first_list_only and list_id is not None:
                break
            continue
        if base is None:
            base, list_id = block.depth, block.list_id
        if first_list_only and block.list_id != list_id and block.depth <= base:
            break
        if block.depth == base:
            if block.nested and (S._is_label_only(block.text) or not S._is_topic(block.text)):
                continue
            found.append(block.text)
        elif block.depth == base + 1 and S._container_above(blocks, position, base):
            found.append(block.text)
    return found


def _topic_headings_before(blocks, sections, limit=None):
    S = summary
    topics = []
    headings = [index for index, block in enumerate(blocks) if block.kind == "heading"]
    for number, index in enumerate(headings):
        block = blocks[index]
        if sections.get(index) != "topic":
            continue
        end = headings[number + 1] if number + 1 < len(headings) else len(blocks)
        next_heading = blocks[end] if end < len(blocks) else None
        said, substance = 0, False
        for position in range(index + 1, end):
            if substance and said >= 12:
                break
            text = blocks[position].text
            words = S._content_words(text, S._LOGISTIC_WORDS)
            if said < 12:
                said += len(words)
            substance = substance or (len(words) >= 2 and not S._is_logistics(text)
                                      and not S._is_label_only(text))
        if next_heading is not None and next_heading.level > block.level and said < 12:
            continue
        if substance:
            topics.append(S._clean(block.text))
    return topics


def _section_kinds_before(blocks, title):   # as at main 7849c8e: every heading, at once
    S = summary
    kinds = {}
    stack = []
    for index, block in enumerate(blocks):
        if block.kind != "heading":
            continue
        while stack and stack[-1][0] >= block.level:
            stack.pop()
        kind = S._heading_kind(block, title)
        if kind == "generic" and S._FOLLOW_UPS.match(block.text):
            kind = "follow-ups"
        kinds[index] = kind
        stack.append((block.level, kind))
    return kinds


def _is_logistics_before(text):
    S = summary
    if S._CALL.search(text, 0, 400) or S._LOGISTICS_LABEL.match(text):
        return True
    if len(S._words(text)) < 30 and S._INLINE_LOGISTICS.search(text):
        return True
    return not S._content_words(text, S._LOGISTIC_WORDS)


def _heading_traits_before(text):
    S = summary
    words = S._words(text)
    logistics = bool(S._CALL.search(text) or (words and set(words) & S._LOGISTIC_HEADINGS and not
                     S._content_words(text, S._LOGISTIC_HEADINGS, S._LOGISTIC_WORDS,
                                      S._GENERIC_WORDS)))
    topical = S._content_words(text, S._GENERIC_WORDS, S._LOGISTIC_WORDS)
    return logistics, bool(S._DATE_LIKE.search(text)) and not topical[2:], not topical


def _clean_before(text):
    S = summary
    text = S._without_addresses(text, "")
    for pattern in (S._ADMONITION, S._CHECKBOX, S._TIMEBOX, S._ENUMERATOR):
        text = pattern.sub("", text)
    text = re.sub(r"\(\s*[|,;:\s]*\)|\[\s*[|,;:\s]*\]", "", text)
    text = re.sub(r"\s+([,.;:!?])", r"\1", " ".join(text.split()))
    return text.strip(" -–—:;,|").strip()


def _clear_caches():
    for cached in (summary._words, summary._is_logistics, summary._heading_traits):
        cached.cache_clear()


@contextmanager
def _the_way_before():
    now = {name: getattr(summary, name) for name in
           ("_blocks", "_words", "_agenda", "_topic_headings", "_clean", "_is_logistics",
            "_heading_traits", "_items_after", "_section_kinds")}
    _clear_caches()   # no verdict made with the new _words may be reused
    summary._blocks, summary._agenda = _blocks_before, _agenda_before
    summary._topic_headings, summary._clean = _topic_headings_before, _clean_before
    # Memoized as they were (lru_cache(4096) at 44441c0), each with a cache of its own here.
    summary._words = functools.lru_cache(maxsize=4096)(_words_before)
    summary._is_logistics = functools.lru_cache(maxsize=4096)(_is_logistics_before)
    summary._heading_traits = functools.lru_cache(maxsize=4096)(_heading_traits_before)
    summary._items_after, summary._section_kinds = _items_after_before, _section_kinds_before
    try:
        yield
    finally:
        for name, function in now.items():
            setattr(summary, name, function)
        _clear_caches()


def _fields(blocks):
    return [(b.kind, b.text, b.level, b.depth, b.nested, b.list_id, b.section) for b in blocks]


TITLES = ("", "Weekly sync", "Agenda")
# The line's length: the choices stop when their parts fill it (summary._Parts), so a short
# line stops them early, after one part or two (and at a part's length: the limit 12 and a
# 12-character part).
LIMITS = (summary.LIMIT, 12, 60)


def assert_same(texts: list[str]) -> int:
    """Parses each text; returns how many parsed (a text the parser refuses has no summary)."""
    parsed = []
    for text in texts:
        try:
            parsed.append(parse_markdown(text))
        except Exception:   # noqa: BLE001 -- too deep etc.: assembly rejects it before any summary
            continue
    cases = [(t, summary.LIMIT) for t in TITLES] + [("Weekly sync", n) for n in LIMITS[1:]]

    def made():
        return [made_of(p) for p in parsed]

    def made_of(p):
        blocks = summary._blocks(p)
        kinds = summary._section_kinds(blocks, "weekly sync")   # once: the eager way is O(blocks)
        return ([summary.summarize(p, title=t, limit=n) for t, n in cases],
                summary.agenda_summary(p), _fields(blocks),
                [kinds.get(i) for i in range(-2, len(blocks) + 2)]      # each judged first here,
                + [kinds.get(b.section, "none") for b in blocks])        # then asked again
    now = made()
    with _the_way_before():
        before = made()
    assert now == before
    return len(parsed)


def test_a_full_line_stops_the_choices():
    """The topic headings of a long meeting stop once they fill the line (else this proves
    nothing about stopping early), and stop at the same line the way before makes."""
    text = "".join(f"## Topic number {n} of the release plan\n\nWe talked about part {n} of the "
                   f"release plan and its schedule.\n\n" for n in range(40))
    parsed = parse_markdown(text)
    blocks = summary._blocks(parsed)
    sections = summary._section_kinds(blocks, "")
    picked = summary._topic_headings(blocks, sections, summary.LIMIT)
    assert 2 <= len(picked) < 40 and picked.full()
    assert len(summary._topic_headings(blocks, sections, 10_000)) == 40
    with _the_way_before():
        whole = summary._topic_headings(blocks, sections)
    assert len(whole) == 40 and whole[:len(picked)] == picked
    assert summary._join(picked, summary.LIMIT) == summary._join(whole, summary.LIMIT)
    assert summary.summarize(parsed).endswith("…")


def test_the_way_before_is_what_it_says():
    """The context above really swaps the functions (else every comparison is of one thing)."""
    with _the_way_before():
        assert summary._blocks is _blocks_before and summary._clean is _clean_before
        assert summary._is_logistics.__wrapped__ is _is_logistics_before
        assert summary._words.__wrapped__ is _words_before
        assert summary._heading_traits.__wrapped__ is _heading_traits_before
    assert summary._blocks is not _blocks_before


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the corpus is not here")
def test_every_corpus_file_summarises_as_before():
    texts = [path.read_bytes().decode("utf-8", "replace") for path in corpus_files().values()]
    assert assert_same(texts) >= len(texts) * 9 // 10


def test_hostile_inputs_summarise_as_before():
    texts = [payload if isinstance(payload, str) else payload.decode("utf-8", "replace")
             for payload in [*HOSTILE, *NESTED.values()]]
    texts += [f"# Agenda\n\n- {text}\n\n## Topic\n\n{text}\n" for text in texts]
    assert assert_same(texts) >= len(texts) // 2


def test_generated_minutes_summarise_as_before(tmp_path):
    generated = generate(tmp_path, 60, seed=11)
    texts = [generated.minutes.joinpath(key).read_text("utf-8") for key in generated.keys]
    assert assert_same(texts) == len(texts)


# Pieces of the shapes summary.py reads: agendas, labels, time boxes, nested lists, headings,
# logistics, addresses, references, text outside ASCII.
PIECES = [
    "# ", "## ", "### ", "\n", "\n\n", "- ", "* ", "1. ", "    - ", "  * ", "> ", "```\n",
    "Agenda", "Agenda:", "Topics", "Discussion topics", "Notes", "Attendees", "Action items",
    "[10 min] ", "(5 mins) ", "15 minutes - ", "Zoom https://zoom.us/j/1?pwd=x", "Date: ",
    "2024-05-07", "Dec 11, 2020", "rust-lang/rfcs#2442", "#53", "a@b.org", "www.Example.org",
    "Release 1.19 planning", "converters and custom ops", "the new scheduler design", ":",
    "[ ] ", "[x] ", "::: note ", "( | )", "[ , ]", " , ", "No agenda", "Q&A", "ſtatus",
    "Kelvin", "İstanbul", "ΟΔΟΣ", "\u00a0", "\u2003", "٣ ", "<b>x</b>", "|a|b|\n|-|-|\n|c|d|\n",
    # where _agenda runs its patterns only on texts that may match: first letters, case,
    # letters outside ASCII that IGNORECASE matches (ıtems), labels behind marks
    "Items", "ITEMS:", "ıtems", "İtems", "Meeting agenda", "** Topics **", "_Agenda_", "Me", "it",
    "To do", "di", "ag", "(", "[", "٣٠ min ", "10 mins: ",
]
summary_markdown = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)),
                            max_size=80).map("".join)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(summary_markdown)
def test_random_summary_shapes_summarise_as_before(text):
    assert_same([text])


CALL_PIECES = ["zoom", "ZOOM", "Zoom", "webex", "meet.google", "meet google", "teams.microsoft",
               "Teams.Live", "teams", "gotomeeting", "bluejeans", "jitsi", "pwd=", "?pwd=", "xpwd=",
               "passcode", "PassWord", "pass", "pin", "PIN", "spin", "pin2", "meeting id",
               "meeting  id", "dial-in", "dial in", "dialin", "dial", "join the call",
               "Join our meeting", "join this", "join", "conference bridge", "conference", " ",
               "\n", "-", ".", "ſ", "İ", "ı", "K", "é", "Ｚｏｏｍ"]
call_text = st.lists(st.one_of(st.sampled_from(CALL_PIECES), st.text(max_size=6)),
                     max_size=30).map("".join)


@settings(max_examples=1000, deadline=None)
@given(call_text)
def test_names_a_call_is_the_pattern(text):
    assert summary._names_a_call(text) == bool(summary._CALL.search(text))
    assert summary._names_a_call(text[:400]) == bool(summary._CALL.search(text, 0, 400))


@pytest.mark.parametrize("piece", [p for p in CALL_PIECES if summary._CALL.search(p)])
def test_every_call_piece_the_pattern_matches_is_found(piece):
    """The pieces above reach the pattern (else the property test proves only 'no')."""
    for text in (piece, f"x {piece} y", f"{piece.upper()}.", f"a ſ {piece}"):
        assert summary._names_a_call(text) == bool(summary._CALL.search(text))


# Pieces of the words _words finds: letters, digits, the connectors it takes ("'’+-_") at
# either end and inside, one-letter words, references, addresses, text outside ASCII.
WORD_PIECES = ["a", "B", "c", "Zz", "1", "42", "_", "'", "’", "+", "-", "--", "c++", "c+-",
               "don't", "students'", "x-", "-y", "a-b", "k8s", "#53", "rust-lang/rfcs#2442",
               "a@b.org", "https://x.org/a", "www.", " ", "\n", ".", ",", ":", "(", ")", "é",
               "ſ", "İ", "ΟΔΟΣ", "\u00a0", "٣"]


def test_words_are_as_before_on_random_and_corpus_texts():
    """_words (an ASCII text lower-cased first, one pattern that leaves out what was stripped
    and one-letter words) gives the words the way before gave, ASCII or not."""
    rng = random.Random(5)
    texts = ["".join(rng.choice(WORD_PIECES) for _ in range(rng.randrange(40)))
             for _ in range(20_000)]
    texts += ["x" * 399 + "-ab", "x" * 398 + "a'b c", "A" * 500]
    if CORPUS.is_dir():
        for path in corpus_files().values():
            parsed = parse_markdown(path.read_bytes().decode("utf-8", "replace"))
            texts += [b.inline.words for b in parsed.blocks if b.inline is not None]
    assert sum(t[:400].isascii() for t in texts) > len(texts) // 3   # both ways are taken
    for text in texts:
        assert summary._words.__wrapped__(text) == _words_before(text), repr(text)
