"""The Markdown walk reads tight items, paragraphs of one text and container events without a
frame or call of their own (decision 66). Proof: the walk gives exactly what it gave before
(`WalkAsBefore` keeps the previous `run`, the definition) -- every block event with its line,
each inline's plain text, words, slug and runs, the headings and their text pieces, the links,
the deepest nesting and its line, the text pieces -- on every corpus file, every hostile input,
deep nesting, generated minutes, nesting shapes and random Markdown."""
from __future__ import annotations

import random

import pytest
from test_hostile import HOSTILE, NESTED
from test_search_words import random_markdown

from bench.sitegen import generate
from minutes import markdown
from minutes.markdown import (_CODE_BLOCK, _CONTAINERS, _HEADING, _HTML_BLOCK, _PARAGRAPH, _TABLE,
                              _THEMATIC_BREAK, Block, Parsed, TooDeep, _Walk, comrak, defuse)
from tests.support.corpus import CORPUS, corpus_files

_CONTAINER_NAMES = {comrak.BlockQuote: "blockquote", comrak.List: "list", comrak.Item: "item",
                    comrak.TaskItem: "item"}


class WalkAsBefore(_Walk):
    """The walk with its loop as it was: a frame for every container, every inline read by
    _inline."""

    def run(self, root) -> Parsed:
        # One frame per open container: (its children still to read, the container, its
        # children as parsed, containers above them, the closing event or None). Children
        # are read through an iterator, in this one loop: no tuple and no call per node.
        blocks, html_blocks = self.blocks, self.html_blocks
        append, inline = blocks.append, self._inline
        shown = self.text.append
        deepest, deepest_line = 0, 0
        children = root.children
        frames = [(iter(children), root, children, 0, None)]
        while frames:
            nodes, parent, siblings, depth, closing = frames[-1]
            for node in nodes:
                node.parent = None
                value = node.node_value
                kind = type(value)
                line = node.sourcepos.start.line - 1
                if kind is _PARAGRAPH:
                    if depth >= deepest:
                        deepest, deepest_line = depth + 1, line
                    append(Block("paragraph", line, inline(node.children, line)))
                elif kind is _HEADING:
                    if depth >= deepest:
                        deepest, deepest_line = depth + 1, line
                    self._heading(node, value, parent, siblings, line)
                elif kind in _CONTAINERS:
                    if depth > deepest:
                        deepest, deepest_line = depth, line
                    name = _CONTAINER_NAMES[kind]
                    append(Block(name + "_open", line))
                    inner = node.children
                    frames.append((iter(inner), node, inner, depth + 1, Block(name + "_close", line)))
                    break
                elif kind is _TABLE:
                    append(Block("table_open", line))
                    for row in node.children:
                        row.parent = None
                        for cell in row.children:
                            cell.parent = None
                            cell_line = cell.sourcepos.start.line - 1
                            append(Block("cell", cell_line, inline(cell.children, cell_line)))
                elif kind is _CODE_BLOCK:
                    code = value.value
                    shown(code.literal)
                    append(Block("fence" if code.fenced else "code_block", line))
                elif kind is _HTML_BLOCK:
                    literal = value.value.literal
                    block = Block("html_block", line, content=literal)
                    append(block)
                    html_blocks.append(block)
                    defused = defuse(literal)
                    if not self.raw_html and not defused.isspace():
                        self.raw_html = bool(defused)
                    if defused != literal:
                        node.node_value = comrak.HtmlBlock(
                            comrak.NodeHtmlBlock(value.value.block_type, defused))
                elif kind is _THEMATIC_BREAK:
                    append(Block("hr", line))
                else:   # anything else holding blocks (no other extension is on): walk into it
                    inner = node.children
                    frames.append((iter(inner), node, inner, depth, None))
                    break
            else:   # this container's children are all read
                frames.pop()
                if closing is not None:
                    append(closing)
        self.deepest, self.deepest_line = deepest, deepest_line
        return Parsed(root, self.blocks, self.headings, self.links, self.deepest,
                      self.deepest_line, self.html_blocks, self.raw_html, self.inline_html,
                      self.text)


