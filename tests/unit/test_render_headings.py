"""The headings of a page without raw HTML are written on comrak's HTML of the tree as parsed
(render._with_headings, decision 68) instead of set in the tree and formatted
(render._formatted, the definition, still taken for raw HTML and for a nested first H1 to
drop). Proof: render_markdown gives the same page, headings and search text both ways on
every corpus file, every hostile input, deep nesting, generated minutes, edge cases and
random Markdown, at three levels, with and without the dropped first H1."""
from __future__ import annotations

import random

import pytest
from test_hostile import HOSTILE, NESTED
from test_search_words import random_markdown

from bench.sitegen import generate
from minutes import markdown, render
from minutes.markdown import TooDeep
from tests.support.corpus import CORPUS, corpus_files

EDGES = [
    "# T\n\nx\n", "# T\n# U\n", "## a\n# T\n## b\n", "- # in item\n\n# T\n", "> # quoted\n\n# T\n",
    "# T\n\n> # quoted\n", "T\n===\n\nx\n", "a\nb\n===\n", "a  \nb\n===\n", "# `code` *em* [l](x) ![i](y)\n",
    "# T #\n", "#\n\n# T\n", "# main\n# main\n## top\n", "###### six\n# one\n", "# a&#2;b\n", "# T\n\n<b>x</b>\n",
    "# T\n\n<div>\n\n# U\n\n</div>\n", "- a\n- # h\n  b\n", "1. # one\n2. two\n", "| # |\n|---|\n| x |\n",
    "# &#2;x&#3; y\n", "## &#2;a&#3;\n\n# T\n\n### &#3;\n", "# T\n\n&#2;x&#3;\n", "```\n# not\n```\n\n# T\n", "    # not\n\n# T\n", "# T &lt;h2&gt; </h2>\n\n## x\n", "# T\n" * 40,
]


def _as_before(parsed, dropped, shift, top_level):
    """render._with_headings as it was: every page formatted from the tree with its headings set."""
    return render._formatted(parsed, [h for h in parsed.headings if h is not dropped], dropped,
                             shift, top_level)


def rendered(text: str, drop: bool, top_level: int, way=None):
    """What render_markdown gives (with the headings written `way`), or None for a text the
    engine refuses."""
    kept = render._with_headings
    if way is not None:
        render._with_headings = way
    try:
        found = render.render_markdown(text, drop_first_h1=drop, top_level=top_level,
                                       resolve_link=lambda url: None)
    except TooDeep:
        return None
    finally:
        render._with_headings = kept
    return found.html, found.headings, found.search_text


def written_on_the_page(text: str, drop: bool) -> bool:
    """Whether render_markdown takes _with_headings for this text."""
    calls = []
    rendered(text, drop, 2, lambda *args: calls.append(args) or _as_before(*args))
    return bool(calls)


def assert_same_page(text: str) -> int:
    """render_markdown's page, headings and search text equal those made with every heading
    set in the tree, at three levels, with and without the dropped first H1; for how many of
    the two (dropped or not) render_markdown took _with_headings (at level 2, as
    written_on_the_page asks: the render made the way before tells)."""
    taken = 0
    for drop in (True, False):
        for top_level in (2, 1, 3):
            calls = []
            before = rendered(text, drop, top_level, lambda *args: calls.append(args) or _as_before(*args))
            assert rendered(text, drop, top_level) == before, (drop, top_level, text[:300])
            taken += top_level == 2 and bool(calls)
    return taken


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the corpus is not here")
def test_every_corpus_file_gets_the_same_headings():
    texts = [path.read_text(encoding="utf-8", errors="replace")
             for key, path in corpus_files().items() if key.endswith(".md")]
    assert sum(assert_same_page(text) > 0 for text in texts) >= 200


@pytest.mark.parametrize("text", [*HOSTILE, *NESTED.values()])
def test_hostile_input_gets_the_same_headings(text):
    assert_same_page(f"# Title {text}\n\nIntro.\n\n## {text}\n\n- {text}\n\n> # {text}\n")


@pytest.mark.parametrize("text", EDGES)
def test_edge_cases_get_the_same_headings(text):
    assert_same_page(text)


def test_edge_cases_take_both_ways():
    """A nested first H1 to drop and raw HTML take _formatted's way; a nested one kept, a
    quoted heading and plain pages are written on the page."""
    assert not written_on_the_page("- # in item\n\n# T\n", True)
    assert written_on_the_page("- # in item\n\n# T\n", False)
    assert not written_on_the_page("# T\n\n<b>x</b>\n", False)
    assert written_on_the_page("# T\n\n> # quoted\n", True)
    assert written_on_the_page("# T\n\nx\n", True)
    assert written_on_the_page("# &#2;x&#3; y\n\n## c\n", False)   # a marker in the text too


def test_generated_and_random_markdown_get_the_same_headings(tmp_path):
    generated = generate(tmp_path, 30, seed=68)
    for key in generated.keys:
        assert_same_page(generated.minutes.joinpath(key).read_text("utf-8"))
    rng = random.Random(68)
    taken = 0
    for _ in range(1500):
        text = random_markdown(rng)
        if rng.random() < 0.5:   # headings at random levels among the pieces
            text = "".join(f"{'#' * rng.randint(1, 6)} {line}\n" if rng.random() < 0.3 else f"{line}\n"
                           for line in text.split("\n"))
        taken += assert_same_page(text) > 0
    assert taken >= 700
