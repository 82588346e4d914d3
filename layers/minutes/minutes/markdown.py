"""The Markdown engine (docs/decisions.md 29): comrak (Rust; CommonMark plus GitHub tables,
strikethrough, autolinks and task lists) parses a body ONCE into an AST, and one walk over it
gives everything the rest needs: the checks (headings, nesting depth, raw HTML and text with
their lines), the summary's blocks, the links of the page header, the heading ids; and the
same AST, with raw HTML defused in the walk, is what render.py hands to comrak's formatter.

Nothing here recurses, so a deeply nested document cannot exhaust Python's stack; comrak's own
conversion of the AST does recurse, so a line whose container prefix (`>`, list markers,
indentation) nests deeper than MAX_PREFIX_DEPTH is refused BEFORE comrak sees the text.

comrak's Python nodes hold their parent and their children, strongly, and its classes give the
cycle collector nothing to traverse: every parsed document would stay in memory for good (30 MB
per pass over the corpus, a leak in a warm Lambda). The walk drops each node's `parent` (no
code here or in comrak's formatter reads it), so a parse is freed as soon as it is let go.
"""
from __future__ import annotations

import html
import re
import urllib.parse
from dataclasses import dataclass, field

import comrak

from .lazy_re import lazy

MAX_NESTING = 40           # lists and quotes nested MAX_NESTING - 2 deep are refused (too-deep)
# A bound on what the native parser is ever given: far above MAX_NESTING (so every real
# document gets the exact too-deep verdict from the AST), far below what crashes comrak's
# AST conversion (measured: 10,000 nested quotes pass, 20,000 take the process down).
MAX_PREFIX_DEPTH = 1_000
RESERVED_IDS = frozenset({"main", "top", "toc", "content", "header", "footer", "nav", "subscribe"})
EXTENSIONS = comrak.ExtensionOptions(strikethrough=True, table=True, autolink=True, tasklist=True)
RENDER = comrak.RenderOptions(unsafe_=True, tasklist_classes=True)
# The heading id travels through comrak's formatter as a marker that no text can hold: the
# body's control characters are removed before parsing (document.py; parse() too).
ID_OPEN, ID_CLOSE = "\x02", "\x03"

# Element names a browser knows: these are real HTML (sanitised by nh3); any other tag-like
# word is prose and is escaped.
_HTML_ELEMENTS = frozenset("""
a abbr acronym address area article aside audio b base bdi bdo big blink blockquote body br
button canvas caption center cite code col colgroup data datalist dd del details dfn dialog dir
div dl dt em embed fieldset figcaption figure font footer form frame frameset h1 h2 h3 h4 h5 h6
head header hgroup hr html i iframe img input ins kbd label legend li link main map mark marquee
math menu meta meter nav noembed noframes noscript object ol optgroup option output p param
picture plaintext pre progress q rp rt rtc ruby s samp script search section select slot small
source span strike strong style sub summary sup svg table tbody td template textarea tfoot th
thead time title tr track tt u ul var video wbr xmp image
""".split())
TAG = lazy(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s[^<>]*)?)(/?)>")
COMMENT = lazy(r"<!--.*?(?:-->|\Z)", re.DOTALL)
# A line's container prefix: quote marks, and list markers (each followed by a space or tab).
_PREFIX = lazy(r"^[ \t]*(?:(?:>|(?:[-*+]|\d{1,9}[.)])(?=[ \t]|$))[ \t]*)+", re.MULTILINE)
_MARKER = lazy(r">|(?:[-*+]|\d{1,9}[.)])(?=[ \t]|$)")


class TooDeep(ValueError):
    """A line nests containers deeper than the engine is ever given; `line` is 0-based."""

    def __init__(self, line: int, depth: int):
        super().__init__(f"line {line + 1} nests {depth} containers")
        self.line, self.depth = line, depth


@dataclass(eq=False, slots=True)
class Inline:
    """The inline content of a paragraph, heading or table cell."""
    plain: str      # what a reader sees, on one line: tag-like words stay, real tags do not
    words: str      # text and code only, on one line (no raw HTML at all)
    slug: str       # text and code as written: what a heading id is made from (headings only)
    # (0-based body line, content, is raw HTML) of each run of text and each raw HTML piece
    runs: tuple[tuple[int, str, bool], ...]


