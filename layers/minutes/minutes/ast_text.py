"""A body's text form for mail, written from the AST the page is rendered from (pure).

The same text mail.html_to_text makes of the page's HTML (plaintext.py holds the rules both
follow), but without parsing that HTML again: render.py calls this on the AST it has just
formatted, only when asked (publish: a build sends no mail and never pays for it). Links and
images keep their target as the page writes it, between plaintext's markers; mail makes them
absolute. None: this body's text cannot be written from the AST with certainty (raw HTML
that holds tags, a marker character, an unknown node, nesting beyond Python's stack), and
mail reads the HTML instead, as for records stored before text forms existed.
"""
from __future__ import annotations

import html
from collections.abc import Callable

import comrak

from . import plaintext
from .plaintext import END, IMAGE, LINK, MARKER, SEP, clean_inline, collapse


class _Unsure(Exception):
    """The body holds something whose text only the HTML parser can tell."""


_TEXT, _SOFT_BREAK, _LINE_BREAK, _CODE = comrak.Text, comrak.SoftBreak, comrak.LineBreak, comrak.Code
_HTML_INLINE, _IMAGE, _LINK, _STRIKE = comrak.HtmlInline, comrak.Image, comrak.Link, comrak.Strikethrough
_SPANS = (comrak.Emph, comrak.Strong)
_PARAGRAPH, _HEADING, _LIST, _ITEM, _TASK_ITEM = (comrak.Paragraph, comrak.Heading, comrak.List,
                                                   comrak.Item, comrak.TaskItem)
_QUOTE, _CODE_BLOCK, _HTML_BLOCK = comrak.BlockQuote, comrak.CodeBlock, comrak.HtmlBlock
_BREAK, _TABLE = comrak.ThematicBreak, comrak.Table


def text_blocks(root, *, levels: dict[int, int], target: Callable[[str], str | None]
                ) -> tuple[list[str], list[tuple[str, str]]] | None:
    """(the body's text blocks, the (attribute, value) pairs the page's HTML must hold for
    them to be right: each kept link href and image src and alt, in order), or None.
    `levels`: id(heading node) -> its level on the page, 0 for a heading left out.
    `target(url as written)`: the URL the page writes, or None when the sanitiser drops it."""
    walk = _Walk(levels, target)
    try:
        return walk.blocks(root.children), walk.attributes
    except (_Unsure, RecursionError):
        return None


