"""Markdown -> safe HTML fragment: markdown-it-py (CommonMark + GFM bits) then nh3.

Raw HTML is allowed in, but never passed through unsanitised: known tags go through nh3's
allowlist, and a tag-like word in prose (`Vec<T>`, `<name>`) is escaped so it stays visible
instead of being swallowed by the browser or the sanitiser.
"""
from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from .model import Heading

MAX_NESTING = 40
RESERVED_IDS = frozenset({"main", "top", "toc", "content", "header", "footer", "nav", "subscribe"})
# Every element name a browser knows: these are real HTML (sanitised by nh3); any other
# tag-like word is prose and is escaped.
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
_ALLOWED_TAGS = (set(nh3.ALLOWED_TAGS) - {"center", "map", "area", "header", "footer", "nav"}) | {"input"}
_ATTRIBUTES = {
    "a": {"href", "title", "class", "id"}, "img": {"src", "alt", "title", "width", "height"},
    "code": {"class"}, "pre": {"class"}, "ol": {"start", "class"}, "ul": {"class"}, "li": {"class"},
    "input": {"type", "checked", "disabled", "class"}, "details": {"open"},
    "th": {"style", "colspan", "rowspan", "scope"}, "td": {"style", "colspan", "rowspan"},
    "abbr": {"title"}, "time": {"datetime"}, "del": {"datetime"}, "ins": {"datetime"},
    **{f"h{n}": {"id"} for n in range(1, 7)},
}
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s[^<>]*)?)(/?)>")
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_IMG_NO_ALT = re.compile(r"<img((?:(?! alt=)[^>])*?)(?=\s*/?>)")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_URL_SCHEMES = frozenset({"http", "https", "mailto"})
_TASK_CLASS = "task-list-item-checkbox"
_INPUT = re.compile(r"<input\b[^>]*>")
_TASK_BOX = re.compile(r'\btype="checkbox"')
# A table cell's alignment, the only style nh3 keeps (on th/td). The site's Content-Security-
# Policy allows no inline style, so it becomes a class the stylesheets define. nh3 output is
# canonical: a '<t' inside a tag only opens a cell, and attribute values hold no '"'.
_CELL_STYLE = re.compile(r'(<t[hd]\b[^>]*?) style="([^"]*)"')
_ALIGNMENTS = ("left", "right", "center")


@dataclass(frozen=True)
class Rendered:
    html: str
    headings: tuple[Heading, ...]
    summary: str
    missing_links: tuple[str, ...]   # relative links to files that were not uploaded
    # (href as written in `html`, visible text) of every Markdown link, in text order: what
    # the page header's resources come from, without parsing `html` again.
    links: tuple[tuple[str, str], ...] = ()


@functools.cache
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "linkify": True, "maxNesting": MAX_NESTING})
    md.enable(["table", "strikethrough", "linkify"])
    md.use(tasklists_plugin, enabled=False)
    md.use(anchors_plugin, min_level=1, max_level=6, slug_func=_anchor_slug,
           permalink=True, permalinkSymbol="#", permalinkBefore=False)
    return md


def _anchor_slug(text: str) -> str:
    slug = re.sub(r"[^\w\- ]", "", text.strip().lower(), flags=re.UNICODE).replace(" ", "-")
    slug = re.sub(r"-{2,}", "-", slug).strip("-")[:64] or "section"
    return f"{slug}-section" if slug in RESERVED_IDS else slug


def markdown_tokens(text: str) -> list[Token]:
    return _parser().parse(text)


def render_markdown(text: str, *, drop_first_h1: bool = False, top_level: int = 2,
                    resolve_link: Callable[[str], str | None] | None = None,
                    tokens: Sequence[Token] | None = None) -> Rendered:
    """Render a Markdown body. `resolve_link` maps a relative link to a site path (or None).

    `tokens` are the body's tokens when the caller already has them (document.py parses every
    body once to check it): parsing is most of the cost of a large file. They are not changed.
    """
    tokens = list(markdown_tokens(text) if tokens is None else tokens)
    if drop_first_h1:
        tokens = _without_first_h1(tokens)
    tokens = _demote_headings(tokens, top_level)
    tokens = _defuse_raw_html(tokens)
    headings = _headings(tokens)
    missing: list[str] = []
    raw = _parser().renderer.render(tokens, _parser().options, {})
    clean = sanitize(raw, resolve_link=resolve_link, missing=missing)
    return Rendered(clean, headings, summary_of(tokens), tuple(dict.fromkeys(missing)),
                    _links(tokens, resolve_link))