@dataclass(eq=False, slots=True)
class Block:
    """One block event, in document order: heading | paragraph | cell (with `inline`);
    list_open | list_close | item_open | item_close | blockquote_open | blockquote_close |
    table_open | fence | code_block | html_block (`content`: the raw HTML as written) | hr."""
    type: str
    line: int                # 0-based line in the body
    inline: Inline | None = None
    level: int = 0           # a heading's level as written
    content: str = ""


@dataclass(eq=False, slots=True)
class HeadingNode:
    block: Block
    node: object             # the comrak AstNode
    children: list           # its inline children as parsed
    value: object            # its NodeHeading (level, setext, closed)
    parent_children: list    # its parent's children as parsed (to leave it out of a page)
    parent: object
    anchor: str              # the id, unique in the document (the first H1's counts too)
    at: int = 0              # its block's index in Parsed.blocks
    pieces: tuple[int, int] = (0, 0)   # its text's pieces in Parsed.text: [start, end)


@dataclass(eq=False)
class Parsed:
    root: object
    blocks: list[Block]
    headings: list[HeadingNode]
    links: list[tuple[str, str]]            # (url as written, visible text) of every link
    deepest: int = 0                        # lists and quotes, counted as markdown-it did
    deepest_line: int = 0
    html_blocks: list[Block] = field(default_factory=list)
    # Raw HTML that leaves more than whitespace once defused (comments gone, tag-like words
    # escaped): only then must the rendered page go through nh3 (render.py).
    raw_html: bool = False
    inline_html: bool = False               # some inline holds raw HTML (a run marked as such)
    # Every piece of text the page shows, in order: each text node (comrak merges adjacent
    # ones), inline code and code block as written. The page has a tag, or a line break, between
    # any two (render.shown_text: the search words without reading the page back).
    text: list[str] = field(default_factory=list)


def parse(text: str) -> Parsed:
    """Parse once. Raises TooDeep before comrak sees a text it could not take."""
    _check_prefix_depth(text)
    if ID_OPEN in text or ID_CLOSE in text:
        text = text.replace(ID_OPEN, "").replace(ID_CLOSE, "")
    root = comrak.parse_document(text, EXTENSIONS, None, RENDER)
    return _Walk().run(root)


def _check_prefix_depth(text: str) -> None:
    """An upper bound of each line's nesting: its `>` and list markers, plus its indentation
    over two (the least a nested list item indents by). Linear, and before any parsing. No
    character of a prefix counts for more than 2 (a tab), and a prefix never leaves its line:
    only a line longer than MAX_PREFIX_DEPTH / 2 can be refused, so only those are looked at."""
    if not _may_nest_too_deep(text):
        return   # most documents
    lines = text.split("\n")
    if max(map(len, lines)) * 2 <= MAX_PREFIX_DEPTH:
        return   # most documents
    for number, line in enumerate(lines):
        if len(line) * 2 <= MAX_PREFIX_DEPTH:
            continue
        match = _PREFIX.match(line)
        if match is None or 2 * len(prefix := match.group()) <= MAX_PREFIX_DEPTH:
            continue
        depth = len(_MARKER.findall(prefix)) + (prefix.count(" ") + 4 * prefix.count("\t")) // 2
        if depth > MAX_PREFIX_DEPTH:
            raise TooDeep(number, depth)


_LONG_LINE = MAX_PREFIX_DEPTH // 2   # a line of more characters is looked at
# Every character _PREFIX can match, but the decimal digits outside ASCII (\d's too).
_PREFIX_CHARS = " \t>-*+.)0123456789"


