"""The meeting email: a MeetingRecord becomes one MIME message per subscriber (pure, no boto3).

The message is multipart/alternative (plain text, then HTML) and is sent through SES v2 as raw
MIME by aws/ses.py. Everything here is deterministic: the same record and recipient give the
same bytes, so tests and `minutes demo` can compare .eml files. (SES itself replaces Date and
Message-ID on the way out; ours matter for local runs and for anything that reads the .eml.)

Header decisions, after the Gmail and Yahoo bulk-sender rules (Feb 2024) and the RFCs they cite:
- List-Unsubscribe with the per-recipient https URL (and mailto when configured) plus
  List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058). Both are required for one-click;
  the body also carries a visible unsubscribe link (Gmail requires both). Both header fields must
  be covered by the DKIM signature, which is SES's job (Easy DKIM), not this module's.
- List-Id (RFC 2919): Gmail asks subscription mail to identify its list; one list per group.
- Auto-Submitted: auto-generated (RFC 3834: made by a process, *not* a reply; auto-replied is
  the value for replies). Responders that follow RFC 3834 send no vacation reply to it.
- Precedence: list: not standard, but it is what older vacation programs and filters check, and
  it is the value mailing-list software sends (bulk would mean an unsolicited mass mailing).
- X-Auto-Response-Suppress: OOF, AutoReply: Exchange/Outlook ignore the two above and read this
  one instead ([MS-OXCMAIL]); NDRs stay on so bounces still reach SES.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import html
import re
import unicodedata
from dataclasses import dataclass, field
from email.headerregistry import Address, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

import css_inline
import jinja2
from markupsafe import Markup

from . import plaintext
from .compiled_templates import SHIPPED, CompiledTemplates
from .links import START_TAG, absolute_fragment, under_site, without_heading_anchors
from .model import MeetingRecord
from .problems import ConfigError, MinutesError

__all__ = ["meeting_email", "html_to_text", "flatten", "InvalidRecipient", "POLICY"]

_TEMPLATES = Path(__file__).with_name("templates")
_MAX_HEADER_LINE = 998  # RFC 5322 hard limit, in octets, without CRLF
_MAX_URL = 800  # leaves room for a mailto next to it on the one List-Unsubscribe line


class InvalidRecipient(MinutesError, ValueError):
    """This subscriber's address cannot be mailed; skip it, the rest of the batch goes on."""


# ---------------------------------------------------------------------------------------------
# Headers


class _OneLineHeader(UnstructuredHeader):
    """A List-* field: URIs in angle brackets, written exactly as given on one line.

    The stock policy folds a long unstructured value by turning it into RFC 2047 encoded words,
    which is legal for prose but breaks List-Unsubscribe (clients do not decode it and the long
    per-recipient token URL always triggers it). Keeping it on one line also avoids DKIM
    trouble with relays that refold.
    """

    max_count = 1

    @classmethod
    def parse(cls, value, kwds):
        super().parse(value, kwds)
        kwds["decoded"] = value  # as given: never decode "=?...?=" found in a URI or name

    def fold(self, *, policy) -> str:
        value = str(self)
        line = f"{self.name}: {value}"
        if not value.isascii() or len(line) > _MAX_HEADER_LINE or _has_control(value):
            raise ValueError(f"{self.name} must be one printable ASCII line of at most 998 octets")
        return line + policy.linesep


def _policy():
    registry = HeaderRegistry()
    for name in ("list-id", "list-unsubscribe", "list-unsubscribe-post"):
        registry.map_to_type(name, _OneLineHeader)
    # SMTP: CRLF line ends, 7-bit headers with encoded words for anything non-ASCII.
    return SMTP.clone(header_factory=registry)


POLICY = _policy()


def flatten(text: str) -> str:
    """One header-safe line: control and line/paragraph separators become spaces, runs collapse.

    Every character str.splitlines() breaks on is in Cc, Zl or Zp, so the result can never
    start a new header line (the policy would refuse it, and a raw CRLF would be injection).
    """
    spaced = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)
    return " ".join(spaced.split())


def _header_text(text: str) -> str:
    """flatten(), and defuse RFC 2047 syntax: the stdlib decodes "=?utf-8?q?=0D=0A?=" found in
    a value it is given, then writes the decoded CRLF raw (header injection on 3.11)."""
    return flatten(text).replace("=?", "=\u2060?")  # WORD JOINER: invisible, breaks the token


_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _has_control(text: str) -> bool:
    if text.isascii():  # the common case, without a lookup per character
        return _ASCII_CONTROL.search(text) is not None
    return any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in text)