def seen(parsed: Parsed) -> tuple:
    """Everything a walk gives, as values."""
    return ([(b.type, b.line, b.level, b.content, None if b.inline is None else
              (b.inline.plain, b.inline.words, b.inline.slug, b.inline.runs)) for b in parsed.blocks],
            [(h.anchor, h.at, h.pieces, h.block.line) for h in parsed.headings], parsed.links,
            parsed.deepest, parsed.deepest_line, [b.line for b in parsed.html_blocks],
            parsed.raw_html, parsed.inline_html, parsed.text)


def walks(text: str, walk=_Walk):
    try:
        markdown._check_prefix_depth(text)
    except TooDeep:
        return "too deep"
    root = comrak.parse_document(text, markdown.EXTENSIONS, None, markdown.RENDER)
    return seen(walk().run(root))


def assert_walks_as_before(text: str) -> None:
    assert walks(text) == walks(text, WalkAsBefore), text[:200]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the corpus is not here")
def test_every_corpus_file_walks_as_before():
    texts = [path.read_text(encoding="utf-8", errors="replace")
             for key, path in corpus_files().items() if key.endswith(".md")]
    assert len(texts) >= 290
    for text in texts:
        assert_walks_as_before(text)


@pytest.mark.parametrize("text", [*HOSTILE, *NESTED.values()])
def test_hostile_input_walks_as_before(text):
    assert_walks_as_before(f"# Title {text}\n\nIntro.\n\n- {text}\n\n> {text}\n")


NESTING = [
    "- a\n- b\n  - c\n    - d\n", "1. a\n\n2. b\n", "- a\n\n  more\n", "> q\n", "> - a\n>   - b\n",
    "- > q\n", "- [ ] task\n- [x] done\n  - [ ] sub\n", "-\n- \n- a\n", "- # h\n- ```\n  c\n  ```\n",
    "- a\n  b\n- *c* `d`\n", "> > > deep\n\npara\n", "- " * 39 + "x\n", "- " * 38 + "x\n",
    "> " * 39 + "x\n", "- a\n" + "  - b\n" * 3 + "\n# after\n", "| a |\n|---|\n| - b |\n",
    # an item whose one paragraph starts on a later line than the item (decision 68)
    "-\n  a\n", "1.\n   a `b`\n", "- x\n-\n  y\n", "> -\n>   q\n",
]


@pytest.mark.parametrize("text", NESTING)
def test_nesting_walks_as_before(text):
    assert_walks_as_before(text)


def test_generated_and_random_markdown_walk_as_before(tmp_path):
    generated = generate(tmp_path, 30, seed=5)
    for key in generated.keys:
        assert_walks_as_before(generated.minutes.joinpath(key).read_text("utf-8"))
    rng = random.Random(67)
    for _ in range(1500):
        assert_walks_as_before(random_markdown(rng))


def _slug_as_before(text: str) -> str:
    """anchor_slug without its memo: the definition."""
    slug = markdown._NOT_SLUG.sub("", text.strip().lower()).replace(" ", "-")
    slug = markdown._DASHES.sub("-", slug).strip("-")[:64] or "section"
    return f"{slug}-section" if slug in markdown.RESERVED_IDS else slug


def test_heading_slugs_are_kept_but_never_change(monkeypatch):
    """A heading's slug is kept per text (decision 68): the same slug as without the memo,
    asked once or again, for reserved ids, empty and long texts, Unicode and random text; the
    memo is bounded and does not keep long texts."""
    monkeypatch.setattr(markdown, "_SLUGS", {})
    monkeypatch.setattr(markdown, "_SLUG_MEMO_SIZE", 50)
    rng = random.Random(68)
    alphabet = "aZ -_—é3#&<`*Ǆİ\t"
    texts = ["Agenda", "main", " Main ", "TOC", "", "   ", "---", "a -- b", "x" * 300, "ﬁle Ǆ",
             "Content", "header-", *("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
                                     for _ in range(400))]
    for text in texts:
        for _ in range(2):   # the second time from the memo
            assert markdown.anchor_slug(text) == _slug_as_before(text), text
        assert len(markdown._SLUGS) <= 50
    assert len(markdown._SLUGS) >= 2
    assert "x" * 300 not in markdown._SLUGS
