"""What a meeting was about, in one line: the summary on archive cards, feed entries and email
preheaders.

Real minutes open with logistics (the date again, a call link and its passcode, who attended,
"Recording | Slides"); a reader scanning the archive wants the topics. In order of preference:
1. the agenda's items (a list under an "Agenda" heading or label; "Discussion topics:" and
   similar container items give their sub-items);
2. a paragraph of substance before the first topic heading (a design document's lead);
3. the topic headings: headings that carry discussion (not "Notes", "Attendees", "Q&A", not a
   heading that restates the date, not one left empty or holding only a link);
4. the first block of substance anywhere (a list of notes gives its first items).
Never links, dates, attendance, call details or passwords: those blocks are skipped and bare
addresses are cut out of whatever is kept. Rules are about shapes and words every community
uses, never about one community's files. Front matter `summary` wins over all of this
(meeting.py).
"""
from __future__ import annotations

import functools
import operator
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from .markdown import Parsed

LIMIT = 240

# An address starts where a word does (or after an '@'), and no part of it holds an '@': a
# pattern free to start anywhere (\S+@) rescans the rest of a long word from every character.
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"]+?(?=[).,;:!?\]]*(?:\s|$))"
                  r"|(?<![^\s@])[^\s@]+@[^\s@]+\.\w+", re.IGNORECASE)


def _without_addresses(text: str, replacement: str) -> str:
    """_URL.sub(replacement, text); the pattern is not run on a text that cannot hold an address
    (most blocks): one without '@' and '://', and ASCII without 'www.' in any case (outside
    ASCII, IGNORECASE matches more than str.lower() folds)."""
    if "@" not in text and "://" not in text and text.isascii() and "www." not in text.lower():
        return text
    return _URL.sub(replacement, text)


_REFERENCE = re.compile(r"\b[\w.-]+/[\w.-]+#\d+\b|(?<!\w)#\d+\b")   # rust-lang/rfcs#2442, #53
_WORD = re.compile(r"[^\W\d_][\w'’+-]*", re.UNICODE)
# A _WORD match less its trailing quotes and hyphens (what _words strips), when that leaves two
# characters or more: the longest run that ends with a word character or '+'.
_WORD_OF_TWO = re.compile(r"[^\W\d_][\w'’+-]*[\w+]")
# "Date: ...", "Time: ..." inside a short line: a pasted calendar invite.
_INLINE_LOGISTICS = re.compile(r"\b(?:date|time|start time|meeting id|passcode|password|"
                               r"location|where|when)\s*:", re.IGNORECASE)
_ADMONITION = re.compile(r"^:::\s*\w*\s*")
# A place to join a call, or its secret: never in a summary, whatever else the line says.
_CALL = re.compile(r"zoom|webex|meet\.google|teams\.(?:microsoft|live)|gotomeeting|bluejeans|"
                   r"jitsi|\bpwd=|passcode|password|\bpin\b|meeting id|dial[- ]?in|join (?:the|"
                   r"this|our) (?:call|meeting)|conference bridge", re.IGNORECASE)
# A piece of every _CALL match, lower case: a text free of all of them holds no match.
_CALL_PIECES = ("zoom", "webex", "meet.google", "teams.", "gotomeeting", "bluejeans", "jitsi",
                "pwd=", "pass", "pin", "meeting id", "dial", "join ", "conference bridge")


def _names_a_call(text: str) -> bool:
    """bool(_CALL.search(text)); the pattern (no literal to skip to under IGNORECASE: it tries
    every position) runs only on a text holding one of its pieces, or outside ASCII (where
    IGNORECASE matches more than str.lower() folds)."""
    if text.isascii():
        lowered = text.lower()
        if not any(piece in lowered for piece in _CALL_PIECES):
            return False
    return _CALL.search(text) is not None
