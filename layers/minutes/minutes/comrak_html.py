"""comrak's own HTML written exactly as nh3.clean (render.sanitize) would write it, without
parsing it again: the fast path for a page that holds no raw HTML (nine pages in ten).

Safety does not rest on trusting comrak. `clean` accepts only HTML in which every tag has one
of the exact shapes comrak writes with our options (`_SIMPLE`, `_FIXED`, `_SHAPES`), every URL
is plainly relative or an http(s)/mailto URL with a plain host, and text holds no character
or entity that nh3 would write differently; on anything else it returns None and the page goes
through nh3 as before. tests/unit/test_comrak_html.py proves the output equal to nh3's, byte
for byte, on every corpus file, every hostile input and generated markup.

What nh3 changes in comrak's HTML, and so this does: `<br />` -> `<br>` (void elements lose the
slash), `&quot;` in text -> `"`, U+00A0 -> `&nbsp;`, `&#x27;` in a URL -> `'`, every link gets
rel="noopener", and relative URLs go through render's resolver (`attribute_filter`).
"""
from __future__ import annotations

import html
import re
from collections.abc import Callable

_SIMPLE_NAMES = ("p|em|strong|del|blockquote|ul|ol|li|pre|code|h[1-6]|table|thead|tbody|tr|th|td")
# Every tag that is not a plain open or close tag of comrak's, `</a>` or a heading with its id
# (what _SHAPES accepts as it is): these are looked at.
# (Captured: clean splits the page at them, the text between them kept as it is.)
_TAG = re.compile(rf'(<(?!(?:/?(?:{_SIMPLE_NAMES})|/a|h[1-6] id="[\w-]*")>)[^<>]*>)')
# Tags written the same by nh3, or with the void element's slash dropped.
_FIXED = {
    "<br />": "<br>", "<hr />": "<hr>",
    '<ul class="contains-task-list">': '<ul class="contains-task-list">',
    '<li class="task-list-item">': '<li class="task-list-item">',
    '<input type="checkbox" class="task-list-item-checkbox" disabled="" />':
        '<input type="checkbox" class="task-list-item-checkbox" disabled="">',
    '<input type="checkbox" class="task-list-item-checkbox" checked="" disabled="" />':
        '<input type="checkbox" class="task-list-item-checkbox" checked="" disabled="">',
    **{f'<{cell} style="text-align: {side}">': f'<{cell} style="text-align: {side}">'
       for cell in ("th", "td") for side in ("left", "right", "center")},
}
_VALUE = r'"([^"<>]*)"'
_SHAPES = re.compile(
    rf'<(?:(h[1-6]) id="[\w-]*"|ol start="\d{{1,9}}"|(code) class={_VALUE}'
    rf'|(a)(?: class="header-anchor")? href={_VALUE}(?: title={_VALUE})?'
    rf'|(img) src={_VALUE} alt={_VALUE}(?: title={_VALUE})? /)>')
# A URL as comrak writes it (escape_href: anything else is percent-encoded).
_URL_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*\Z")
# An absolute URL nh3 surely keeps: a plain host whose last label starts with a letter (a host
# ending in a number is read as an IPv4 address, and refused when it is not one), no punycode
# label, a port below 10,000 (nh3 refuses one over 65,535); or mailto.
_ABSOLUTE = re.compile(r"(?:https?://(?:(?!xn--)[a-z0-9-]+\.)*(?!xn--)[a-z][a-z0-9-]*"
                       r"(?::\d{1,4})?(?:[/?#]|\Z)|mailto:)", re.IGNORECASE)
_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:")
# Text nh3 would write differently: an entity other than comrak's (`_ENTITIES`), CR or NUL
# (html5ever rewrites them; it keeps every other control character), a stray '>' (then the
# counts of '<' and '>' differ).
_ENTITIES = ("&amp;", "&lt;", "&gt;", "&quot;", "&#x27;")
# An '&' that starts none of them (one pattern with a literal start: 5x cheaper than counting
# each entity).
_OTHER_AMPERSAND = re.compile("&(?!" + "|".join(re.escape(e[1:]) for e in _ENTITIES) + ")")
_QUOTE = "\x00"   # stands for an attribute's &quot; while text's become '"' (never in output)


