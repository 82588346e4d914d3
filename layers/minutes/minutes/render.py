"""Markdown -> safe HTML fragment: comrak's AST (markdown.py, parsed once) then nh3.

Raw HTML is allowed in, but never passed through unsanitised: known tags go through nh3's
allowlist, and a tag-like word in prose (`Vec<T>`, `<name>`) is escaped so it stays visible
instead of being swallowed by the browser or the sanitiser.
"""
from __future__ import annotations

import html as html_entities
import re
from collections.abc import Callable
from dataclasses import dataclass

import comrak
import nh3

from . import ast_text, comrak_html, interrupts, markdown
from .links import START_TAG
from .lazy_re import lazy
from .markdown import MAX_NESTING, Parsed, tag_like_words  # noqa: F401  (the engine's surface)
from .model import Heading

_ALLOWED_TAGS = (set(nh3.ALLOWED_TAGS) - {"center", "map", "area", "header", "footer", "nav"}) | {"input"}
_ATTRIBUTES = {
    "a": {"href", "title", "class", "id"}, "img": {"src", "alt", "title", "width", "height"},
    "code": {"class"}, "pre": {"class"}, "ol": {"start", "class"}, "ul": {"class"}, "li": {"class"},
    "input": {"type", "checked", "disabled", "class"}, "details": {"open"},
    "th": {"style", "colspan", "rowspan", "scope"}, "td": {"style", "colspan", "rowspan"},
    "abbr": {"title"}, "time": {"datetime"}, "del": {"datetime"}, "ins": {"datetime"},
    **{f"h{n}": {"id"} for n in range(1, 7)},
}
_IMG_NO_ALT = re.compile(r"<img((?:(?! alt=)[^>])*?)(?=\s*/?>)")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_URL_SCHEMES = frozenset({"http", "https", "mailto"})
_TASK_CLASS = "task-list-item-checkbox"
_INPUT = re.compile(r"<input\b[^>]*>")
_TASK_BOX = lazy(r'\btype="checkbox"')
# A table cell's alignment, the only style nh3 keeps (on th/td). The site's Content-Security-
# Policy allows no inline style, so it becomes a class the stylesheets define. nh3 output is
# canonical: a '<t' inside a tag only opens a cell, and attribute values hold no '"'.
_CELL_STYLE = re.compile(r'(<t[hd]\b[^>]*?) style="([^"]*)"')
_ALIGNMENTS = ("left", "right", "center")
# comrak writes a GFM table column's alignment as the old `align` attribute: made the style
# above first, so one rule turns both into the class.
_CELL_ALIGN = lazy(r'<(t[hd]) align="(left|right|center)">')


@dataclass(frozen=True)
class Rendered:
    html: str
    headings: tuple[Heading, ...]
    summary: str
    missing_links: tuple[str, ...]   # relative links to files that were not uploaded
    # (href as written in `html`, visible text) of every Markdown link, in text order: what
    # the page header's resources come from, without parsing `html` again.
    links: tuple[tuple[str, str], ...] = ()
    # The body as mail's text part (ast_text.py: blocks, links and images between plaintext's
    # markers), made only on request; None when not asked for or not certain.
    text: tuple[str, ...] | None = None
    # The text `html` shows, its pieces joined by spaces where `html` has tags (shown_text):
    # what the search words are found in without reading `html` back; None when unsure.
    search_text: str | None = None


def parse_markdown(text: str) -> Parsed:
    """The body parsed once (markdown.parse): what the checks read and render_markdown renders."""
    return markdown.parse(text)