def _address(value: str | Address, *, field_name: str) -> Address:
    """Exactly one mailbox, rebuilt as an Address so the policy quotes and encodes its name."""
    if isinstance(value, Address):
        return value
    if _has_control(value):
        raise ValueError(f"{field_name}: control characters in address {value!r}")
    try:
        header = POLICY.header_factory("to", value)
        addresses = header.addresses
    except Exception as exc:  # the stdlib parser raises IndexError and friends on junk
        raise ValueError(f"{field_name}: not an address: {value!r}") from exc
    if len(addresses) != 1 or header.defects or not addresses[0].username or not addresses[0].domain:
        raise ValueError(f"{field_name}: expected exactly one address, got {value!r}")
    found = addresses[0]
    return Address(display_name=flatten(found.display_name), username=found.username, domain=found.domain)


def _recipient(value: str) -> Address:
    try:
        return _address(value, field_name="to")
    except ValueError as exc:
        raise InvalidRecipient(str(exc)) from exc


def _config_address(value: str, *, field_name: str) -> Address:
    try:
        return _address(value, field_name=field_name)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc


_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                       r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")


def _check_domain(domain: str) -> str:
    if not _HOSTNAME.match(domain):
        raise ConfigError(f"list_domain must be an ASCII host name, got {domain!r}")
    return domain.lower()


def _check_url(url: str, *, schemes: tuple[str, ...], name: str) -> str:
    """A URL that can sit inside <...> in a header and in an href: absolute, ASCII, no spaces."""
    parts = urlsplit(url)
    bad = set(' <>"\\^`{|}') & set(url)
    if parts.scheme not in schemes or not url.isascii() or bad or _has_control(url):
        raise ConfigError(f"{name} must be an absolute {'/'.join(schemes)} URL, got {url!r}")
    if (parts.scheme != "mailto" and not parts.netloc) or len(url) > _MAX_URL:
        raise ConfigError(f"{name} must be an absolute URL of at most {_MAX_URL} characters, got {url!r}")
    return url


def _mailto(value: str) -> str:
    if value.startswith("mailto:"):
        return _check_url(value, schemes=("mailto",), name="unsubscribe_mailto")
    address = _config_address(value, field_name="unsubscribe_mailto")
    return f"mailto:{quote(address.addr_spec, safe='@+')}?subject=unsubscribe"


def _list_label(group: str) -> str:
    """The group as a dot-atom label for List-Id (RFC 2919 wants ASCII letters, digits, '-')."""
    label = re.sub(r"[^a-z0-9-]+", "-", group.lower()).strip("-")
    return label or "g-" + _digest(group, 8)


_ATEXT_PHRASE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]+$")


def _list_id(group: str, display: str, list_domain: str) -> str:
    list_id = f"<{_list_label(group)}.{list_domain}>"
    if not display.isascii():
        return list_id  # the phrase is optional; encoded words cannot live in this one-line field
    if _ATEXT_PHRASE.match(display):
        return f"{display} {list_id}"
    quoted = display.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}" {list_id}'


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def _message_id(record: MeetingRecord, recipient: Address, list_domain: str) -> str:
    # The feed id is the meeting's permanent identity; the address is hashed, never shown.
    identity = record.feed_id or f"{record.group}/{record.meeting}"
    return f"<minutes.{_digest(identity, 16)}.{_digest(recipient.addr_spec.lower(), 16)}@{list_domain}>"


def _sent_at(record: MeetingRecord) -> dt.datetime:
    """Deterministic Date: the record's last change, else first publication, else its day."""
    when = record.updated or record.published
    if when is None:
        when = dt.datetime.combine(record.date, dt.time(0), tzinfo=dt.timezone.utc)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)  # the model stores UTC
    return when.astimezone(dt.timezone.utc)


# ---------------------------------------------------------------------------------------------
# A small HTML tree (html.parser), shared by the text conversion and the email content rewrite


_VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())
# A start tag that implicitly closes the open element (enough for sloppy but sane input).
_CLOSES = {"li": {"li"}, "p": {"p"}, "tr": {"tr", "td", "th"}, "td": {"td", "th"},
           "th": {"td", "th"}, "dt": {"dt", "dd"}, "dd": {"dt", "dd"}}


_MAX_DEPTH = 100