def _may_nest_too_deep(text: str) -> bool:
    """Whether a line of `text` could start with a prefix of more than _LONG_LINE characters,
    the only kind _check_prefix_depth can refuse; found without splitting the text into lines
    (bodies often hold lines that long, paragraphs written without line breaks). The last line
    break within each stretch of _LONG_LINE + 1 characters starts the next stretch; a stretch
    without one starts a longer line, and that line's prefix is shorter unless the stretch is
    all characters a prefix can hold."""
    at, size = 0, len(text)
    while size - at > _LONG_LINE:
        end = at + _LONG_LINE + 1
        newline = text.rfind("\n", at, end)
        if newline < 0:
            rest = text[at:end].lstrip(_PREFIX_CHARS)
            if not rest or rest[0].isdecimal():
                return True
            newline = text.find("\n", end)
            if newline < 0:
                return False
        at = newline + 1
    return False


# --- the one walk ------------------------------------------------------------------------------

_CONTAINERS = (comrak.BlockQuote, comrak.List, comrak.Item, comrak.TaskItem)
_CONTAINER_EVENTS = {kind: (f"{name}_open", f"{name}_close") for kind, name in (
    (comrak.BlockQuote, "blockquote"), (comrak.List, "list"), (comrak.Item, "item"),
    (comrak.TaskItem, "item"))}
_PARAGRAPH, _HEADING = comrak.Paragraph, comrak.Heading
_TEXT, _SOFT_BREAK, _LINE_BREAK, _CODE = comrak.Text, comrak.SoftBreak, comrak.LineBreak, comrak.Code
_HTML_INLINE, _IMAGE, _LINK = comrak.HtmlInline, comrak.Image, comrak.Link
_TABLE, _CODE_BLOCK, _HTML_BLOCK = comrak.Table, comrak.CodeBlock, comrak.HtmlBlock
_THEMATIC_BREAK = comrak.ThematicBreak


