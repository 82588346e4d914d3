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
_TAG = re.compile(rf'<(?!(?:/?(?:{_SIMPLE_NAMES})|/a|h[1-6] id="[\w-]*")>)[^<>]*>')
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
    rf'|(img) src={_VALUE} alt={_VALUE}(?: title={_VALUE}) /)>')
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
_QUOTE = "\x00"   # stands for an attribute's &quot; while text's become '"' (never in output)


def clean(raw: str, attribute_filter: Callable[[str, str, str], str | None]) -> str | None:
    """`raw` (comrak's HTML of a page without raw HTML) as nh3.clean writes it, or None when
    any part of it is outside the shapes known here. `attribute_filter` is render's (it
    resolves relative URLs and records missing ones), called as nh3 calls it."""
    if (raw.count("<") != raw.count(">") or "\r" in raw or _QUOTE in raw
            or raw.count("&") != sum(raw.count(entity) for entity in _ENTITIES)):
        return None
    unsure = False

    def tag(match: re.Match) -> str:
        nonlocal unsure
        found = match.group()
        fixed = _FIXED.get(found)
        if fixed is not None:
            return fixed
        shape = _SHAPES.fullmatch(found)
        if shape is None:
            unsure = True
            return found
        heading, code, _, link, link_url, link_title, image, src, alt, image_title = shape.groups()
        if heading or (code is None and link is None and image is None):
            return found
        if code:
            return found.replace("&quot;", _QUOTE)
        if link:
            url = _url("a", link_url, attribute_filter)
            if url is None:
                unsure = True
                return found
            cls = ' class="header-anchor"' if found.startswith('<a class=') else ""
            title = "" if link_title is None else f' title="{link_title}"'
            return f'<a{cls} href="{url}"{title} rel="noopener">'.replace("&quot;", _QUOTE)
        url = _url("img", src, attribute_filter)
        if url is None:
            unsure = True
            return found
        title = "" if image_title is None else f' title="{image_title}"'
        return f'<img src="{url}" alt="{alt}"{title}>'.replace("&quot;", _QUOTE)

    out = _TAG.sub(tag, raw)
    if unsure or "&#x27;" in out:
        return None
    return out.replace("&quot;", '"').replace(_QUOTE, "&quot;").replace("\xa0", "&nbsp;")


def _url(element: str, written: str, attribute_filter) -> str | None:
    """The URL attribute as nh3 writes it, or None when unsure (then nh3 decides)."""
    if not _URL_CHARS.match(written):
        return None
    value = html.unescape(written) if "&" in written else written
    if _SCHEME.match(value):
        if not _ABSOLUTE.match(value):
            return None     # a scheme nh3 drops, or a host it may refuse: nh3 decides
        return written.replace("&#x27;", "'")
    kept = attribute_filter(element, "src" if element == "img" else "href", value)
    if kept is None or _SCHEME.match(kept):
        return None
    return html.escape(kept, quote=False).replace('"', "&quot;").replace("\xa0", "&nbsp;")