# "Date: ...", "Attendees: ...", "Meeting roles: ...": a label naming logistics.
_LOGISTICS_LABEL = re.compile(
    r"^\W*(?:meeting\s+)?(?:date|dates|time|times|date/time|date\s*&\s*time|when|where|location|"
    r"venue|room|place|link|links|call|bridge|dial[- ]?in|passcode|password|meeting id|id|"
    r"attendees?|attendance|attending|present|absent|apologies|regrets|participants|people|"
    r"team|team members|others|guests|members|note[- ]?takers?|notes? by|minutes by|scribes?|"
    r"action item scribe|recording|recordings|video|slides|deck|host|hosts|chairs?|"
    r"facilitators?|moderators?|organi[sz]ers?|roles?|calendar|invite|rsvp|timezone|tz)"
    r"\s*(?:\([^)]*\))?\s*[:\-–—]", re.IGNORECASE)
_LABEL = re.compile(r"^\W*([^:]{1,40}):\s*(.*)$", re.DOTALL)
_TIMEBOX = re.compile(r"^\s*(?:\[\s*\d+\s*(?:min|mins|minutes|m|h)\s*\]|\(\s*\d+\s*(?:min|mins|"
                      r"minutes|m|h)\s*\)|\d+\s*(?:min|mins|minutes)\b\s*[-:–]?)\s*", re.IGNORECASE)
_ENUMERATOR = re.compile(r"^\s*(?:\d{1,2}[.)]+|[a-z][.)]|[•o·])\s+")
_CHECKBOX = re.compile(r"^\s*\[[ xX]\]\s*")

# Words that carry no topic: logistics, time, and the names of template sections.
_DATE_WORDS = frozenset("""
jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june july
august september october november december mon tue tues wed thu thur thurs fri sat sun monday
tuesday wednesday thursday friday saturday sunday am pm a.m p.m utc gmt pst pdt pt mst mdt mt cst
cdt ct est edt et cet cest bst ist jst kst aest aedt eet eest wet west hkt sgt pacific eastern
central mountain time times date dates today tomorrow yesterday st nd rd th
""".split())
_LOGISTIC_WORDS = frozenset("""
recording recordings recorded video videos youtube slides slide deck decks transcript chat
link links here available notes minutes doc docs document documents hackmd gdoc agenda meeting
meetings call calls zoom webex meet teams invite calendar attendance attendees attending present
participants see view watch click find found please can be is are was were the a an of and or
to in on at for from by with this that it its our your via below above will also previous last
next all details info information logistics access roles role host scribe note taker takers
page pages video-recording
""".split())
_GENERIC_WORDS = frozenset("""
agenda notes note minutes meeting meetings discussion discussions discussed topics topic items
item action actions review announcements announcement updates update status other others
business any aob misc miscellaneous q a qa q&a questions question answers next steps step summary
background overview introduction introductions intro welcome welcomes greetings greeting
housekeeping open floor round table roundtable new old previous last follow up followup
follow-up custom or and the of for from to this that week weekly monthly scheduled schedule
upcoming pending general details decisions decision resolutions resolution todo todos tbd not
current recap wrap wrap-up items: sync standup stand-up check-in checkin session community group
sig wg team working notes: links resources reminders reminder feedback comments comment issues
issue prs pr rfcs rfcs: misc. news highlights report reports demo demos
""".split())
_LOGISTIC_HEADINGS = frozenset("""
attendance attendees attending present participants people roles logistics access links
resources recording recordings video videos slides zoom call dial joining join info details
information apologies regrets absent
""".split())
_AGENDA = re.compile(r"^\W*(?:meeting\s+)?(?:agenda|topics|discussion topics|agenda items|"
                     r"topics for discussion|items)\b\W*$", re.IGNORECASE)
_AGENDA_WORD = re.compile(r"\bagenda\b", re.IGNORECASE)
# How an _AGENDA match starts, lower-cased, when its text starts with an ASCII word character
# (then _AGENDA's \W* is empty): MEeting, AGenda, TOpics, DIscussion, ITems. (Outside ASCII,
# IGNORECASE matches more than lower() folds: the dotless i, say.)
_AGENDA_HEADS = frozenset({"me", "ag", "to", "di", "it"})
_FOLLOW_UPS = re.compile(r"^\W*(?:action items?|next steps|follow[- ]?ups?|todos?)\b",
                         re.IGNORECASE)


@dataclass(slots=True)
class _Block:
    kind: str            # heading | para | item
    text: str            # visible text, one line
    level: int = 0       # heading level
    depth: int = 0       # list depth of an item (1 = top level)
    nested: bool = False  # an item with a list inside
    list_id: int = 0     # which list an item belongs to
    section: int = -1    # index of the heading block it is under (-1: none)