@dataclass
class _Element:
    tag: str
    attrs: dict[str, str | None] = field(default_factory=dict)
    children: list[_Element | str] = field(default_factory=list)


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Element("#root")
        self._stack = [self.root]

    def handle_starttag(self, tag: str, attrs) -> None:
        if self._stack[-1].tag in _CLOSES.get(tag, ()):
            self._stack.pop()
        element = _Element(tag, dict(attrs))
        self._stack[-1].children.append(element)
        if tag not in _VOID and len(self._stack) < _MAX_DEPTH:
            self._stack.append(element)  # deeper content stays, one level up: no RecursionError

    def handle_startendtag(self, tag: str, attrs) -> None:
        self._stack[-1].children.append(_Element(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self._stack) - 1, 0, -1):
            if self._stack[depth].tag == tag:
                del self._stack[depth:]
                return  # an end tag with no open element is ignored

    def handle_data(self, data: str) -> None:
        self._stack[-1].children.append(data)


def _parse(fragment: str) -> _Element:
    builder = _TreeBuilder()
    builder.feed(fragment)
    builder.close()
    return builder.root


def _serialize(nodes) -> str:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            out.append(html.escape(node, quote=False))
            continue
        out.append(_start_tag(node))
        if node.tag not in _VOID:
            out.append(_serialize(node.children))
            out.append(f"</{node.tag}>")
    return "".join(out)


def _text_of(node: _Element | str) -> str:
    if isinstance(node, str):
        return node
    return "".join(_text_of(child) for child in node.children)


# ---------------------------------------------------------------------------------------------
# HTML -> plain text


_SKIP = frozenset("script style head title template noscript iframe object embed".split())
_BLOCKS = frozenset("""address article aside blockquote caption dd details div dl dt fieldset
    figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section
    summary table tbody td tfoot th thead tr ul""".split())
_URL_SCHEMES = ("http", "https", "mailto")


def html_to_text(html_fragment: str, *, base_url: str) -> str:
    """Readable plain text from an HTML fragment; links become "text <absolute url>"."""
    return _render_text(_parse(html_fragment), base_url=base_url)


def _render_text(root: _Element, *, base_url: str) -> str:
    return plaintext.document(_blocks(root, base_url))


def _blocks(node: _Element, base: str) -> list[str]:
    """Children as text blocks; runs of inline content between block elements form one block."""
    blocks: list[str] = []
    inline: list[str] = []

    def flush() -> None:
        text = _clean_inline("".join(inline))
        inline.clear()
        if text:
            blocks.append(text)

    for child in node.children:
        if isinstance(child, str):
            inline.append(_collapse(child))
        elif child.tag in _SKIP:
            continue
        elif child.tag in _BLOCKS:
            flush()
            blocks.extend(_block(child, base))
        else:
            inline.append(_inline(child, base))
    flush()
    return blocks


_collapse, _clean_inline = plaintext.collapse, plaintext.clean_inline


def _inline_text(node: _Element, base: str) -> str:
    return _clean_inline("".join(_collapse(c) if isinstance(c, str) else _inline(c, base)
                                 for c in node.children if not (isinstance(c, _Element) and c.tag in _SKIP)))


def _inline(node: _Element, base: str) -> str:
    tag = node.tag
    if tag in _SKIP:
        return ""
    if tag == "br":
        return "\n"
    if tag == "img":
        return _image_text(node, base)
    if tag == "input":
        return _checkbox(node)
    if tag == "a":
        return _link_text(_inline_text(node, base), node.attrs.get("href"), base)
    if tag in ("code", "del", "s", "strike"):
        inner = _inline_text(node, base)
        mark = "`" if tag == "code" else "~~"
        return f"{mark}{inner}{mark}" if inner else ""
    return "".join(_collapse(c) if isinstance(c, str) else _inline(c, base) for c in node.children)


def _absolute(url: str | None, base: str) -> str | None:
    """An absolute http(s)/mailto URL, or None for anything else (javascript:, data:, ...)."""
    if not url or not url.strip():
        return None
    try:
        absolute = urljoin(base, url.strip())
        return absolute if urlsplit(absolute).scheme in _URL_SCHEMES else None
    except ValueError:   # no URL urllib can read (`//[x`: an unclosed IPv6 host): text, not a link
        return None


def _link_text(text: str, href: str | None, base: str) -> str:
    url = _absolute(href, base)
    if url is None:
        return text
    if urlsplit(url)._replace(fragment="").geturl() == urlsplit(base)._replace(fragment="").geturl():
        # An in-page anchor means nothing in plain text; a bare "#" or "¶" permalink goes.
        return text if any(c.isalnum() for c in text) else ""
    shown = url.removeprefix("mailto:")
    if not text:
        return url
    if text in (url, href, shown):  # an autolink: say it once
        return shown
    return f"{text} <{url}>"