class _Walk:
    def __init__(self):
        self.blocks: list[Block] = []
        self.headings: list[HeadingNode] = []
        self.links: list[tuple[str, str]] = []
        self.html_blocks: list[Block] = []
        self.deepest, self.deepest_line = 0, 0
        self.slugs: set[str] = set()
        self.raw_html = False
        self.inline_html = False
        self.text: list[str] = []

    def run(self, root) -> Parsed:
        # One frame per open container: (its children still to read, the container, its
        # children as parsed, containers above them, the closing event or None). Children
        # are read through an iterator, in this one loop: no tuple and no call per node.
        blocks, html_blocks = self.blocks, self.html_blocks
        append, inline = blocks.append, self._inline
        shown, one_line = self.text.append, _one_line
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
                    inner = node.children
                    if len(inner) == 1 and type(text := inner[0].node_value) is _TEXT:
                        # one run of text (most paragraphs): what _inline makes of it
                        inner[0].parent = None
                        text = text.value
                        shown(text)
                        plain = one_line(text)
                        append(Block("paragraph", line, Inline(plain, plain, "", ((line, text, False),))))
                    else:
                        append(Block("paragraph", line, inline(inner, line)))
                elif kind is _HEADING:
                    if depth >= deepest:
                        deepest, deepest_line = depth + 1, line
                    self._heading(node, value, parent, siblings, line)
                elif kind in _CONTAINERS:
                    if depth > deepest:
                        deepest, deepest_line = depth, line
                    opens, closes = _CONTAINER_EVENTS[kind]
                    append(Block(opens, line))
                    inner = node.children
                    if len(inner) == 1 and type((only := inner[0]).node_value) is _PARAGRAPH:
                        # a tight item's one paragraph (most items): read here, with no frame
                        only.parent = None
                        at = only.sourcepos.start.line - 1
                        if depth + 1 >= deepest:
                            deepest, deepest_line = depth + 2, at
                        inner = only.children
                        if len(inner) == 1 and type(text := inner[0].node_value) is _TEXT:
                            # its one run of text (most items), as the paragraph case above
                            inner[0].parent = None
                            text = text.value
                            shown(text)
                            plain = one_line(text)
                            append(Block("paragraph", at, Inline(plain, plain, "", ((at, text, False),))))
                        else:
                            append(Block("paragraph", at, inline(inner, at)))
                        append(Block(closes, line))
                        continue
                    frames.append((iter(inner), node, inner, depth + 1, Block(closes, line)))
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

    def _heading(self, node, value, parent, siblings, line) -> None:
        heading = value.value
        children = node.children
        first = len(self.text)
        inline = self._inline(children, line, slugged=True)
        block = Block("heading", line, inline, level=heading.level)
        at = len(self.blocks)
        self.blocks.append(block)
        anchor = unique(anchor_slug(inline.slug), self.slugs)
        self.headings.append(HeadingNode(block, node, children, heading, siblings, parent, anchor,
                                         at, (first, len(self.text))))

    def _inline(self, children, line: int, *, slugged: bool = False) -> Inline:
        """Text of an inline tree, iteratively; raw HTML is defused in the AST on the way.
        `plain` collects what a reader sees; words and slug are `plain` less some of its
        pieces (raw HTML's visible words; those and line breaks), taken apart only when
        needed, since most inlines have neither and only headings need a slug."""
        if len(children) == 1:      # most often one run of text: what the loop below makes of it
            node = children[0]
            value = node.node_value
            if type(value) is _TEXT:
                node.parent = None
                text = value.value
                self.text.append(text)
                shown = _one_line(text)
                return Inline(shown, shown, text if slugged else "", ((line, text, False),))
        plain: list[str] = []
        runs = []
        hidden: list[int] = []      # indexes in plain of raw HTML's visible words
        breaks: list[int] = []      # indexes in plain of line breaks
        start = -1                  # where in plain the text run being read starts
        text_line = line
        stack = children[::-1]
        pop = stack.pop
        piece = self.text.append
        while stack:
            node = pop()
            if node is None:          # the end of a link: its visible text is complete
                index, begin = pop(), pop()
                self.links[index] = (self.links[index][0], "".join(plain[begin:]))
                continue
            node.parent = None
            value = node.node_value
            kind = type(value)
            if kind is _TEXT:
                if start < 0:
                    start, text_line = len(plain), line
                text = value.value
                plain.append(text)
                piece(text)
                continue
            if start >= 0:
                runs.append((text_line, "".join(plain[start:]), False))
                start = -1
            if kind is _SOFT_BREAK or kind is _LINE_BREAK:
                breaks.append(len(plain))
                plain.append(" ")
                line += 1
            elif kind is _CODE:
                text = value.value.literal
                plain.append(text)
                piece(text)
            elif kind is _HTML_INLINE:
                self.inline_html = True
                raw = value.value
                runs.append((line, raw, True))
                hidden.append(len(plain))
                plain.append(visible_html(raw))
                line += raw.count("\n")
                defused = defuse(raw)
                if not self.raw_html and not defused.isspace():
                    self.raw_html = bool(defused)
                if defused != raw:
                    node.node_value = comrak.HtmlInline(defused)
            elif kind is _IMAGE:
                # Its alt text is no part of the line's text (as markdown-it had it).
                _unlink(node.children)
            else:
                if kind is _LINK:
                    self.links.append((href(value.value.url), ""))
                    # popped after its children: the end marker, the link, where its text starts
                    stack.extend((len(plain), len(self.links) - 1, None))
                stack.extend(node.children[::-1])
        if start >= 0:
            runs.append((text_line, "".join(plain[start:]), False))
        shown = _one_line("".join(plain))
        words = shown if not hidden else _one_line(_without(plain, hidden))
        slug = _without(plain, hidden + breaks) if slugged else ""
        return Inline(shown, words, slug, tuple(runs))


def _one_line(text: str) -> str:
    """The text on one line, each run of whitespace one space: `" ".join(text.split())`. Most
    texts are that already (a text node holds no line break), and a printable text has no
    whitespace but ' ' (every other character str.split splits on is a control or separator,
    which str.isprintable refuses), so such a text without a double, leading or trailing space
    is its own answer, with no list of its words made and joined again."""
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


def _without(pieces: list[str], indexes: list[int]) -> str:
    if not indexes:
        return "".join(pieces)
    left_out = set(indexes)
    return "".join(piece for at, piece in enumerate(pieces) if at not in left_out)


def _unlink(nodes) -> None:
    """Drop the parent links of a subtree the walk does not read (an image's alt text)."""
    stack = list(nodes)
    while stack:
        node = stack.pop()
        node.parent = None
        stack.extend(node.children)