def render_markdown(text: str, *, drop_first_h1: bool = False, top_level: int = 2,
                    resolve_link: Callable[[str], str | None] | None = None,
                    parsed: Parsed | None = None, html: bool = True, mail_text: bool = False) -> Rendered:
    """Render a Markdown body. `resolve_link` maps a relative link to a site path (or None).

    `parsed` is the body already parsed (document.py parses every body once to check it):
    the same AST is rendered, never parsed again. It is left as it was found.
    `html=False` (a verdict, `minutes check`): the same headings and missing links, but no
    HTML ("") nor links. The missing links come from the sanitiser's attribute filter: a page
    that can hold no relative href or src is not formatted at all, and the sanitiser runs only
    when the formatted page could hold one.
    `mail_text=True` (publish: the record mails): also the body's text form, from the same AST.
    """
    parsed = markdown.parse(text) if parsed is None else parsed
    shown = parsed.headings
    dropped = next((h for h in shown if h.block.level == 1), None) if drop_first_h1 else None
    if dropped is not None:
        shown = [h for h in shown if h is not dropped]
    shift = top_level - min((h.block.level for h in shown), default=top_level)
    if not html and _only_absolute_links(parsed, text):
        # Nothing can be missing: the headings are all a verdict needs, and nothing is formatted.
        return Rendered("", tuple(Heading(_level(h, shift, top_level), h.anchor, h.block.inline.plain)
                                  for h in shown), summary_of(parsed), ())
    if parsed.html_blocks or parsed.inline_html or (dropped is not None and dropped.parent is not parsed.root):
        raw, headings = _formatted(parsed, shown, dropped, shift, top_level)
    else:
        raw, headings = _with_headings(parsed, dropped, shift, top_level)
    if ' align="' in raw:   # only a table's cells can hold one: most pages have none
        raw = _CELL_ALIGN.sub(r'<\1 style="text-align: \2">', raw)
    missing: list[str] = []
    comrak_only = not parsed.raw_html
    if not html:
        if may_link_relative(raw):
            sanitize(raw, resolve_link=resolve_link, missing=missing, comrak_only=comrak_only)
        return Rendered("", tuple(headings), summary_of(parsed), tuple(dict.fromkeys(missing)))
    clean = sanitize(raw, resolve_link=resolve_link, missing=missing, comrak_only=comrak_only)
    return Rendered(clean, tuple(headings), summary_of(parsed), tuple(dict.fromkeys(missing)),
                    _links(parsed.links, resolve_link),
                    _text_form(parsed, clean, shown, shift, top_level, resolve_link) if mail_text else None,
                    shown_text(parsed, dropped))


def _formatted(parsed: Parsed, shown, dropped, shift: int, top_level: int):
    """comrak's HTML of the tree, each shown heading set at its level, with its id (a marker
    _with_ids makes the attribute) and its '#' link, the dropped H1 left out; the tree is put
    back as it was."""
    headings = []
    try:
        for heading in shown:
            level = _level(heading, shift, top_level)
            node, anchor = heading.node, heading.anchor
            node.node_value = comrak.Heading(comrak.NodeHeading(level, heading.value.setext,
                                                                heading.value.closed))
            node.children = [_html(f"{markdown.ID_OPEN}{anchor}{markdown.ID_CLOSE}"),
                             *heading.children,
                             _html(f' <a class="header-anchor" href="#{anchor}">#</a>')]
            headings.append(Heading(level, anchor, heading.block.inline.plain))
        if dropped is not None:
            dropped.parent.children = [c for c in dropped.parent_children if c is not dropped.node]
        raw = comrak.format_html(parsed.root, markdown.EXTENSIONS, None, markdown.RENDER)
    finally:
        for heading in parsed.headings:   # as parsed: the same AST may be rendered again
            heading.node.node_value = comrak.Heading(heading.value)
            heading.node.children = heading.children
        if dropped is not None:
            dropped.parent.children = dropped.parent_children
    return _with_ids(raw), headings