_IMAGE_MARK = re.compile(f"{plaintext.IMAGE}([^{plaintext.SEP}]*){plaintext.SEP}([^{plaintext.END}]*){plaintext.END}")
_LINK_MARK = re.compile(f"{plaintext.LINK}([^{plaintext.SEP}]*){plaintext.SEP}([^{plaintext.END}]*){plaintext.END}")


class _Unsure(Exception):
    """The one-pass path cannot be sure of this record; the tree path makes its bodies."""


def finish_text_form(text_form: str, *, base_url: str, site_url: str | None = None) -> str | None:
    """A record's text form (ast_text.py) with each link and image as html_to_text writes it,
    absolute against the page's URL (a root path under `site_url`, as absolute_fragment puts
    the HTML's): one pass each. None when a link would vanish (an anchor to this page with no
    words: html_to_text would also close the gap it leaves), so the caller reads the HTML."""
    def rooted(target: str) -> str:
        if site_url is not None and target.startswith("/") and target[1:2] != "/":
            return under_site(target, site_url)
        return target

    def image(match: re.Match) -> str:
        src = _absolute(rooted(match.group(1)), base_url)
        if src is None:
            raise _Unsure
        return f"[{match.group(2).strip() or _alt_from_src(match.group(1)) or 'image'}] <{src}>"

    def link(match: re.Match) -> str:
        shown = _link_text(match.group(2), rooted(match.group(1)), base_url)
        if not shown:
            raise _Unsure
        return shown
    try:
        if plaintext.IMAGE in text_form:
            text_form = _IMAGE_MARK.sub(image, text_form)
        if plaintext.LINK in text_form:
            text_form = _LINK_MARK.sub(link, text_form)
    except _Unsure:
        return None
    return None if plaintext.MARKER.search(text_form) else text_form


def _image_text(node: _Element, base: str) -> str:
    src = _absolute(node.attrs.get("src"), base)
    alt = (node.attrs.get("alt") or "").strip() or _alt_from_src(node.attrs.get("src") or "")
    if src is None:
        return f"[{alt}]" if alt else ""
    return f"[{alt or 'image'}] <{src}>"


def _checkbox(node: _Element) -> str:
    if (node.attrs.get("type") or "").lower() != "checkbox":
        return ""
    return plaintext.checkbox("checked" in node.attrs)


def _block(node: _Element, base: str) -> list[str]:
    tag = node.tag
    if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
        return _heading(node, base)
    if tag in ("ul", "ol"):
        text = _list(node, base, ordered=tag == "ol")
        return [text] if text else []
    if tag == "pre":
        return plaintext.code_block(_text_of(node))
    if tag == "blockquote":
        return plaintext.quote(_blocks(node, base))
    if tag == "hr":
        return [plaintext.HR]
    if tag == "table":
        return _table(node, base)
    if tag == "dd":
        inner = "\n".join(_blocks(node, base))
        return [plaintext.indent(inner, "    ")] if inner else []
    return _blocks(node, base)


def _heading(node: _Element, base: str) -> list[str]:
    return plaintext.heading(_inline_text(node, base), int(node.tag[1]))


_width = plaintext.width


def _list(node: _Element, base: str, *, ordered: bool) -> str:
    number = _start(node) if ordered else 1
    items: list[str] = []
    for child in node.children:
        if not isinstance(child, _Element) or child.tag != "li":
            continue
        items.append(plaintext.list_item(f"{number}. " if ordered else "- ", _blocks(child, base)))
        number += 1
    return "\n".join(items)


def _start(node: _Element) -> int:
    try:
        return int(node.attrs.get("start") or 1)
    except ValueError:
        return 1


def _table(node: _Element, base: str) -> list[str]:
    return plaintext.table([[_inline_text(cell, base) for cell in row.children
                             if isinstance(cell, _Element) and cell.tag in ("td", "th")]
                            for row in _descendants(node, "tr")])


def _descendants(node: _Element, tag: str):
    for child in node.children:
        if isinstance(child, _Element):
            if child.tag == tag:
                yield child
            else:
                yield from _descendants(child, tag)


# ---------------------------------------------------------------------------------------------
# Email content: the sanitised fragment made safe and absolute for mail clients


# render.py already sanitises; this is defence in depth for what mail clients execute or fetch.
_DROP_ELEMENTS = frozenset("""script style link meta base iframe frame frameset object embed
    applet form button select textarea template noscript svg math audio video""".split())