# --- raw HTML and ids ----------------------------------------------------------------------------

def href(url: str) -> str:
    """A link's destination as comrak writes it into the page (its escape_href): what the
    page header's resources must match."""
    if _HREF_AS_IS.fullmatch(url):   # what quote() hands back unchanged, without encoding it
        return url
    return urllib.parse.quote(url, safe=_HREF_SAFE)


_HREF_SAFE = "-_.+!*(),%#@?=;:/$~&'"
# quote() leaves ASCII letters and digits, "_.-~" and `safe` as they are.
_HREF_AS_IS = re.compile(r"[A-Za-z0-9_.~" + re.escape(_HREF_SAFE) + r"]*")
_NOT_SLUG = re.compile(r"[^\w\- ]", re.UNICODE)
_DASHES = re.compile(r"-{2,}")


def anchor_slug(text: str) -> str:
    """A heading's id before it is made unique. Headings recur from meeting to meeting
    ("Agenda", "Action items": 1,417 distinct texts in the 14,647 headings of the 1,000 bench
    meetings), so each short text's slug is kept (a pure function of the text; the memo is
    bounded and emptied when full)."""
    slug = _SLUGS.get(text)
    if slug is None:
        slug = _NOT_SLUG.sub("", text.strip().lower()).replace(" ", "-")
        slug = _DASHES.sub("-", slug).strip("-")[:64] or "section"
        if slug in RESERVED_IDS:
            slug = f"{slug}-section"
        if len(text) <= _SLUG_MEMO_TEXT:
            if len(_SLUGS) >= _SLUG_MEMO_SIZE:
                _SLUGS.clear()
            _SLUGS[text] = slug
    return slug


_SLUGS: dict[str, str] = {}
_SLUG_MEMO_SIZE, _SLUG_MEMO_TEXT = 4096, 256


def forget() -> None:
    """Empty the memo of heading slugs (a process that has parsed its meetings; decision 72)."""
    _SLUGS.clear()


def unique(slug: str, taken: set[str]) -> str:
    found, number = slug, 1
    while found in taken:
        found = f"{slug}-{number}"
        number += 1
    taken.add(found)
    return found


def defuse(fragment: str) -> str:
    """Raw HTML as the page may hold it (before nh3): comments gone, tag-like words as text."""
    if "<" not in fragment:
        return fragment
    return TAG.sub(_escape_word, COMMENT.sub("", fragment))


def _escape_word(match: re.Match) -> str:
    return html.escape(match.group(0)) if is_tag_like_word(match) else match.group(0)


def is_tag_like_word(match: re.Match) -> bool:
    """Not an HTML element name, or a single capital letter: `impl<A>`, `Foo<I>` and `<U>`
    are type parameters in prose, not unclosed <a>, <i> and <u> elements."""
    name = match.group(2)
    return name.lower() not in _HTML_ELEMENTS or (len(name) == 1 and name.isupper())


def visible_html(content: str) -> str:
    """What a reader sees of a raw HTML fragment: tag-like words, not tags or comments."""
    return TAG.sub(lambda m: m.group(0) if is_tag_like_word(m) else "", COMMENT.sub("", content))


def tag_like_words(parsed: Parsed) -> list[tuple[int, str]]:
    """(0-based body line, word) of each tag-like word (`Vec<T>`, `<name>`) that rendering
    escapes to visible text: the browser would have swallowed it, the scribe may want code."""
    if not parsed.html_blocks and not parsed.inline_html:
        return []   # no raw HTML anywhere (most documents): nothing to look through
    found = []
    for block in parsed.blocks:
        if block.type == "html_block":
            # Comments become their line breaks, so the line count stays right.
            content = COMMENT.sub(lambda m: "\n" * m.group().count("\n"), block.content)
            for match in TAG.finditer(content):
                if is_tag_like_word(match):
                    found.append((block.line + content.count("\n", 0, match.start()), match.group(0)))
        elif block.inline is not None:
            for line, content, is_html in block.inline.runs:
                if is_html:
                    found += [(line, m.group(0)) for m in TAG.finditer(COMMENT.sub("", content))
                              if is_tag_like_word(m)]
    return found