class _Walk:
    def __init__(self, levels: dict[int, int], target):
        self.levels, self.target = levels, target
        self.attributes: list[tuple[str, str]] = []

    # --- blocks: as mail._blocks reads the HTML comrak writes for them ---------------------

    def blocks(self, nodes, *, tight: bool = False, prefix: str = "") -> list[str]:
        """The blocks of a container; inline pieces between blocks (a tight list's paragraph,
        a task item's checkbox, raw HTML that is only text) join into one block."""
        out: list[str] = []
        inline: list[str] = [prefix] if prefix else []

        def flush() -> None:
            text = clean_inline("".join(inline))
            inline.clear()
            if text:
                out.append(text)

        for node in nodes:
            kind = type(node.node_value)
            if kind is _PARAGRAPH and tight:
                inline.append(self.inline(node.children))
            elif kind is _HTML_BLOCK:
                inline.append(collapse(_raw_text(node.node_value.value.literal)))
            else:
                flush()
                out += self.block(node, kind)
        flush()
        return out

    def block(self, node, kind) -> list[str]:
        value = node.node_value
        if kind is _PARAGRAPH:
            text = clean_inline(self.inline(node.children))
            return [text] if text else []
        if kind is _HEADING:
            level = self.levels.get(id(node))
            if level is None:
                raise _Unsure("a heading render.py did not place")
            return plaintext.heading(clean_inline(self.inline(node.children)), level) if level else []
        if kind is _LIST:
            return self.list(node)
        if kind is _QUOTE:
            return plaintext.quote(self.blocks(node.children))
        if kind is _CODE_BLOCK:
            return plaintext.code_block(value.value.literal)
        if kind is _BREAK:
            return [plaintext.HR]
        if kind is _TABLE:
            return plaintext.table([[clean_inline(self.inline(cell.children)) for cell in row.children]
                                    for row in node.children])
        raise _Unsure(f"no text rule for {kind.__name__}")

    def list(self, node) -> list[str]:
        value = node.node_value.value
        ordered = value.list_type == comrak.ListType.Ordered
        number = value.start if ordered else 1
        items = []
        for item in node.children:
            kind = type(item.node_value)
            if kind is _TASK_ITEM:
                checked = item.node_value.value.symbol is not None
                blocks = self.blocks(item.children, tight=value.tight, prefix=plaintext.checkbox(checked))
            elif kind is _ITEM:
                blocks = self.blocks(item.children, tight=value.tight)
            else:
                raise _Unsure("a list child that is not an item")
            items.append(plaintext.list_item(f"{number}. " if ordered else "- ", blocks))
            number += 1
        text = "\n".join(items)
        return [text] if text else []

    # --- inline content: what mail._inline makes of comrak's inline HTML ------------------

    def inline(self, nodes) -> str:
        out = []
        for node in nodes:
            value = node.node_value
            kind = type(value)
            if kind is _TEXT:
                out.append(collapse(_checked(value.value)))
            elif kind is _SOFT_BREAK:
                out.append(" ")
            elif kind is _LINE_BREAK:
                out.append("\n ")
            elif kind is _CODE:
                literal = " ".join(_checked(value.value.literal).split())
                out.append(f"`{literal}`" if literal else "")
            elif kind in _SPANS:
                out.append(self.inline(node.children))
            elif kind is _STRIKE:
                inner = clean_inline(self.inline(node.children))
                out.append(f"~~{inner}~~" if inner else "")
            elif kind is _HTML_INLINE:
                out.append(collapse(_raw_text(value.value)))
            elif kind is _LINK:
                out.append(self.link(node, value.value.url))
            elif kind is _IMAGE:
                out.append(self.image(node, value.value.url))
            else:
                raise _Unsure(f"no text rule for {kind.__name__}")
        return "".join(out)

    def link(self, node, url: str) -> str:
        target = self.target(url)
        kept = bool(target) and not target.startswith("#")
        if kept:
            self.attributes.append(("href", target))   # before the images inside it
        text = clean_inline(self.inline(node.children))
        if not target:
            return text                        # no href left, or an empty one: the text alone
        if not kept:                           # this page: an anchor means nothing in text
            return text if any(c.isalnum() for c in text) else ""
        return f"{LINK}{target}{SEP}{text}{END}"

    def image(self, node, url: str) -> str:
        alt = _alt(node.children)
        target = self.target(url)
        if not target or target.startswith("#"):
            raise _Unsure("an image without a source the page keeps")
        self.attributes += (("src", target), ("alt", alt))
        return f"{IMAGE}{target}{SEP}{alt}{END}"


def _raw_text(defused: str) -> str:
    """Raw HTML as the walk left it (markdown.defuse): text only, unless it holds a tag."""
    if "<" in defused:
        raise _Unsure("raw HTML")
    return _checked(html.unescape(defused))


def _checked(text: str) -> str:
    if MARKER.search(text):
        raise _Unsure("a marker character in the text")
    return text


def _alt(nodes) -> str:
    """An image's alt text as comrak writes it: the text of its children, breaks as spaces."""
    out, stack = [], list(reversed(nodes))
    while stack:
        node = stack.pop()
        value = node.node_value
        kind = type(value)
        if kind is _TEXT:
            out.append(value.value)
        elif kind is _CODE:
            out.append(value.value.literal)
        elif kind is _HTML_INLINE:
            out.append(value.value)
        elif kind is _SOFT_BREAK or kind is _LINE_BREAK:
            out.append(" ")
        else:
            stack.extend(reversed(node.children))
    return _checked("".join(out))