_DROP_ATTRS = frozenset("style srcset background action formaction poster ping xmlns".split())
_URL_ATTRS = frozenset(("href", "src", "cite"))
# html.parser accepts names like 'a"b'; only plain names are written back out.
_NAME = re.compile(r"^[a-z][a-z0-9_:.-]*$")


def _alt_from_src(src: str) -> str:
    """'/g/m/%5BPublic%5D_team-photo.png' -> '[Public] team photo'."""
    try:
        parts = urlsplit(src)
    except ValueError:   # `//[x.png` (an unclosed IPv6 host): no file name to show
        return ""
    if parts.scheme not in ("", "http", "https"):
        return ""  # a data: URI has no file name, only noise
    name = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return " ".join(stem.replace("_", " ").replace("-", " ").split())


def _clean_for_mail(node: _Element, base: str) -> None:
    kept: list[_Element | str] = []
    for child in node.children:
        if isinstance(child, str):
            kept.append(child)
        elif child.tag == "input":
            box = _checkbox(child)  # mail clients strip form controls: show the state as text
            kept.append({"[x] ": "\u2611 ", "[ ] ": "\u2610 "}.get(box, ""))
        elif _NAME.match(child.tag) and child.tag not in _DROP_ELEMENTS and _clean_attrs(child, base):
            _clean_for_mail(child, base)
            kept.append(child)
    node.children = kept


def _clean_attrs(node: _Element, base: str) -> bool:
    """Rewrite attributes in place; False when the element is useless without them."""
    attrs: dict[str, str | None] = {}
    for name, value in node.attrs.items():
        if not _NAME.match(name) or name.startswith("on") or name in _DROP_ATTRS:
            continue
        if name in _URL_ATTRS:
            value = _absolute(value, base)
            if value is None:
                continue
        attrs[name] = value
    if node.tag == "img":
        if "src" not in attrs:
            return False
        if not (attrs.get("alt") or "").strip():
            attrs["alt"] = _alt_from_src(attrs["src"]) or "image"
    node.attrs = attrs
    return True


# The linear path for the HTML part: the record's fragment is the sanitiser's canonical
# output (links.START_TAG), so its tags are found by pattern and rewritten where they stand,
# as the feeds do. Anything of another shape (a comment, a tag this module would drop, a
# self-closed element, a leading <h1>) goes through the tree above instead.
_TAG_OR_END = re.compile(rf"{START_TAG.pattern}|</([a-z][a-z0-9-]*)>")
_TAG_NAME = re.compile(r"<([a-z][a-z0-9-]*)")
_ATTRIBUTE = re.compile(r'\s+([^\s"\'>/=]+)(?:="([^"]*)")?')
_GLYPHS = {"[x] ": "\u2611 ", "[ ] ": "\u2610 "}


def _mail_fragment(fragment: str, base: str) -> str | None:
    """What _clean_for_mail makes of the fragment (the same tree, written by the sanitiser's
    rules), in one pass over its tags; None when it is not of the canonical shape. A page
    repeats most of its tags (<p>, <li>, </code>): each distinct one is worked out once."""
    seen: dict[str, str | None] = {}
    count = 0

    def tag(match: re.Match) -> str:
        nonlocal count
        count += 1
        written = match.group(0)
        if written not in seen:
            seen[written] = _mail_tag(written, match.group(1), base)
        if seen[written] is None:
            raise _Unsure
        return seen[written]
    try:
        done = _TAG_OR_END.sub(tag, fragment)
    except _Unsure:
        return None
    return done if count == fragment.count("<") else None   # else a '<' no pattern accounts for


def _mail_tag(tag: str, end_name: str | None, base: str) -> str | None:
    """One tag of the fragment as mail writes it ("" to leave it out), None if of another shape."""
    if end_name is not None:
        return None if end_name in _DROP_ELEMENTS else tag
    name = _TAG_NAME.match(tag)
    if name is None or name.group(1) in _DROP_ELEMENTS or not _NAME.match(name.group(1)):
        return None
    name = name.group(1)
    if tag.endswith("/>") and name not in _VOID:
        return None                                      # html.parser would close it at once
    if len(tag) == len(name) + 2 and name not in ("input", "img"):
        return tag                                       # <p>, <li>: nothing to rewrite
    attrs = {m.group(1): None if m.group(2) is None else html.unescape(m.group(2))
             for m in _ATTRIBUTE.finditer(tag, len(name) + 1)}
    if any(key.lower() != key for key in attrs):
        return None                                      # html.parser would fold its case
    element = _Element(name, attrs)
    if name == "input":
        return _GLYPHS.get(_checkbox(element), "")
    return _start_tag(element) if _clean_attrs(element, base) else ""


