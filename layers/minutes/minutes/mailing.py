"""One meeting's email to many subscribers, fast: composed once, filled in per recipient.

`mail.meeting_email` builds one EmailMessage per recipient with the stdlib's header policy and
generator; that is about 3 ms a message, almost all of it header objects and pure-Python
quoted-printable. Here the message is composed once per meeting by `meeting_email` itself, for
a stand-in recipient, and cut into its fixed pieces (the stdlib wrote every header). What differs
per recipient is then put in: the To field, the Message-ID's recipient hash, the one-click
List-Unsubscribe URL, the address and links in both bodies, and the MIME boundary (a hash of
the bodies, as in `meeting_email`); each body part is quoted-printable encoded by binascii (C).

Line breaks inside the quoted-printable can fall at other places than the stdlib's (76 columns
against 78), so the bytes may differ, never the message: tests/unit/test_mailing.py parses both
with the email parser and compares every header and every decoded part.
"""
from __future__ import annotations

import binascii
import functools
import hashlib
import html
import re

from .mail import (POLICY, _RECIPIENT_SLOT, _UNSUBSCRIBE_SLOT, _check_url, _digest, _MAX_HEADER_LINE,
                   _recipient, meeting_email)
from .model import MeetingRecord
from .problems import MinutesError

_CRLF = b"\r\n"
_STAND_IN = "stand-in@recipient.slot.invalid"
# Addresses whose To field the policy writes as given ("To: a.b+c@example.org"); anything else
# (a display name, a quoted local part, non-ASCII, "=?" that the stdlib would decode) goes
# through the same parser meeting_email uses.
_PLAIN = re.compile(r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*"
                    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*")


class MeetingMailing:
    """`mailing.message(recipient=..., unsubscribe_url=...)` is the raw MIME of
    `meeting_email(record, recipient=..., unsubscribe_url=..., **same options)`."""

    def __init__(self, record: MeetingRecord, *, sender: str, site_url: str, list_domain: str,
                 unsubscribe_mailto: str | None = None, group_name: str | None = None):
        from .mail import _bodies_with_slots
        options = dict(sender=sender, site_url=site_url, list_domain=list_domain,
                       unsubscribe_mailto=unsubscribe_mailto, group_name=group_name)
        reference = meeting_email(record, recipient=_STAND_IN, unsubscribe_url=_UNSUBSCRIBE_SLOT, **options)
        self._text, self._page = map(_Body, _bodies_with_slots(record, site_url=site_url, group_name=group_name))
        self._fields, self._part_heads = _cut(reference)

    def message(self, *, recipient: str, unsubscribe_url: str) -> bytes:
        """Raises InvalidRecipient for an address that cannot be mailed, ConfigError for a bad
        unsubscribe URL: the same as meeting_email."""
        if len(recipient) <= 72 and _PLAIN.fullmatch(recipient):
            address, to_field = recipient, b"To: " + recipient.encode("ascii")
        else:
            to = _recipient(recipient)
            address = to.addr_spec
            to_field = POLICY.fold_binary("To", POLICY.header_store_parse("To", to)[1]).rstrip(_CRLF)
        unsubscribe = _check_url(unsubscribe_url, schemes=("https",), name="unsubscribe_url")
        text = self._text.fill({_RECIPIENT: address.encode("ascii"), _UNSUBSCRIBE: unsubscribe.encode("ascii")})
        page = self._page.fill({_RECIPIENT: html.escape(address).encode("ascii"),
                                _UNSUBSCRIBE: html.escape(unsubscribe).encode("ascii")})
        values = {"to": to_field, "id": _digest(address.lower(), 16).encode("ascii"),
                  "unsubscribe": unsubscribe.encode("ascii"),
                  "boundary": b"=_minutes_" + hashlib.sha256(text[0] + page[0]).hexdigest()[:32].encode()}
        raw = _assemble(self._fields, self._part_heads, values, (text[1], page[1]))
        if any(len(line) > _MAX_HEADER_LINE for line in raw.partition(_CRLF + _CRLF)[0].split(_CRLF)):
            raise ValueError(f"List-Unsubscribe must be one printable ASCII line of at most "
                             f"{_MAX_HEADER_LINE} octets")
        return raw


@functools.lru_cache(maxsize=8)
def meeting_mailing(record: MeetingRecord, *, sender: str, site_url: str, list_domain: str,
                    unsubscribe_mailto: str | None = None, group_name: str | None = None) -> MeetingMailing:
    """The mailing of one meeting, reused by every batch of its recipients in this container."""
    return MeetingMailing(record, sender=sender, site_url=site_url, list_domain=list_domain,
                          unsubscribe_mailto=unsubscribe_mailto, group_name=group_name)


_RECIPIENT, _UNSUBSCRIBE = _RECIPIENT_SLOT.encode("ascii"), _UNSUBSCRIBE_SLOT.encode("ascii")


class _Body:
    """One body with its stand-ins, as UTF-8, and as quoted-printable prepared line by line:
    runs of lines without a stand-in are encoded once; only the lines with one are encoded per
    recipient. Quoted-printable encodes each line on its own (soft breaks and the trailing-space
    rule never cross a line end), so the parts join up to the encoding of the whole."""

    def __init__(self, text: str):
        self.utf8 = text.encode("utf-8")
        # set_content's view of the lines: bytes.splitlines, every line ended.
        self._plan: list[bytes | tuple[bytes]] = []
        run: list[bytes] = []
        for line in self.utf8.splitlines():
            if _RECIPIENT in line or _UNSUBSCRIBE in line:
                if run:
                    self._plan.append(_qp(run))
                    run = []
                self._plan.append((line,))
            else:
                run.append(line)
        if run:
            self._plan.append(_qp(run))

    def fill(self, values: dict[bytes, bytes]) -> tuple[bytes, bytes]:
        """(the UTF-8 body, its quoted-printable, CRLF line ends) with the values put in."""
        return (_put(self.utf8, values),
                b"".join(p if isinstance(p, bytes) else _qp([_put(p[0], values)]) for p in self._plan))


def _put(data: bytes, values: dict[bytes, bytes]) -> bytes:
    for slot, value in values.items():
        data = data.replace(slot, value)
    return data


def _qp(lines: list[bytes]) -> bytes:
    """What set_content(cte="quoted-printable") stores, with CRLF line ends (binascii keeps the
    CRLF it is given and wraps at 76 columns)."""
    return binascii.b2a_qp(_CRLF.join(lines) + _CRLF, istext=True)


def _cut(reference) -> tuple[list, list[bytes]]:
    """The reference message's header fields (with a marker where a recipient's value goes)
    and its parts' headers. The pieces must give back the reference's exact bytes, so the frame
    is the stdlib's for whatever meeting."""
    raw = reference.as_bytes(policy=POLICY)
    boundary = reference.get_boundary().encode("ascii")
    head, _, body = raw.partition(_CRLF + _CRLF)
    values = {"id": _digest(_STAND_IN, 16).encode("ascii"), "unsubscribe": _UNSUBSCRIBE_SLOT.encode("ascii"),
              "boundary": boundary}
    fields: list = []
    for field in re.split(rb"\r\n(?=[^ \t])", head):
        name = field.split(b":", 1)[0].lower()
        key = {b"to": "to", b"message-id": "id", b"list-unsubscribe": "unsubscribe",
               b"content-type": "boundary"}.get(name)
        if key == "to":
            values["to"], field = field, (b"", key, b"")
        elif key:
            if field.count(values[key]) != 1:
                raise MinutesError(f"mailing: {name.decode()} does not hold its {key} once: {field!r}")
            before, after = field.split(values[key])
            field = (before, key, after)
        fields.append(field)
    delimiter = _CRLF + b"--" + boundary
    parts = (_CRLF + body).split(delimiter)
    if len(parts) != 4 or parts[0] or parts[3] != b"--" + _CRLF:
        raise MinutesError("mailing: the reference message is not two parts in one multipart")
    heads, qps = zip(*(p.removeprefix(_CRLF).split(_CRLF + _CRLF, 1) for p in parts[1:3]))
    if _assemble(fields, heads, values, qps) != raw:
        raise MinutesError("mailing: the pieces do not give back the reference message")
    return fields, list(heads)


def _assemble(fields: list, part_heads, values: dict[str, bytes], bodies) -> bytes:
    head = _CRLF.join(f if isinstance(f, bytes) else f[0] + values[f[1]] + f[2] for f in fields)
    delimiter = b"--" + values["boundary"]
    out = [head, _CRLF, _CRLF]
    for part_head, body in zip(part_heads, bodies):
        out += [delimiter, _CRLF, part_head, _CRLF, _CRLF, body, _CRLF]
    out += [delimiter, b"--", _CRLF]
    return b"".join(out)
