"""The static search index, /search/index.json (pure, deterministic).

One entry per listed meeting: title, date, group, site path, summary, and the words of its
text. The words, not the text itself: each distinct word once, lower-cased, in the order it
first appears. That keeps the index to about a third of the text (a site of 300 meetings is
under a megabyte before compression) and is all that word and prefix matching need; the
summary is what a result shows. static/search.js loads it on the search page only.
"""
from __future__ import annotations

import html
import json
import re
from typing import Iterable

from .model import MeetingRecord, sort_newest_first

INDEX_PATH = "/search/index.json"
PAGE_PATH = "/search/"
MAX_WORD = 40
_TAG = re.compile(r'<[^>"]*(?:"[^"]*"[^>"]*)*>')   # attribute values may hold '>' 
_BLOCK_END = re.compile(r"</(?:p|li|h[1-6]|td|th|pre|blockquote|div|section)>|<br\s*/?>", re.I)
_WORD = re.compile(r"[^\W_]+(?:['’.+#-][^\W_]+)*")


def search_index(records: Iterable[MeetingRecord]) -> bytes:
    entries = [_entry(r) for r in sort_newest_first(r for r in records if r.listed)]
    return json.dumps({"version": 1, "meetings": entries}, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def _entry(record: MeetingRecord) -> dict:
    return {"title": record.title, "date": record.date.isoformat(), "group": record.group,
            "path": record.url_path, "status": record.status, "summary": record.summary,
            "words": " ".join(words(plain_text(record.content_html)))}


def plain_text(fragment: str) -> str:
    """The text of a sanitised fragment, blocks separated by spaces."""
    return " ".join(html.unescape(_TAG.sub(" ", _BLOCK_END.sub(" ", fragment))).split())


def words(text: str) -> list[str]:
    """Distinct lower-case words in order of first appearance ("don't", "v1.2", "k8s" kept whole)."""
    return [word for word in dict.fromkeys(_WORD.findall(text.lower())) if len(word) <= MAX_WORD]
