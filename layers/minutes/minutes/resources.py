"""Slides, recordings and agendas linked from a meeting's text, for its page header (pure).

Minutes mention their slides ("[Slides](https://docs.google.com/presentation/...)"), the
recording (a YouTube or Zoom link) and the agenda document somewhere in the text; the page
lists them at the top so a reader finds them without reading the whole page.
"""
from __future__ import annotations

import re
import urllib.parse
from typing import Iterable

from .lazy_re import lazy
from .model import Resource

KINDS = ("slides", "recording", "agenda")   # in the order the page shows them
MAX_PER_KIND = 8

_RECORDING_URL = lazy(
    r"^https?://(?:[\w-]+\.)*(?:youtube\.com/(?:watch|live|embed|playlist)|youtu\.be/|vimeo\.com/\d"
    r"|(?:[\w-]+\.)?zoom\.us/rec/)", re.I)
_SLIDES_URL = lazy(
    r"^https?://(?:docs\.google\.com/presentation/|(?:www\.)?speakerdeck\.com/|(?:www\.)?slideshare\.net/)"
    r"|\.(?:pptx?|key|odp)(?:$|[?#])", re.I)
# A PDF may be a paper or a report: it counts as slides only when its name or text says so.
_SLIDES_WORDS = lazy(r"\b(?:slides?|slide deck|deck|presentation)\b", re.I)
_RECORDING_TEXT = lazy(r"\brecording\b", re.I)
_AGENDA = lazy(r"agenda", re.I)
_SPLIT_DROPS = lazy(r"[\t\r\n]")
_HOST_NAMES = {"youtube.com": "YouTube", "youtu.be": "YouTube", "vimeo.com": "Vimeo",
               "zoom.us": "Zoom", "docs.google.com": "Google Slides",
               "speakerdeck.com": "Speaker Deck", "slideshare.net": "SlideShare"}


def resources_of(links: Iterable[tuple[str, str]], *, exclude: Iterable[str] = ()) -> tuple[Resource, ...]:
    """The (href, text) links of a meeting's text -> its resources, in the order the page
    shows them (by kind, then text order), each URL once; `exclude` hrefs (the meeting's own
    attachments, already listed) and in-page anchors are left out."""
    found = _classified(links, exclude)
    return tuple(r for kind in KINDS for r in found.get(kind, ()))


def by_kind(resources: Iterable[Resource]) -> dict[str, list[Resource]]:
    found: dict[str, list[Resource]] = {}
    for resource in resources:
        found.setdefault(resource.kind, []).append(resource)
    return {kind: found[kind] for kind in KINDS if kind in found}


def find_resources(content_html: str, *, exclude: Iterable[str] = ()) -> dict[str, list[Resource]]:
    """The same from a fragment (a record stored before records carried their resources)."""
    return _classified(_links(content_html), exclude)


def _classified(links: Iterable[tuple[str, str]], exclude: Iterable[str]) -> dict[str, list[Resource]]:
    seen = set(exclude)
    found: dict[str, list[Resource]] = {kind: [] for kind in KINDS}
    for href, text in links:
        if href in seen or href.startswith("#"):
            continue
        kind = classify(href, text)
        if kind and len(found[kind]) < MAX_PER_KIND:
            seen.add(href)
            found[kind].append(Resource(kind, href, _label(href, text)))
    return {kind: items for kind, items in found.items() if items}


def classify(href: str, text: str) -> str | None:
    """What a link is, from its URL first and its text second (_by_patterns). For ASCII
    strings (most URLs and link texts) the same answer with fewer steps: there IGNORECASE
    matches ASCII case only, so a pattern can match only where its words are in the lower-
    cased string (each alternative holds one), and a plain word is found by a substring test
    (tests/unit/test_resources.py compares the two; outside ASCII, 'ſ' matches 's' and 'İ', 'ı'
    match 'i', so the patterns decide)."""
    if not (href.isascii() and text.isascii()):
        return _by_patterns(href, text)
    url, words = href.lower(), text.lower()
    if ("youtu" in url or "vimeo.com/" in url or "zoom.us/rec/" in url) and _RECORDING_URL.search(href):
        return "recording"
    if ((".ppt" in url or ".key" in url or ".odp" in url or "docs.google.com/presentation/" in url
         or "speakerdeck.com/" in url or "slideshare.net/" in url) and _SLIDES_URL.search(href)):
        return "slides"
    if "agenda" in words or (("agenda" in url or "\t" in href or "\r" in href or "\n" in href)
                             and _AGENDA.search(urllib.parse.urlsplit(href).path)):
        return "agenda"
    if "recording" in words and _RECORDING_TEXT.search(text):
        return "recording"
    if (("slide" in words or "deck" in words or "presentation" in words) and _SLIDES_WORDS.search(text)) or (
            ("slide" in url or "deck" in url or "presentation" in url) and _SLIDES_WORDS.search(href)
            and _is_pdf(href)):
        return "slides"
    return None


def _by_patterns(href: str, text: str) -> str | None:
    """classify() as its patterns define it."""
    if _RECORDING_URL.search(href):
        return "recording"
    if _SLIDES_URL.search(href):
        return "slides"
    # The path is a piece of the URL once urlsplit has dropped tabs and line breaks: a URL
    # without the word (and without those) cannot have it in its path, and is not split.
    if _AGENDA.search(text) or ((_AGENDA.search(href) or _SPLIT_DROPS.search(href))
                                and _AGENDA.search(urllib.parse.urlsplit(href).path)):
        return "agenda"
    if _RECORDING_TEXT.search(text):
        return "recording"
    if _SLIDES_WORDS.search(text) or (_SLIDES_WORDS.search(href) and _is_pdf(href)):
        return "slides"
    return None


def _is_pdf(href: str) -> bool:
    return urllib.parse.urlsplit(href).path.lower().endswith(".pdf")


def _label(href: str, text: str) -> str:
    """The link's own words, unless they are just the URL: then the service's name."""
    text = " ".join(text.split())
    if text and not re.match(r"^(?:https?://|www\.)", text, re.I):
        return text if len(text) <= 80 else text[:79] + "…"
    parts = urllib.parse.urlsplit(href)
    host = (parts.hostname or "").removeprefix("www.")
    for known, name in _HOST_NAMES.items():
        if host == known or host.endswith("." + known):
            return name
    name = urllib.parse.unquote(parts.path.rsplit("/", 1)[-1])
    return host or name or href


def _links(fragment: str) -> list[tuple[str, str]]:
    from .anchors import links_of   # html.parser: only for a record stored without its resources
    return links_of(fragment)