def summarize(parsed: Parsed, *, title: str = "", limit: int = LIMIT) -> str:
    """One line saying what the meeting was about, or "" when nothing in it says so."""
    blocks = _blocks(parsed)
    sections = _section_kinds(blocks, " ".join(title.split()).lower())
    for pick in (_agenda, _lead_paragraph, _topic_headings, _first_substance):
        parts = pick(blocks, sections, limit)
        if parts:
            return _join(parts, limit)
    return ""


class _Parts(list):
    """The parts a choice has picked, in order, knowing when they fill the line: when _join's
    text of them is already longer than `limit` and made of two parts or more, a later part
    only adds text after the cut (and stops no '.' from being stripped: each is stripped),
    so _join gives the same line without it, and the rest of the meeting need not be judged
    (a long meeting's topic headings fill the line after a few; bench minutes hold ~8)."""

    def __init__(self, limit: int):
        super().__init__()
        self._limit, self._seen, self._length = limit, set(), -2

    def full(self) -> bool:
        return len(self._seen) >= 2 and self._length > self._limit

    def add(self, part: str) -> bool:
        """Adds the part; whether the line is full now."""
        self.append(part)
        if part and part not in self._seen:
            self._seen.add(part)
            self._length += len(part.rstrip(".;:")) + 2   # '; ' before every part but the first
        return self.full()


def agenda_summary(parsed: Parsed, *, limit: int = LIMIT) -> str:
    """The items of an agenda document (AGENDA.md): every list item of substance."""
    blocks = _blocks(parsed)
    items = [b.text for b in blocks if b.kind == "item" and b.depth == 1 and _is_topic(b.text)]
    return _join([_clean(t) for t in items], limit) if items else ""


# --- the parsed body's blocks -> summary blocks ----------------------------------------------

_ENDS_AN_ITEM = frozenset({"item_close", "heading", "fence", "code_block", "html_block",
                          "table_open", "blockquote_open", "hr"})


def _blocks(parsed: Parsed) -> list[_Block]:
    blocks: list[_Block] = []
    append = blocks.append
    depth, lists, list_ids, section = 0, 0, [], -1
    pending_item = False
    for block in parsed.blocks:
        kind = block.type
        inline = block.inline
        # The common blocks first (half a million per 1,000 meetings), each as the general
        # path below would take it; _Block's fields given in order, not by name.
        if inline is not None and kind == "paragraph":
            text = inline.words
            if pending_item and list_ids:
                append(_Block("item", text, 0, depth, False, list_ids[-1], section))
                pending_item = False
            elif text:
                append(_Block("para", text, 0, depth, False, 0, section))
            continue
        if inline is None and kind == "item_close":
            pending_item = False
            continue
        if kind == "list_open":
            depth += 1
            lists += 1
            list_ids.append(lists)
            if blocks and blocks[-1].kind == "item" and blocks[-1].depth == depth - 1:
                blocks[-1].nested = True
        elif kind == "list_close":
            depth -= 1
            list_ids.pop()
        elif kind == "item_open":
            pending_item = True
        elif kind in _ENDS_AN_ITEM:
            pending_item = False   # an item that does not start with text has none of its own
        if inline is None:
            continue
        text = inline.words
        if kind == "heading":
            append(_Block("heading", text, block.level))
            section = len(blocks) - 1
        elif pending_item and list_ids:
            append(_Block("item", text, 0, depth, False, list_ids[-1], section))
            pending_item = False
        elif text:
            append(_Block("para", text, 0, depth, False, 0, section))
    return blocks


# --- what a block is -------------------------------------------------------------------------

@functools.lru_cache(maxsize=4096)
def _words(text: str) -> tuple[str, ...]:
    """The words of a block's start (enough to judge it; a long paragraph costs no more)."""
    text = text[:400]
    if "#" in text:   # each form of a reference holds one
        text = _REFERENCE.sub(" ", text)
    text = _without_addresses(text, " ")
    if text.isascii():   # (most blocks) lower-casing keeps every character's class: one pass
        return tuple(map(sys.intern, _WORD_OF_TWO.findall(text.lower())))
    found = [w.lower().strip("'’-") for w in _WORD.findall(text)]
    # Interned: the memo holds one string per distinct word, not one per word of each of its
    # 4,096 blocks (1,000 bench meetings: 54,000 words, 4,400 distinct; 2.9 -> 0.25 MiB).
    return tuple([sys.intern(w) for w in found if len(w) > 1])