def _start_tag(node: _Element) -> str:
    return "<" + node.tag + "".join(f" {k}" if v is None else f' {k}="{html.escape(v)}"'
                                    for k, v in node.attrs.items()) + ">"


def _drop_title_heading(root: _Element, title: str) -> None:
    """The email shows the title itself; a leading <h1> repeating it would say it twice."""
    for index, child in enumerate(root.children):
        if isinstance(child, str) and not child.strip():
            continue
        if isinstance(child, _Element) and child.tag == "h1" and flatten(_text_of(child)) == title:
            del root.children[: index + 1]
        return


# ---------------------------------------------------------------------------------------------
# Composition


@functools.cache
def _environment() -> jinja2.Environment:
    return environment()


def environment(writable: str | None = None, shipped: str | None = SHIPPED) -> jinja2.Environment:
    """The email templates, compiled ones from `writable` or the package's (compiled_templates.py)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        bytecode_cache=CompiledTemplates("email", writable, shipped),
        # Escape everything except the plain-text template, which is not HTML.
        autoescape=lambda name: not (name or "").endswith(".txt.j2"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@functools.cache
def _inliner() -> css_inline.CSSInliner:
    # No network from a Lambda; @media rules stay in <style> for clients that support them.
    return css_inline.CSSInliner(load_remote_stylesheets=False, keep_at_rules=True)


def _when(record: MeetingRecord) -> str:
    day = record.date
    text = f"{day:%A} {day.day} {day:%B %Y}"  # C locale in Lambda: English names, stable
    if record.time:
        text += f", {record.time}"
        if record.timezone:
            text += f" ({record.timezone})"
    return text


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _preheader(record: MeetingRecord, text_body: str) -> str:
    """The inbox preview line: the summary, else the start of the minutes."""
    preview = flatten(record.summary) or flatten(text_body)
    return preview if len(preview) <= 150 else preview[:149].rstrip() + "\u2026"


def meeting_email(
    record: MeetingRecord,
    *,
    recipient: str,
    sender: str,
    site_url: str,
    unsubscribe_url: str,
    unsubscribe_mailto: str | None = None,
    group_name: str | None = None,
    list_domain: str,
) -> EmailMessage:
    """The announcement of one meeting's minutes to one subscriber.

    unsubscribe_url is the recipient's own https link (one-click POST target and the page the
    body links to); unsubscribe_mailto is an address or a mailto: URI. Raises InvalidRecipient
    for an address that cannot be mailed, ConfigError for a bad sender, URL or domain.
    """
    to = _recipient(recipient)
    site = _check_url(site_url.rstrip("/"), schemes=("http", "https"), name="site_url")
    unsubscribe = _check_url(unsubscribe_url, schemes=("https",), name="unsubscribe_url")
    title = flatten(record.title) or flatten(f"{record.group} meeting {record.date.isoformat()}")
    group = flatten(group_name or "") or flatten(record.group)

    msg = EmailMessage(policy=POLICY)
    _set_headers(msg, record, title=title, group=group, to=to,
                 sender=_config_address(sender, field_name="from"), domain=_check_domain(list_domain),
                 unsubscribe=[unsubscribe] + ([_mailto(unsubscribe_mailto)] if unsubscribe_mailto else []))
    text, page = _bodies(record, title=title, group=group, site=site, to=to, unsubscribe=unsubscribe)
    # Quoted-printable keeps both parts 7-bit with short lines whatever the minutes contain
    # (inlined CSS makes very long HTML lines; SMTP forbids lines over 998 octets).
    msg.set_content(text, subtype="plain", cte="quoted-printable")
    msg.add_alternative(page, subtype="html", cte="quoted-printable")
    for part in msg.iter_parts():
        del part["MIME-Version"]  # add_alternative copies it into the part; it belongs on top only
    # A fixed boundary keeps the bytes deterministic; "=_" never occurs in quoted-printable.
    msg.set_boundary("=_minutes_" + _digest(text + page, 32))
    return msg


def _set_headers(msg: EmailMessage, record: MeetingRecord, *, title: str, group: str, to: Address,
                 sender: Address, domain: str, unsubscribe: list[str]) -> None:
    subject = _header_text(f"[{group}] {title}")
    msg["Subject"] = subject
    if str(msg["Subject"]) != subject:  # the policy must have stored the text, nothing decoded
        raise MinutesError(f"Subject cannot be written safely: {subject!r}")
    msg["From"] = sender
    msg["To"] = to
    msg["Date"] = format_datetime(_sent_at(record))
    msg["Message-ID"] = _message_id(record, to, domain)
    msg["List-Id"] = _list_id(record.group, _header_text(group), domain)
    msg["List-Unsubscribe"] = ", ".join(f"<{target}>" for target in unsubscribe)
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Auto-Submitted"] = "auto-generated"
    msg["Precedence"] = "list"
    msg["X-Auto-Response-Suppress"] = "OOF, AutoReply"


# Stand-ins for what differs per recipient: the bodies are rendered (and their CSS inlined)
# once per meeting, then each recipient's address and link are put in. Neither can occur in
# real minutes, and both survive escaping and inlining unchanged.
_RECIPIENT_SLOT = "recipient.slot.invalid"
_UNSUBSCRIBE_SLOT = "https://unsubscribe.slot.invalid/one-click"


def _bodies(record: MeetingRecord, *, title: str, group: str, site: str, to: Address,
            unsubscribe: str) -> tuple[str, str]:
    """(text/plain, text/html) from the same tree, so both say the same thing."""
    text, page = _meeting_bodies(record, title, group, site)
    recipient = to.addr_spec
    text = text.replace(_RECIPIENT_SLOT, recipient).replace(_UNSUBSCRIBE_SLOT, unsubscribe)
    page = page.replace(_RECIPIENT_SLOT, html.escape(recipient)).replace(
        _UNSUBSCRIBE_SLOT, html.escape(unsubscribe))
    return text, page


def _bodies_with_slots(record: MeetingRecord, *, site_url: str, group_name: str | None) -> tuple[str, str]:
    """The meeting's (text, html) bodies with the stand-ins still in (minutes.mailing fills them)."""
    title = flatten(record.title) or flatten(f"{record.group} meeting {record.date.isoformat()}")
    group = flatten(group_name or "") or flatten(record.group)
    return _meeting_bodies(record, title, group, site_url.rstrip("/"))