def _links(tokens: list[Token], resolve_link) -> tuple[tuple[str, str], ...]:
    """(href, text) of each link, the href as sanitize() writes it: relative ones resolved,
    and none whose scheme the sanitiser drops. Links written as raw HTML are not included."""
    found = []
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        open_links: list[list[str]] = []
        for child in token.children:
            if child.type == "link_open":
                open_links.append([str(child.attrs.get("href") or ""), ""])
            elif child.type == "link_close" and open_links:
                href, text = open_links.pop()
                if not href:
                    continue
                scheme = _SCHEME.match(href)
                if scheme and scheme.group(0)[:-1].lower() not in _URL_SCHEMES:
                    continue
                if not scheme and not href.startswith(("#", "/")) and resolve_link:
                    href = resolve_link(href) or href
                found.append((href, text))
            elif open_links:
                text = _plain(child)
                for item in open_links:
                    item[1] += text
    return tuple(found)


def sanitize(raw: str, *, resolve_link=None, missing: list[str] | None = None) -> str:
    def attribute_filter(tag: str, attr: str, value: str) -> str | None:
        if tag == "input":
            return {"type": "checkbox" if value == "checkbox" else None, "disabled": "",
                    "checked": "", "class": value if value == _TASK_CLASS else None}.get(attr)
        if attr in ("href", "src") and not _SCHEME.match(value) and not value.startswith(("#", "/")):
            target = resolve_link(value) if resolve_link else None
            if target is None and missing is not None and not value.startswith("?"):
                missing.append(value)
            return target or value
        return value

    clean = nh3.clean(raw, tags=_ALLOWED_TAGS, attributes=_ATTRIBUTES,
                     clean_content_tags={"script", "style", "textarea", "title", "noscript",
                                         "xmp", "plaintext", "template"},
                     attribute_filter=attribute_filter, url_schemes=_URL_SCHEMES,
                     filter_style_properties={"text-align"}, link_rel="noopener")
    # Only the task list's disabled checkboxes may stay: a raw <input> is a text box a page
    # could use to phish. nh3 output is canonical and input attributes hold no '>', so a
    # pattern is exact here.
    clean = _INPUT.sub(lambda m: m.group(0) if _TASK_BOX.search(m.group(0))
                       and 'disabled=""' in m.group(0) else "", clean)
    clean = _CELL_STYLE.sub(_alignment_class, clean)
    # An image without alt text is unreadable to a screen reader; say it is decorative.
    return _IMG_NO_ALT.sub(r'<img\1 alt=""', clean)


def _alignment_class(match: re.Match) -> str:
    style = match.group(2).replace(" ", "").rstrip(";").lower()
    align = style.removeprefix("text-align:")
    if style.startswith("text-align:") and align in _ALIGNMENTS:
        return f'{match.group(1)} class="align-{align}"'
    return match.group(1)


def _without_first_h1(tokens: list[Token]) -> list[Token]:
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h1":
            return tokens[:i] + tokens[i + 3:]
    return tokens


# The transforms below copy the tokens they change, never change them in place: the same
# tokens may be rendered again (a document shown twice, a re-render after a warning).

def _demote_headings(tokens: list[Token], top_level: int) -> list[Token]:
    """The page's h1 is the meeting title: the document's top heading level becomes h2
    (h3 for a document shown as a section under its own h2)."""
    levels = [int(t.tag[1]) for t in tokens if t.type == "heading_open"]
    shift = top_level - min(levels, default=top_level)
    out = []
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token = token.copy(tag=f"h{max(top_level, min(int(token.tag[1]) + shift, 6))}")
        out.append(token)
    return out