def _content_words(text: str, *vocabularies: frozenset[str]) -> list[str]:
    skip = _skipping(vocabularies)
    return [w for w in _words(text) if w not in skip]


def forget() -> None:
    """Empty every memo of this module (block texts' words and traits: a process that has
    assembled its meetings; the space, ~4 MiB at 1,000 meetings, then serves its pages and
    feeds; decision 72)."""
    for value in list(globals().values()):
        if callable(getattr(value, "cache_clear", None)):
            value.cache_clear()


@functools.lru_cache(maxsize=16)
def _skipping(vocabularies: tuple[frozenset[str], ...]) -> frozenset[str]:
    return _DATE_WORDS.union(*vocabularies)


@functools.lru_cache(maxsize=4096)
def _is_logistics(text: str) -> bool:
    """Call details, a logistics label, links only, the date again, or nothing at all."""
    if _names_a_call(text[:400]) or _LOGISTICS_LABEL.match(text):
        return True
    if len(_words(text)) < 30 and _INLINE_LOGISTICS.search(text):
        return True
    return not _content_words(text, _LOGISTIC_WORDS)


@functools.lru_cache(maxsize=4096)
def _is_label_only(text: str) -> bool:
    """"Taking September off:", "Eric Kunze (ARM):", "Meeting proposal: rust-lang/lang-team#37":
    a label introducing what follows, or a label whose value is only a reference. (Memoized:
    texts recur; 1,000 bench meetings ask 5,810 times of 1,773 texts.)"""
    if text.rstrip().endswith(":"):
        return True
    match = _LABEL.match(text)
    return bool(match) and len(_content_words(match.group(2), _LOGISTIC_WORDS)) < 2


def _is_topic(text: str) -> bool:
    return not _is_logistics(text) and bool(_content_words(text, _GENERIC_WORDS, _LOGISTIC_WORDS))


def _is_substance(block: _Block, *, words: int) -> bool:
    if _is_logistics(block.text) or _is_label_only(block.text):
        return False
    return len(_content_words(block.text, _LOGISTIC_WORDS)) >= words


def _heading_kind(block: _Block, title: str) -> str:
    """logistics (skip its section) | generic (a container: Notes, Agenda) | title | topic.
    `title`: the meeting's, its words joined by one space, lower case."""
    logistics, dated, generic = _heading_traits(block.text)
    if logistics:
        return "logistics"
    if dated or " ".join(block.text.split()).lower() == title:
        return "title"   # the title, or a heading that mostly restates the date
    return "generic" if generic else "topic"


@functools.lru_cache(maxsize=4096)
def _heading_traits(text: str) -> tuple[bool, bool, bool]:
    """What a heading's own text says (meetings repeat their headings): it names logistics;
    it mostly restates a date; it is a generic container."""
    words = _words(text)
    logistics = bool(_names_a_call(text) or (words and set(words) & _LOGISTIC_HEADINGS and not
                     _content_words(text, _LOGISTIC_HEADINGS, _LOGISTIC_WORDS, _GENERIC_WORDS)))
    topical = _content_words(text, _GENERIC_WORDS, _LOGISTIC_WORDS)
    return logistics, bool(_DATE_LIKE.search(text)) and not topical[2:], not topical


_NOT_CONTENT = _DATE_WORDS | _LOGISTIC_WORDS   # what _content_words(text, _LOGISTIC_WORDS) skips
_DATE_LIKE = re.compile(r"\d{4}|\d{1,2}[/.]\d{1,2}")


def _section_kinds(blocks: list[_Block], title: str) -> _SectionKinds:
    """The kind of every heading (`get`, as a dict's: None or the default for any other
    index); a block's section kind is its heading's (_in). `title` as _heading_kind takes it."""
    return _SectionKinds(blocks, title)


