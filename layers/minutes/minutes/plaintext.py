"""The plain-text rules of the mail's text part, shared by its two makers (pure, stdlib only).

mail.py turns an HTML fragment into text (records stored before they carried a text form);
ast_text.py writes the same text from the Markdown AST while the page is rendered. Both use
these rules, so the two give the same text for the same body (tests/unit/test_ast_text.py).

The text form a record keeps cannot hold absolute URLs (only mail knows the site's address),
so each link and image keeps its target as the page's HTML writes it, between markers that no
body holds (document.py removes control characters before parsing; ast_text.py gives up on a
body that holds one anyway): LINK target SEP text END and IMAGE target SEP alt END. Mail
replaces them in one pass (mail.finish_text_form).
"""
from __future__ import annotations

import unicodedata

from .lazy_re import lazy

# Control characters no body holds, and none that str.split() takes for whitespace (\x1c-\x1f).
LINK, IMAGE, SEP, END = "\x0e", "\x0f", "\x10", "\x11"
MARKER = lazy(f"[{LINK}{IMAGE}{SEP}{END}]")
HR = "----------"

_SPACES = lazy(r"\s+")
_BLANK_LINES = lazy(r"\n{3,}")


def collapse(text: str) -> str:
    """Runs of whitespace (newlines included) as one space, as HTML shows text."""
    return _SPACES.sub(" ", text)


def clean_inline(text: str) -> str:
    """Inline text of one block: only a line break (<br>) puts a newline here; everything
    else was collapsed to single spaces."""
    return "\n".join(" ".join(line.split()) for line in text.split("\n")).strip()


def width(text: str) -> int:
    """Columns the text takes in a monospaced font (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def indent(text: str, prefix: str, *, blank: str = "") -> str:
    return "\n".join(prefix + line if line else blank for line in text.split("\n"))


def heading(text: str, level: int) -> list[str]:
    """A heading's block: setext style for levels 1 and 2, as people write it in mail."""
    text = " ".join(text.split())
    if not text:
        return []
    if level <= 2:
        return [text + "\n" + ("=" if level == 1 else "-") * width(text)]
    return ["#" * level + " " + text]


def checkbox(checked: bool) -> str:
    return "[x] " if checked else "[ ] "


def list_item(marker: str, blocks: list[str]) -> str:
    """One list item: its blocks one under the other (loose items are kept compact too),
    the lines after the first indented under the marker."""
    first, _, rest = "\n".join(blocks).partition("\n")
    item = marker + first
    if rest:
        item += "\n" + indent(rest, " " * len(marker))
    return item


def code_block(code: str) -> list[str]:
    code = code.strip("\n")
    return [indent(code, "    ")] if code.strip() else []


def quote(blocks: list[str]) -> list[str]:
    inner = "\n\n".join(blocks)
    return [indent(inner, "> ", blank=">")] if inner else []


def table(rows: list[list[str]]) -> list[str]:
    lines = [" | ".join(cells) for cells in rows if any(cells)]
    return ["\n".join(lines)] if lines else []


def document(blocks: list[str]) -> str:
    """The blocks of a body as its text: a blank line between blocks, no trailing spaces,
    never two blank lines in a row."""
    text = "\n\n".join(blocks)
    lines = [line.rstrip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n")
