"""(href, text) of every <a href> in an HTML fragment, read with html.parser.

Its own module so that html.parser (and its ~15 patterns) is imported only where a fragment
must be parsed: a page of a record stored before records carried their resources
(resources.find_resources), not every process that imports resources.py.
"""
from __future__ import annotations

from html.parser import HTMLParser


def links_of(fragment: str) -> list[tuple[str, str]]:
    parser = _Anchors()
    parser.feed(fragment)
    parser.close()
    return parser.links


class _Anchors(HTMLParser):
    """(href, text) of every <a href> in a fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self._open: list[list[str]] = []   # [href, text] of the anchors being read

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            self._open.append([href or "", ""])

    def handle_endtag(self, tag) -> None:
        if tag == "a" and self._open:
            href, text = self._open.pop()
            if href:
                self.links.append((href, text))

    def handle_data(self, data) -> None:
        for item in self._open:
            item[1] += data