@functools.lru_cache(maxsize=16)
def _meeting_bodies(record: MeetingRecord, title: str, group: str, site: str) -> tuple[str, str]:
    page_url = site + record.url_path
    # Root paths under the site first: joined onto the page's URL they would lose its prefix.
    fragment = absolute_fragment(without_heading_anchors(record.content_html), site_url=site)
    content = text_body = None
    if record.content_text is not None and not fragment.lstrip().startswith("<h1"):
        text_body = finish_text_form(record.content_text, base_url=page_url, site_url=site)
        content = None if text_body is None else _mail_fragment(fragment, page_url)
    if content is None:   # a record stored before text forms, or a fragment of another shape
        root = _parse(fragment)
        _drop_title_heading(root, title)
        text_body = _render_text(root, base_url=page_url)
        _clean_for_mail(root, page_url)
        content = _serialize(root.children)
    context = {
        "title": title,
        "group_name": group,
        "when": _when(record),
        "page_url": page_url,
        "group_url": f"{site}/{record.group}/",
        "site_host": urlsplit(site).hostname or site,
        "recipient": _RECIPIENT_SLOT,
        "unsubscribe_url": _UNSUBSCRIBE_SLOT,
        "attachments": [
            {"name": flatten(a.name), "url": site + a.url_path, "size": _size(a.size)}
            for a in record.attachments
        ],
        "preheader": _preheader(record, text_body),
    }
    env = _environment()
    text = env.get_template("email/meeting.txt.j2").render(
        body=text_body, underline="=" * _width(title), **context)
    page = env.get_template("email/meeting.html.j2").render(
        content=Markup(content), subject=f"[{group}] {title}", **context)
    return text, _inliner().inline(page)


# ---------------------------------------------------------------------------------------------
# Subscription emails: the double opt-in confirmation and the weekly digest (same policy,
# same header rules, same templates environment; templates in templates/subscriptions/)


def _two_parts(msg: EmailMessage, text: str, page: str) -> EmailMessage:
    msg.set_content(text, subtype="plain", cte="quoted-printable")
    msg.add_alternative(_inliner().inline(page), subtype="html", cte="quoted-printable")
    for part in msg.iter_parts():
        del part["MIME-Version"]
    msg.set_boundary("=_minutes_" + _digest(text + page, 32))
    return msg


def _utc(when: dt.datetime) -> dt.datetime:
    return (when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)).astimezone(dt.timezone.utc)


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _groups_text(groups) -> str:
    from .subscriptions import describe_groups
    return describe_groups(groups)