def _with_headings(parsed: Parsed, dropped, shift: int, top_level: int):
    """What _formatted makes, written on comrak's HTML of the tree as parsed (decision 68:
    setting each heading in the tree and back cost as much as formatting the page). The body
    holds no raw HTML, so each `<hN>` of the page is a heading's, in the order of
    parsed.headings, and its text holds no `</hN>`; the dropped H1 is the document's own
    child, and comrak ends every block there with a line break, so leaving it out of the tree
    leaves its `<h1>` to its line break out of the page. (An id marker in the text, from an
    entity, is left as it is both ways: _with_ids reads only one right after a heading's tag,
    where _formatted puts its own.)"""
    page = comrak.format_html(parsed.root, markdown.EXTENSIONS, None, markdown.RENDER)
    out, done, headings = [], 0, []
    for heading in parsed.headings:
        written = heading.block.level
        start = page.index(f"<h{written}>", done)
        end = page.index(f"</h{written}>", start)
        if heading is dropped:
            out.append(page[done:start])
            done = end + len("</hN>\n")
            continue
        level, anchor = _level(heading, shift, top_level), heading.anchor
        out += (page[done:start], f'<h{level} id="{anchor}">', page[start + len("<hN>"):end],
                f' <a class="header-anchor" href="#{anchor}">#</a></h{level}>')
        done = end + len("</hN>")
        headings.append(Heading(level, anchor, heading.block.inline.plain))
    out.append(page[done:])
    return "".join(out), headings


def shown_text(parsed: Parsed, dropped=None) -> str | None:
    """The words of the page render_markdown makes of `parsed` (less the `dropped` heading),
    as text: its text nodes, inline code and code blocks (markdown.Parsed.text) joined by
    spaces. Between any two the page has a tag or a line break, and a tag is a word boundary
    to search.terms, as a space is here; the page's text is theirs, escaped, and the tags the
    sanitiser keeps or drops hold no text (an image's alt is an attribute). So the words are
    those of the page (tests/unit/test_search_words.py proves it on the corpus, the hostile
    inputs and random Markdown). None when the page holds raw HTML: what the sanitiser makes
    of it only the page tells (decision 48), nor when a heading id marker is in the text
    (an entity such as `&#2;` can put one there, and _with_ids reads them)."""
    if parsed.inline_html or parsed.html_blocks:
        return None
    pieces = parsed.text
    if dropped is not None:
        start, end = dropped.pieces
        pieces = pieces[:start] + pieces[end:]
    text = " ".join(pieces)
    if markdown.ID_OPEN in text or markdown.ID_CLOSE in text:
        return None
    return text


def _text_form(parsed: Parsed, clean: str, shown, shift: int, top_level: int,
               resolve_link) -> tuple[str, ...] | None:
    """The body's text blocks (ast_text.py), when the page agrees with them: every link and
    image target and alt text they name is the one the sanitised page holds, in order (the
    sanitiser may drop or keep a URL the AST alone cannot tell; then mail reads the HTML)."""
    levels = dict.fromkeys((id(h.node) for h in parsed.headings), 0)
    levels.update((id(h.node), _level(h, shift, top_level)) for h in shown)
    found = ast_text.text_blocks(parsed.root, levels=levels,
                                 target=lambda url: _target(url, resolve_link))
    if found is None or found[1] != _page_attributes(clean):
        return None
    return tuple(found[0])


def _target(url: str, resolve_link) -> str | None:
    """A link's or image's URL as sanitize() writes it: relative ones resolved, None for a
    scheme it drops."""
    value = markdown.href(url)
    scheme = _SCHEME.match(value)
    if scheme:
        return value if scheme.group(0)[:-1].lower() in _URL_SCHEMES else None
    if not value.startswith(("#", "/")) and resolve_link:
        return resolve_link(value) or value
    return value


_TEXT_ATTRIBUTE = lazy(r'\s(href|src|alt)="([^"]*)"')


def _page_attributes(clean: str) -> list[tuple[str, str]]:
    """(name, value) of each href, src and alt in the sanitised page's tags, in order; an
    empty URL and an in-page anchor (the headings' own '#' links among them) left out."""
    found = []
    for tag in START_TAG.finditer(clean):
        for name, value in _TEXT_ATTRIBUTE.findall(tag.group(0)):
            value = html_entities.unescape(value)
            if name == "alt" or (value and not value.startswith("#")):
                found.append((name, value))
    return found


def _level(heading, shift: int, top_level: int) -> int:
    """A heading's level on the page: shifted so the highest is top_level, at most 6."""
    return max(top_level, min(heading.block.level + shift, 6))


