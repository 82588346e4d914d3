"""Assembling one meeting with fewer passes over its text (issue 9, decision 75) gives what it
gave before: the functions as they were are kept here and compared with the new ones on texts
aimed at what each shortcut must not miss (and on every corpus body)."""
from __future__ import annotations

import itertools
import random
import sys

import pytest

from minutes import document, markdown
from minutes.markdown import _PREFIX, _MARKER, MAX_PREFIX_DEPTH, TooDeep
from minutes.problems import Rejected
from tests.support.corpus import CORPUS


# --- a text on one line (markdown._one_line) ----------------------------------------------------

def test_no_whitespace_but_the_space_is_printable():
    # What _one_line rests on: str.split splits a printable text at ' ' only.
    others = [c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace() and c != " "]
    assert len(others) > 20 and not any(c.isprintable() for c in others)


def test_one_line_is_the_words_joined_by_spaces():
    spaces = [c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()]
    pieces = ["a", "word", "é", "中", "\x00", "\x1f", "\u200b", "\ufeff", *spaces, "  ", ""]
    texts = ["", " ", "a", "a b", " a", "a ", "a  b", "a\tb", "a\nb", "a\u00a0b", "a\u2028b"]
    rng = random.Random(75)
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 8))) for _ in range(20_000)]
    for text in texts:
        assert markdown._one_line(text) == " ".join(text.split()), repr(text)


# --- the nesting bound before parsing (markdown._check_prefix_depth) -----------------------------

def _check_prefix_depth_before(text: str) -> None:
    lines = text.split("\n")
    if max(map(len, lines)) * 2 <= MAX_PREFIX_DEPTH:
        return
    for number, line in enumerate(lines):
        if len(line) * 2 <= MAX_PREFIX_DEPTH:
            continue
        match = _PREFIX.match(line)
        if match is None or 2 * len(prefix := match.group()) <= MAX_PREFIX_DEPTH:
            continue
        depth = len(_MARKER.findall(prefix)) + (prefix.count(" ") + 4 * prefix.count("\t")) // 2
        if depth > MAX_PREFIX_DEPTH:
            raise TooDeep(number, depth)


def verdict(check, text: str):
    try:
        check(text)
    except TooDeep as exc:
        return exc.line, exc.depth
    return None


# Prefix pieces (quote marks, list markers with ASCII and other decimal digits, indentation)
# and what ends a prefix, so that lines of about 500 characters have prefixes of any length.
PREFIX_PIECES = ["> ", ">", "- ", "* ", "+ ", "1. ", "12) ", "\u0663. ", "\uff11) ", " ", "\t", "  "]
ENDS = ["x", "text", ".", ")", "-", "\u0663", "é", "\u00a0", ""]


def nesting_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        lines = []
        for _ in range(rng.randint(1, 5)):
            prefix = ""
            target = rng.choice([10, 490, 500, 501, 502, 520, 700, 1000, 2100])
            while len(prefix) < target:
                prefix += rng.choice(PREFIX_PIECES)
            prefix = prefix[:target + rng.randint(-2, 2)]
            rest = rng.choice(ENDS) * rng.randint(0, 3) + "y" * rng.choice([0, 1, 480, 600])
            lines.append(prefix + rest)
        texts.append(rng.choice(["\n", "\n\n"]).join(lines) + rng.choice(["", "\n"]))
    return texts


def test_the_nesting_bound_gives_the_same_verdicts():
    texts = nesting_texts(3_000, seed=75)
    texts += ["", "\n", "x" * 500, "x" * 501, ">" * 501, "> " * 600, "\n" * 2000, "- " * 1001,
              "a\n" + "\t" * 501, "\u0663. " * 400, "x" * 499 + "\n" + ">" * 501]
    refused = 0
    for text in texts:
        expected = verdict(_check_prefix_depth_before, text)
        assert verdict(markdown._check_prefix_depth, text) == expected, text[:80]
        refused += expected is not None
    assert refused > 100   # the texts reach the bound, not only stay under it


def test_the_screen_passes_every_line_that_could_nest_too_deep():
    for text in nesting_texts(3_000, seed=76):
        if markdown._may_nest_too_deep(text):
            continue
        for line in text.split("\n"):
            match = _PREFIX.match(line)
            assert match is None or 2 * len(match.group()) <= MAX_PREFIX_DEPTH, line[:80]


# --- the complexity limits (document._check_complexity) -------------------------------------------

def _check_complexity_before(body: str, body_line: int) -> None:
    problems = []
    for what, pattern, limit, _, marks in document._COMPLEXITY_LIMITS:
        if len(body) + 1 <= limit or sum(body.count(mark) for mark in marks) + 1 <= limit:
            continue
        found = pattern.findall(body, 0, len(body))
        if len(found) > limit:
            first_over = next(itertools.islice(pattern.finditer(body), limit, None))
            line, column = document._line_col(body, first_over.start())
            problems.append(document.error(
                "too-complex", f"The file has {len(found):,} {what}; the limit is {limit:,}.",
                "Split it into one file per meeting, or put generated content (logs, link "
                "lists, data tables) in an attachment.", body_line + line - 1, column))
    if problems:
        raise Rejected(problems)


def complexity(check, body: str):
    try:
        check(body, 3)
    except Rejected as rejected:
        return [(p.code, p.message, p.hint, p.line, p.column) for p in rejected.problems]
    return []


# The densest form of each limit's matches (the fewest characters a match takes).
DENSE = {"headings": "#\n", "list items": "-\n", "bare web addresses": "www.", "table rows": "|\n",
         "'[' (link brackets)": "[", "lines": "\n"}


@pytest.mark.parametrize("what", sorted(DENSE))
def test_the_complexity_limits_give_the_same_verdicts_at_their_edges(what):
    limit = next(limit for name, _, limit, _, _ in document._COMPLEXITY_LIMITS if name == what)
    piece, refused = DENSE[what], 0
    for count in (limit - 1, limit, limit + 1):
        for body in (piece * count, piece * count + "x", "x" + piece * count, piece * count + "\n",
                     (piece + "x") * count):
            expected = complexity(_check_complexity_before, body)
            assert complexity(document._check_complexity, body) == expected, (what, count)
            refused += bool(expected)
    assert refused >= 3


def test_over_a_limit_is_still_refused():
    with pytest.raises(Rejected):
        document._check_complexity("www." * 5_001, 1)
    with pytest.raises(Rejected):
        document._check_complexity("#\n" * 2_001, 1)
    document._check_complexity("www." * 5_000, 1)


# --- placeholders (document._placeholder_in_text) ---------------------------------------------------

def test_every_placeholder_holds_one_of_the_marks():
    pieces = ["YYYY-MM-DD", "YYYY-MM-D", "{{", "}}", "{{ x }}", "{{a.b}}", "<date>", "<DATE>",
              "<Date>", "<meeting-date>", "<meeting date>", "<meeting_date>", "date>", "DATE",
              "<", ">", " ", "x", "\n"]
    rng = random.Random(75)
    found = 0
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 6)))
        if document._PLACEHOLDER.search(text):
            found += 1
            assert any(mark in text for mark in document._PLACEHOLDER_MARKS), text
    assert found > 1_000


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the corpus is not here")
def test_every_corpus_body_passes_the_checks_as_before():
    for path in sorted(CORPUS.rglob("*.md")):
        text, _ = document.read_text(path.read_bytes(), 10_000_000)
        assert verdict(markdown._check_prefix_depth, text) == \
            verdict(_check_prefix_depth_before, text)
        assert complexity(document._check_complexity, text) == []
        assert complexity(_check_complexity_before, text) == []