class _SectionKinds:
    """Each heading's kind, judged when a choice first asks for it: no kind depends on another
    heading's (scribes pick levels freely: "### Next release" right under "## Attendees" is a
    topic of its own), and a summary is often found long before the last heading (_Parts)."""

    __slots__ = ("_blocks", "_title", "_kinds")

    def __init__(self, blocks: list[_Block], title: str):
        self._blocks, self._title, self._kinds = blocks, title, {}

    def get(self, index: int, default: str | None = None) -> str | None:
        kind = self._kinds.get(index)
        if kind is None:
            if not 0 <= index < len(self._blocks) or self._blocks[index].kind != "heading":
                return default
            block = self._blocks[index]
            kind = _heading_kind(block, self._title)
            if kind == "generic" and _FOLLOW_UPS.match(block.text):
                kind = "follow-ups"
            self._kinds[index] = kind
        return kind


def _in(blocks, sections, block: _Block, *kinds: str) -> bool:
    return sections.get(block.section, "none") in kinds


# --- the four choices ------------------------------------------------------------------------

def _agenda(blocks: list[_Block], sections: _SectionKinds, limit: int = LIMIT) -> list[str]:
    """The items under an "Agenda" heading or label, or the time-boxed lines ("[10 min] ...");
    no more of them than fill a line of `limit` characters (_Parts)."""
    for index, block in enumerate(blocks):
        kind = block.kind
        if kind != "heading" and kind != "para":
            continue
        text = block.text
        # The patterns run only where they can match (most blocks: no call at all): _AGENDA
        # on a text whose first two characters may start it, _AGENDA_WORD on one holding
        # "agenda" (ASCII; any text outside it).
        head = text[:2]
        may_be_agenda = head.lower() in _AGENDA_HEADS or not (
            head.isascii() and (head[:1].isalnum() or head[:1] == "_"))
        if kind == "heading":
            found = ((not text.isascii() or "agenda" in text.lower()) and _AGENDA_WORD.search(text)
                     and sections.get(index) != "logistics" and not text.lower().startswith("no ")) \
                or (may_be_agenda and _AGENDA.match(text))
        else:
            found = may_be_agenda and _AGENDA.match(text.rstrip(":"))
        if found:
            topics = _Parts(limit)
            for text in _items_after(blocks, index):
                if _is_topic(text) and topics.add(_clean(text)):
                    break
            if topics:
                return topics
    # _TIMEBOX only on a text that may start with a time box (most do not: no call at all).
    boxed = [i for i, b in enumerate(blocks) if b.kind != "heading" and (
        (first := b.text[:1]) in "[(" or first.isdecimal() or first.isspace()) and _TIMEBOX.match(b.text)]
    if len(boxed) >= 2:
        topics = _Parts(limit)
        for index in boxed:
            text = _TIMEBOX.sub("", blocks[index].text)
            if _is_topic(text) and not _is_label_only(text):
                topics.add(_clean(text))
            else:   # "Technical presentations:" -> the presentations listed under it
                for item in _items_after(blocks, index, first_list_only=True):
                    if _is_topic(item) and topics.add(_clean(item)):
                        break
            if topics.full():
                break
        return topics
    return []


def _items_after(blocks: list[_Block], index: int, *, first_list_only: bool = False) -> Iterator[str]:
    """The top-level items of the lists after blocks[index], up to the next heading, as they
    are needed (the agenda stops taking them when the line is full)."""
    base, list_id = None, None
    for position in range(index + 1, len(blocks)):
        block = blocks[position]
        if block.kind == "heading":
            break
        if block.kind != "item":
            if first_list_only and list_id is not None:
                break
            continue
        if base is None:
            base, list_id = block.depth, block.list_id
        if first_list_only and block.list_id != list_id and block.depth <= base:
            break
        if block.depth == base:
            if block.nested and (_is_label_only(block.text) or not _is_topic(block.text)):
                continue   # a container ("Discussion topics"): its sub-items follow
            yield block.text
        elif block.depth == base + 1 and _container_above(blocks, position, base):
            yield block.text


def _container_above(blocks: list[_Block], position: int, base: int) -> bool:
    for block in reversed(blocks[:position]):
        if block.kind == "item" and block.depth == base:
            return block.nested and (_is_label_only(block.text) or not _is_topic(block.text))
    return False