def _only_absolute_links(parsed: Parsed, text: str) -> bool:
    """Whether the page can hold no relative href or src: no raw HTML (comrak escapes every
    text, so its own tags are the only ones), no image ('![' always starts one; the ID
    markers, removed before parsing, could join one), and every link absolute."""
    return not (parsed.raw_html or "![" in text or markdown.ID_OPEN in text
                or markdown.ID_CLOSE in text) and all(
        _SCHEME.match(href) or href.startswith(("#", "/")) for href, _ in parsed.links)


def _with_ids(raw: str) -> str:
    """comrak's HTML with each heading's id marker (`<hN>`, ID_OPEN, the anchor, ID_CLOSE: the
    raw inline node render_markdown puts first in the heading) made its id attribute; what
    `<h([1-6])>ID_OPEN([^ID_CLOSE<]*)ID_CLOSE` replaced by `<h\\1 id="\\2">` gives, found with
    str.find (a marker character is rare: the body holds none, though an entity such as
    `&#2;` can put one in text) instead of a pattern whose template is expanded per heading."""
    opening = raw.find(markdown.ID_OPEN)
    if opening < 0:
        return raw
    out, done = [], 0
    while opening >= 0:
        closing = raw.find(markdown.ID_CLOSE, opening)
        if (closing >= 0 and opening >= 4 and raw.startswith("<h", opening - 4)
                and raw[opening - 2] in "123456" and raw[opening - 1] == ">"
                and "<" not in raw[opening + 1:closing]):
            out += (raw[done:opening - 1], ' id="', raw[opening + 1:closing], '">')
            done = closing + 1
            opening = raw.find(markdown.ID_OPEN, done)
        else:
            opening = raw.find(markdown.ID_OPEN, opening + 1)
    out.append(raw[done:])
    return "".join(out)


def _html(fragment: str) -> object:
    return comrak.AstNode(comrak.HtmlInline(fragment), _NOWHERE, None, [])


_NOWHERE = comrak.Sourcepos(comrak.LineColumn(1, 1), comrak.LineColumn(1, 1))   # formatting ignores it


def _links(links: list[tuple[str, str]], resolve_link) -> tuple[tuple[str, str], ...]:
    """(href, text) of each link, the href as sanitize() writes it: relative ones resolved,
    and none whose scheme the sanitiser drops. Links written as raw HTML are not included."""
    found = []
    for href, text in links:
        if not href:
            continue
        scheme = _SCHEME.match(href)
        if scheme and scheme.group(0)[:-1].lower() not in _URL_SCHEMES:
            continue
        if not scheme and not href.startswith(("#", "/")) and resolve_link:
            href = resolve_link(href) or href
        found.append((href, text))
    return tuple(found)


# Every href or src attribute nh3 hands sanitize's filter is written in the HTML as that word
# (any ASCII case), then HTML whitespace, '=', whitespace and the value, maybe quoted. When each
# occurrence of the two words starts such an attribute with a value that is absolute (a scheme,
# '#' or '/': the filter leaves those alone), nothing can be missing. Anything else (a word in
# prose, `srcset`, an entity, a bare `<img src>`) counts as maybe relative: nh3 decides.
# On UTF-8 bytes: bytes.lower() folds ASCII only, as the HTML parser does (str.lower() would
# make a Kelvin sign a 'k'), and literal prefixes let the regex engine skip ahead (10x faster).
_VALUE = rb"""[\t\n\f\r ]*=[\t\n\f\r ]*["']?(?:[a-z][a-z0-9+.-]*:|[#/])"""
_ABSOLUTE_HREF, _ABSOLUTE_SRC = lazy(rb"href" + _VALUE), lazy(rb"src" + _VALUE)


def may_link_relative(raw: str) -> bool:
    """Whether sanitize(raw) could report a missing link. The two words cannot overlap, and
    each absolute match starts at one of them: equal counts mean every one is absolute."""
    folded = raw.encode("utf-8", "surrogatepass").lower()
    words = folded.count(b"href") + folded.count(b"src")
    return words != 0 and words != (len(_ABSOLUTE_HREF.findall(folded))
                                    + len(_ABSOLUTE_SRC.findall(folded)))