def _defuse_raw_html(tokens: list[Token]) -> list[Token]:
    out = []
    for token in tokens:
        if token.type == "html_block":
            token = token.copy(content=_defuse(token.content))
        elif token.type == "inline" and any(c.type == "html_inline" for c in token.children or []):
            token = token.copy(children=[
                c.copy(content=_defuse(c.content)) if c.type == "html_inline" else c
                for c in token.children])
        out.append(token)
    return out


def _defuse(fragment: str) -> str:
    return _escape_unknown_tags(_COMMENT.sub("", fragment))


def _escape_unknown_tags(fragment: str) -> str:
    def one(match: re.Match) -> str:
        return html.escape(match.group(0)) if _is_tag_like_word(match) else match.group(0)

    return _TAG.sub(one, fragment)


def _is_tag_like_word(match: re.Match) -> bool:
    """Not an HTML element name, or a single capital letter: `impl<A>`, `Foo<I>` and `<U>`
    are type parameters in prose, not unclosed <a>, <i> and <u> elements."""
    name = match.group(2)
    return name.lower() not in _HTML_ELEMENTS or (len(name) == 1 and name.isupper())


def tag_like_words(tokens: Sequence[Token]) -> list[tuple[int | None, str]]:
    """(0-based body line, word) of each tag-like word (`Vec<T>`, `<name>`) that rendering
    escapes to visible text: the browser would have swallowed it, the scribe may want code."""
    found = []
    for token in tokens:
        if token.type == "html_block":
            # Comments become their line breaks, so the line count stays right.
            content = _COMMENT.sub(lambda m: "\n" * m.group().count("\n"), token.content)
            for match in _TAG.finditer(content):
                if _is_tag_like_word(match):
                    line = token.map[0] + content.count("\n", 0, match.start()) if token.map else None
                    found.append((line, match.group(0)))
        elif token.type == "inline":
            breaks = 0
            for child in token.children or []:
                breaks += child.type in ("softbreak", "hardbreak")
                if child.type != "html_inline":
                    continue
                for match in _TAG.finditer(_COMMENT.sub("", child.content)):
                    if _is_tag_like_word(match):
                        found.append((token.map[0] + breaks if token.map else None, match.group(0)))
    return found


def inline_text(inline: Token) -> str:
    """The visible text of an inline token (a heading's words) on one line: tag-like words
    stay, since the page shows them; real tags, line breaks and the heading's '#' link do not."""
    parts = []
    for child in inline.children or []:
        if child.type == "link_open" and child.attrs.get("class") == "header-anchor":
            break
        parts.append(_plain(child))
    return " ".join("".join(parts).split())


def _visible_html(content: str) -> str:
    """What a reader sees of a raw HTML fragment, before or after _defuse_raw_html."""
    if content.startswith("&lt;"):
        return html.unescape(content)  # a tag-like word we kept as text
    return _TAG.sub(lambda m: m.group(0) if _is_tag_like_word(m) else "", _COMMENT.sub("", content))


def _headings(tokens: list[Token]) -> tuple[Heading, ...]:
    found = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.attrs.get("id"):
            found.append(Heading(int(token.tag[1]), str(token.attrs["id"]), inline_text(tokens[i + 1])))
    return tuple(found)


def summary_of(tokens: list[Token], *, limit: int = 240) -> str:
    """Plain text of the first real paragraph, cut at a word boundary."""
    for i, token in enumerate(tokens):
        if token.type == "paragraph_open" and i + 1 < len(tokens):
            text = " ".join("".join(_plain(c) for c in tokens[i + 1].children or []).split())
            if len(text) >= 20:
                return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"
    return ""


def _plain(child: Token) -> str:
    if child.type in ("text", "code_inline"):
        return child.content
    if child.type == "html_inline":
        return _visible_html(child.content)
    return " " if child.type in ("softbreak", "hardbreak") else ""


_HEADING_ANCHOR = re.compile(r' ?<a class="header-anchor" href="#[^"]*"[^>]*>#</a>')


def without_heading_anchors(fragment: str) -> str:
    """The page's '#' links beside headings mean nothing in a feed reader or a mail client."""
    return _HEADING_ANCHOR.sub("", fragment)