# What each tag becomes when that depends on the tag alone (every tag but a link or image to a
# relative file, which the page's own filter resolves): the same links, anchors and code
# classes recur from page to page (a group's repositories, its usual headings), and a dict
# lookup is ~10x cheaper than working one out. Bounded: emptied when full, and only tags of
# at most _MEMO_TAG characters are kept (a page of long data: URLs must not pin megabytes),
# so it holds ~4 MiB at most, ~0.3 MiB on real minutes.
_SAME_ON_EVERY_PAGE: dict[str, str | None] = {}
_MEMO_SIZE = 4096
_MEMO_TAG = 512


def clean(raw: str, attribute_filter: Callable[[str, str, str], str | None]) -> str | None:
    """`raw` (comrak's HTML of a page without raw HTML) as nh3.clean writes it, or None when
    any part of it is outside the shapes known here. `attribute_filter` is render's (it
    resolves relative URLs and records missing ones), called as nh3 calls it for every URL but
    an in-page anchor (`#...`) or a root path (`/...`), which it keeps as they are."""
    if (raw.count("<") != raw.count(">") or "\r" in raw or _QUOTE in raw
            or _OTHER_AMPERSAND.search(raw)):
        return None
    # The page split at the tags to look at (the odd pieces), each replaced in this loop: a
    # pattern's sub() would call back into Python, with a match object, for each of them.
    pieces = _TAG.split(raw)
    get = _SAME_ON_EVERY_PAGE.get
    for at in range(1, len(pieces), 2):
        found = pieces[at]
        fixed = get(found, found)   # a tag itself is never an output stored for another
        if fixed is found:
            fixed = _tag(found, attribute_filter)
        if fixed is None:
            return None
        pieces[at] = fixed
    out = "".join(pieces)
    if "&#x27;" in out:
        return None
    return out.replace("&quot;", '"').replace(_QUOTE, "&quot;").replace("\xa0", "&nbsp;")


def _tag(found: str, attribute_filter) -> str | None:
    """One tag as nh3 writes it (with attribute quotes as _QUOTE), or None when unsure; kept
    in the memo when the page's filter had no say in it."""
    fixed = _FIXED.get(found)
    if fixed is not None:
        return fixed
    shape = _SHAPES.fullmatch(found)
    if shape is None:
        return _remember(found, None)
    heading, code, _, link, link_url, link_title, image, src, alt, image_title = shape.groups()
    if heading or (code is None and link is None and image is None):
        return _remember(found, found)
    if code:
        return _remember(found, found.replace("&quot;", _QUOTE))
    element, written = ("a", link_url) if link else ("img", src)
    url, relative = _url(element, written, attribute_filter)
    if url is None:
        out = None
    elif link:
        cls = ' class="header-anchor"' if found.startswith('<a class=') else ""
        title = "" if link_title is None else f' title="{link_title}"'
        out = f'<a{cls} href="{url}"{title} rel="noopener">'.replace("&quot;", _QUOTE)
    else:
        title = "" if image_title is None else f' title="{image_title}"'
        out = f'<img src="{url}" alt="{alt}"{title}>'.replace("&quot;", _QUOTE)
    return out if relative else _remember(found, out)


def _remember(found: str, out: str | None) -> str | None:
    if len(found) > _MEMO_TAG:
        return out
    if len(_SAME_ON_EVERY_PAGE) >= _MEMO_SIZE:
        _SAME_ON_EVERY_PAGE.clear()
    _SAME_ON_EVERY_PAGE[found] = out
    return out


def forget() -> None:
    """Empty the memo of tags (a process that has rendered its meetings; decision 72)."""
    _SAME_ON_EVERY_PAGE.clear()


def _url(element: str, written: str, attribute_filter) -> tuple[str | None, bool]:
    """The URL attribute as nh3 writes it, or None when unsure (then nh3 decides); and whether
    the page's filter decided it (a relative file: not the same on every page)."""
    if not _URL_CHARS.match(written):
        return None, False
    value = html.unescape(written) if "&" in written else written
    if _SCHEME.match(value):
        if not _ABSOLUTE.match(value):
            return None, False   # a scheme nh3 drops, or a host it may refuse: nh3 decides
        return written.replace("&#x27;", "'"), False
    if value.startswith(("#", "/")):
        return _escaped(value), False
    kept = attribute_filter(element, "src" if element == "img" else "href", value)
    if kept is None or _SCHEME.match(kept):
        return None, True
    return _escaped(kept), True


def _escaped(value: str) -> str:
    return html.escape(value, quote=False).replace('"', "&quot;").replace("\xa0", "&nbsp;")