def confirmation_email(*, recipient: str, sender: str, confirm_url: str, site_url: str,
                       list_domain: str, groups: tuple[str, ...], mode: str,
                       expires: dt.datetime, when: dt.datetime) -> EmailMessage:
    """The double opt-in email: one link to a page whose button confirms. Nothing is subscribed
    until that button is pressed, so a mail scanner that opens the link changes nothing."""
    to = _recipient(recipient)
    site = _check_url(site_url.rstrip("/"), schemes=("http", "https"), name="site_url")
    link = _check_url(confirm_url, schemes=("http", "https"), name="confirm_url")
    domain = _check_domain(list_domain)
    host = urlsplit(site).hostname or domain
    msg = EmailMessage(policy=POLICY)
    msg["Subject"] = _header_text(f"Confirm your subscription to the minutes on {host}")
    msg["From"] = _config_address(sender, field_name="from")
    msg["To"] = to
    msg["Date"] = format_datetime(_utc(when))
    msg["Message-ID"] = (f"<confirm.{_digest(_utc(when).isoformat(), 12)}."
                         f"{_digest(to.addr_spec.lower(), 16)}@{domain}>")
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    context = {"confirm_url": link, "site_url": site + "/", "site_host": host, "recipient": to.addr_spec,
               "groups": _groups_text(groups), "digest": mode == "digest",
               "expires": _day(_utc(expires).date()),
               "preheader": f"One click to start getting the minutes of {_groups_text(groups)}."}
    env = _environment()
    text = env.get_template("subscriptions/confirm-email.txt.j2").render(**context)
    page = env.get_template("subscriptions/confirm-email.html.j2").render(
        subject=str(msg["Subject"]), **context)
    return _two_parts(msg, text, page)


def digest_email(records: list[MeetingRecord], *, recipient: str, sender: str, site_url: str,
                 list_domain: str, unsubscribe_url: str, preferences_url: str,
                 start: dt.date, end: dt.date, when: dt.datetime) -> EmailMessage:
    """One week's meetings (start..end inclusive) of the recipient's groups in one email, with
    the same list headers as the meeting email (one-click unsubscribe included)."""
    if not records:
        raise ValueError("a digest needs at least one meeting")
    to = _recipient(recipient)
    site = _check_url(site_url.rstrip("/"), schemes=("http", "https"), name="site_url")
    unsubscribe = _check_url(unsubscribe_url, schemes=("https",), name="unsubscribe_url")
    preferences = _check_url(preferences_url, schemes=("https",), name="preferences_url")
    domain = _check_domain(list_domain)
    host = urlsplit(site).hostname or domain
    count = len(records)
    span = f"{start.day} {start:%B}" if start.year == end.year else _day(start)
    subject = f"Minutes digest: {count} meeting{'s' if count != 1 else ''}, {span} to {_day(end)}"
    msg = EmailMessage(policy=POLICY)
    msg["Subject"] = _header_text(subject)
    msg["From"] = _config_address(sender, field_name="from")
    msg["To"] = to
    msg["Date"] = format_datetime(_utc(when))
    msg["Message-ID"] = f"<digest.{_digest(start.isoformat(), 12)}.{_digest(to.addr_spec.lower(), 16)}@{domain}>"
    msg["List-Id"] = f"Weekly digest <digest.{domain}>"
    msg["List-Unsubscribe"] = f"<{unsubscribe}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Auto-Submitted"] = "auto-generated"
    msg["Precedence"] = "list"
    msg["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    groups: dict[str, list[dict]] = {}
    for record in sorted(records, key=lambda r: (r.group, r.date, r.time or "", r.segment)):
        title = flatten(record.title) or flatten(f"{record.group} meeting {record.date.isoformat()}")
        groups.setdefault(flatten(record.group), []).append({
            "title": title, "when": _when(record), "url": site + record.url_path,
            "summary": flatten(record.summary)})
    context = {"groups": [{"name": name, "url": f"{site}/{name}/", "meetings": items}
                          for name, items in groups.items()],
               "count": count, "span": f"{span} to {_day(end)}", "site_url": site + "/", "site_host": host,
               "recipient": to.addr_spec, "unsubscribe_url": unsubscribe, "preferences_url": preferences,
               "preheader": "; ".join(m["title"] for g in groups.values() for m in g)[:149]}
    env = _environment()
    text = env.get_template("subscriptions/digest-email.txt.j2").render(**context)
    page = env.get_template("subscriptions/digest-email.html.j2").render(subject=subject, **context)
    return _two_parts(msg, text, page)