def sanitize(raw: str, *, resolve_link=None, missing: list[str] | None = None,
             comrak_only: bool = False) -> str:
    """`raw` made safe by nh3 (allowlisted tags and attributes, relative URLs resolved and
    the unresolved ones added to `missing`). `comrak_only`: `raw` is comrak's HTML of a body
    without raw HTML, so comrak_html may write nh3's output without parsing (it hands back
    None, and nh3 runs, on anything it is not sure of)."""
    clean = None
    if comrak_only:
        found: list[str] = []
        clean = comrak_html.clean(raw, _attribute_filter(resolve_link, found))
        if clean is not None and missing is not None:
            missing += found
        if clean is not None:
            # Its only <input> tags are the task list's disabled checkboxes and every <img> has
            # its alt (comrak_html's shapes): of the three rewrites below only the cells' is left.
            return _CELL_STYLE.sub(_alignment_class, clean)
    if clean is None:
        failed: list[Exception] = []
        clean = nh3.clean(raw, tags=_ALLOWED_TAGS, attributes=_ATTRIBUTES,
                          clean_content_tags={"script", "style", "textarea", "title", "noscript",
                                              "xmp", "plaintext", "template"},
                          attribute_filter=_attribute_filter(resolve_link, missing, failed),
                          url_schemes=_URL_SCHEMES, filter_style_properties={"text-align"},
                          link_rel="noopener")
        # nh3 swallows what the filter raises (it prints it and keeps the value): raised
        # again here, not lost with a link left unresolved; a Ctrl-C too (interrupts.py).
        interrupts.raise_if_swallowed()
        if failed:
            raise failed[0]
    # Only the task list's disabled checkboxes may stay: a raw <input> is a text box a page
    # could use to phish. nh3 output is canonical and input attributes hold no '>', so a
    # pattern is exact here.
    clean = _INPUT.sub(lambda m: m.group(0) if _TASK_BOX.search(m.group(0))
                       and 'disabled=""' in m.group(0) else "", clean)
    clean = _CELL_STYLE.sub(_alignment_class, clean)
    # An image without alt text is unreadable to a screen reader; say it is decorative.
    return _IMG_NO_ALT.sub(r'<img\1 alt=""', clean)


def _attribute_filter(resolve_link, missing: list[str] | None, failed: list | None = None):
    """render's filter of nh3 (and comrak_html). `failed`: where an exception is put for the
    caller to raise, where the filter is called from nh3, which would swallow it."""
    def attribute_filter(tag: str, attr: str, value: str) -> str | None:
        try:
            if tag == "input":
                return {"type": "checkbox" if value == "checkbox" else None, "disabled": "",
                        "checked": "", "class": value if value == _TASK_CLASS else None}.get(attr)
            if attr in ("href", "src") and not _SCHEME.match(value) and not value.startswith(("#", "/")):
                target = resolve_link(value) if resolve_link else None
                if target is None and missing is not None and not value.startswith("?"):
                    missing.append(value)
                return target or value
            return value
        except Exception as exc:
            if failed is None:
                raise
            failed.append(exc)
            return None
    return attribute_filter


def _alignment_class(match: re.Match) -> str:
    style = match.group(2).replace(" ", "").rstrip(";").lower()
    align = style.removeprefix("text-align:")
    if style.startswith("text-align:") and align in _ALIGNMENTS:
        return f'{match.group(1)} class="align-{align}"'
    return match.group(1)


def inline_text(parsed: Parsed, index: int = 0) -> str:
    """The visible text of the document's heading number `index` (a heading's words) on one
    line: tag-like words stay, since the page shows them; real tags and line breaks do not."""
    return parsed.headings[index].block.inline.plain


def summary_of(parsed: Parsed, *, limit: int = 240) -> str:
    """Plain text of the first real paragraph, cut at a word boundary."""
    for block in parsed.blocks:
        if block.type == "paragraph" and len(text := block.inline.plain) >= 20:
            return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"
    return ""