def _lead_paragraph(blocks: list[_Block], sections: _SectionKinds, limit: int = LIMIT) -> list[str]:
    """A paragraph of substance before the first topic heading: a document's lead."""
    for index, block in enumerate(blocks):
        if block.kind == "heading" and sections.get(index) == "topic":
            break
        if block.kind == "para" and block.depth == 0 and \
                not _in(blocks, sections, block, "logistics", "follow-ups") and \
                _is_substance(block, words=6):
            return [_clean(block.text)]
    return []


def _topic_headings(blocks: list[_Block], sections: _SectionKinds, limit: int = LIMIT) -> list[str]:
    """Topic headings whose own section holds something of substance; no more of them than
    fill a line of `limit` characters (_Parts: the sections after those are not read)."""
    topics = _Parts(limit)
    headings = [index for index, block in enumerate(blocks) if block.kind == "heading"]
    for number, index in enumerate(headings):
        block = blocks[index]
        if sections.get(index) != "topic":
            continue
        end = headings[number + 1] if number + 1 < len(headings) else len(blocks)
        next_heading = blocks[end] if end < len(blocks) else None
        said, substance = 0, False
        for position in range(index + 1, end):   # no copy of the rest per heading
            if substance and said >= 12:
                break   # nothing later in the section changes either
            text = blocks[position].text
            # _content_words(text, _LOGISTIC_WORDS), without its calls per block
            words = [w for w in _words(text) if w not in _NOT_CONTENT]
            if said < 12:
                said += len(words)
            # _is_substance(words=2), with the content words already at hand
            substance = substance or (len(words) >= 2 and not _is_logistics(text)
                                      and not _is_label_only(text))
        if next_heading is not None and next_heading.level > block.level and said < 12:
            continue   # a container ("Proposed FCPs"): the headings under it are the topics
        if substance and topics.add(_clean(block.text)):
            break
    return topics


def _first_substance(blocks: list[_Block], sections: _SectionKinds, limit: int = LIMIT) -> list[str]:
    """The first block of substance; a list item brings its substantial siblings along.
    Follow-ups (action items) count only when nothing else does."""
    passes = ((("none", "generic", "topic", "title"), 3), (("follow-ups",), 3),
              (("none", "generic", "topic", "title", "follow-ups"), 1))
    for allowed, words in passes:
        for block in blocks:
            if block.kind == "heading" or not _in(blocks, sections, block, *allowed):
                continue
            if not _is_substance(block, words=words):
                continue
            if block.kind == "item":
                siblings = [b.text for b in blocks if b.kind == "item" and
                            b.list_id == block.list_id and _is_substance(b, words=words)]
                return [_clean(t) for t in siblings]
            return [_clean(block.text)]
    return []


# --- text -------------------------------------------------------------------------------------

_EMPTY_BRACKETS = re.compile(r"\(\s*[|,;:\s]*\)|\[\s*[|,;:\s]*\]")
_SPACE_BEFORE_STOP = re.compile(r"\s+([,.;:!?])")
# Its replacement, the stop (r"\1"), as a C function: a template would cost a call into the
# re module's Python per call, and another per match.
_STOP = operator.itemgetter(1)


@functools.lru_cache(maxsize=4096)
def _clean(text: str) -> str:
    """Without addresses, time boxes, numbering, check boxes and empty brackets. (Memoized:
    topic headings and agenda items recur; 1,000 bench meetings clean 1,308 texts 5,395 times,
    each through seven patterns.)"""
    text = _without_addresses(text, "")
    for pattern in (_ADMONITION, _CHECKBOX, _TIMEBOX, _ENUMERATOR):
        text = pattern.sub("", text)
    text = _EMPTY_BRACKETS.sub("", text)
    text = _SPACE_BEFORE_STOP.sub(_STOP, " ".join(text.split()))
    return text.strip(" -–—:;,|").strip()


def _join(parts: list[str], limit: int) -> str:
    """Parts joined with '; ' (one ending '.' kept as a sentence), cut at a word boundary."""
    parts = [p for p in dict.fromkeys(parts) if p]
    if len(parts) == 1:
        text = parts[0]
    else:
        text = "; ".join(p.rstrip(".;:") for p in parts)
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(" ;,:-–—") + "…"
