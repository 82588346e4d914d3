"""Subscribers: the rules every way in agrees on (API, CLI import, bounces), with no AWS.

- An address is stored normalised: surrounding space trimmed, Unicode NFC, the domain in IDNA
  (punycode) form, the whole address lower-cased. SES accepts only 7-bit local parts and wants
  internationalised domains in punycode, so a non-ASCII local part is refused with a clear
  message, while `ann@bücher.example` is stored as `ann@xn--bcher-kva.example`. Lower-casing the
  local part too is what list managers do: `Ann@x` and `ann@x` are one subscriber, never two.
- A choice of groups is either every group (`*`, stored as the group `*`) or a set of group names
  that could exist (the same rule keys.py applies to uploads), at most MAX_GROUPS of them.
- A mode is `each` (one email per meeting) or `digest` (one weekly email).
"""
from __future__ import annotations

import re
import unicodedata
import csv
import io
from dataclasses import dataclass, field
from typing import Iterable

from .keys import GROUP_RE, RESERVED_GROUPS
from .problems import MinutesError

EVERY_GROUP = "*"
ADDRESS_ITEM = "#address"  # the Subscribers item holding per-address state (never a group name)
MODES = ("each", "digest")
STATUSES = ("pending", "confirmed", "unsubscribed", "suppressed")
MAX_GROUPS = 50
MAX_EMAIL = 254  # RFC 5321 path limit
MAX_LOCAL = 64

_ATEXT = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class InvalidInput(MinutesError, ValueError):
    """Input a person typed that cannot be used: a value with a code, a message and a hint."""

    def __init__(self, code: str, message: str, hint: str = "", *, field_name: str = ""):
        super().__init__(message)
        self.code, self.message, self.hint, self.field = code, message, hint, field_name

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "hint": self.hint, "field": self.field}


def normalise_email(text: str) -> str:
    """The stored form of an address, or InvalidInput saying what is wrong with it."""
    def bad(code: str, message: str, hint: str = "Type the address as it appears in your mail program, "
                                                 "for example ann@example.org.") -> InvalidInput:
        return InvalidInput(code, message, hint, field_name="email")

    if not isinstance(text, str):
        raise bad("email-missing", "An email address is required.")
    value = unicodedata.normalize("NFC", text.strip())
    if not value:
        raise bad("email-missing", "An email address is required.")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Zs") for c in value):
        raise bad("email-spaces", "An email address cannot contain spaces or control characters.")
    if len(value) > MAX_EMAIL * 2:
        raise bad("email-too-long", "That email address is too long.")
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain:
        raise bad("email-no-at", "An email address needs a name, an @ and a domain.")
    if not local.isascii():
        raise bad("email-local-unicode", "The part before the @ must use plain ASCII letters, digits "
                  "and punctuation: mail to other characters cannot be delivered by our mail service.")
    if len(local) > MAX_LOCAL or not _ATEXT.match(local):
        raise bad("email-local", f"'{local}' is not a valid name before the @.",
                  "Use letters, digits and . _ - + (no quotes, commas or two dots in a row).")
    ascii_domain = _domain(domain.rstrip("."), bad)
    address = f"{local}@{ascii_domain}".lower()
    if len(address) > MAX_EMAIL:
        raise bad("email-too-long", "That email address is too long.")
    return address


def _domain(domain: str, bad) -> str:
    if domain.startswith("["):
        raise bad("email-domain", "Addresses at an IP address are not accepted.", "Use the address's domain name.")
    try:
        ascii_domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise bad("email-domain", f"'{domain}' is not a valid domain name.") from None
    labels = ascii_domain.split(".")
    if (len(labels) < 2 or len(ascii_domain) > 253 or not all(_LABEL.match(label) for label in labels)
            or labels[-1].isdigit()):
        raise bad("email-domain", f"'{domain}' is not a valid domain name.",
                  "Check the part after the @, for example example.org.")
    return ascii_domain


def choose_groups(values: Iterable[str] | str | None, *, allow_empty: bool = False) -> tuple[str, ...]:
    """The stored choice: ('*',) for every group, else sorted distinct group names."""
    if values is None or isinstance(values, str):
        values = [values] if values else []
    chosen: set[str] = set()
    for raw in values:
        if not isinstance(raw, str):
            raise InvalidInput("group-invalid", "Groups must be names.", field_name="groups")
        for name in re.split(r"[\s,;]+", raw.strip()):
            if not name:
                continue
            name = name.lower()
            if name in (EVERY_GROUP, "all"):
                return (EVERY_GROUP,)
            if not GROUP_RE.match(name) or name in RESERVED_GROUPS or name.startswith("#"):
                raise InvalidInput("group-invalid", f"'{name[:80]}' is not a group name.",
                                   "Group names are lower-case letters, digits, '-' and '_'.",
                                   field_name="groups")
            chosen.add(name)
    if len(chosen) > MAX_GROUPS:
        raise InvalidInput("group-too-many", f"At most {MAX_GROUPS} groups can be chosen at once.",
                           "Choose 'all groups' instead.", field_name="groups")
    if not chosen and not allow_empty:
        raise InvalidInput("group-missing", "Choose at least one group, or all groups.",
                           field_name="groups")
    return tuple(sorted(chosen))


def parse_mode(value: str | None) -> str:
    if value is not None and not isinstance(value, str):   # JSON may send a number or a list
        raise InvalidInput("mode-invalid", "The delivery mode must be a word.",
                           "Choose 'each' (every meeting) or 'digest' (weekly).", field_name="mode")
    value = (value or "each").strip().lower()
    if value in ("weekly", "week"):
        value = "digest"
    if value not in MODES:
        raise InvalidInput("mode-invalid", f"'{value[:40]}' is not a delivery mode.",
                           "Choose 'each' (every meeting) or 'digest' (weekly).", field_name="mode")
    return value


def describe_groups(groups) -> str:
    """'every group', 'onnx', or 'onnx, openxla and xla' (for pages and emails)."""
    if not groups or EVERY_GROUP in groups:
        return "every group"
    names = [" ".join(str(g).split()) for g in groups]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# ---------------------------------------------------------------------------------------------
# Requests: the JSON shape of a form or body. The pydantic models that validate it live in
# subscription_requests.py, imported by the two routes that take input (not at cold start).


def form_to_request(form: dict[str, list[str]]) -> dict:
    """An HTML form (field -> values) as the request's JSON shape. `group` and `groups` both
    work (the site's subscribe form sends one hidden `group`); `all_groups` means every group."""
    groups = [*form.get("groups", []), *form.get("group", [])]
    if any(v.strip().lower() in ("1", "on", "true", "yes") for v in form.get("all_groups", [])):
        groups = [EVERY_GROUP]
    data: dict = {"groups": groups}
    for name in ("email", "mode"):
        if form.get(name):
            data[name] = form[name][0]
    return data


def json_to_request(body: dict) -> dict:
    """A JSON body, accepting `group` for `groups` and a single string for a list."""
    data = dict(body)
    if "groups" not in data and "group" in data:
        data["groups"] = data.pop("group")
    if isinstance(data.get("groups"), str):
        data["groups"] = [data["groups"]]
    return data


# ---------------------------------------------------------------------------------------------
# One address, as the Subscribers table holds it


@dataclass(frozen=True)
class Subscription:
    email: str
    groups: dict[str, str] = field(default_factory=dict)   # group -> status
    modes: dict[str, str] = field(default_factory=dict)    # group -> mode
    suppressed: bool = False

    def with_status(self, *statuses: str) -> tuple[str, ...]:
        return tuple(sorted(g for g, s in self.groups.items() if s in statuses))

    @property
    def confirmed(self) -> tuple[str, ...]:
        return self.with_status("confirmed")

    @property
    def pending(self) -> tuple[str, ...]:
        return self.with_status("pending")

    @property
    def mode(self) -> str:
        """The mode of the confirmed groups ('digest' only when every one is digest)."""
        modes = {self.modes.get(g, "each") for g in self.confirmed}
        return "digest" if modes == {"digest"} else "each"

    def needs_confirmation(self, wanted: tuple[str, ...]) -> tuple[str, ...]:
        """The wanted groups not confirmed yet (all of them, when the address is suppressed)."""
        return tuple(g for g in wanted if self.groups.get(g) != "confirmed")


# ---------------------------------------------------------------------------------------------
# CSV import (`minutes subscribers import`): one subscriber a row


@dataclass(frozen=True)
class ImportRow:
    line: int
    email: str
    groups: tuple[str, ...]
    mode: str


@dataclass(frozen=True)
class BadRow:
    line: int
    text: str       # the row as it was, shortened
    message: str


@dataclass
class ImportFile:
    rows: list[ImportRow] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)
    ignored: int = 0    # rows whose status column says they are not subscribed


def read_import_csv(text: str, *, groups: tuple[str, ...] = (EVERY_GROUP,), mode: str = "each") -> ImportFile:
    """Rows of `email[,groups[,mode]]`, or a header row naming the columns (email, groups or
    group, mode, status; others are ignored, so `minutes subscribers export` reads back). Groups
    in a cell are separated by spaces or ';'; an empty cell means the defaults given. An address
    on several rows gets every group of them (one mode); a row whose status is not `confirmed`
    (an export's unsubscribed and suppressed rows) is ignored. Bad rows come with line numbers."""
    found = ImportFile()
    by_email: dict[str, int] = {}
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    columns = None
    for row in reader:
        line = reader.line_num
        cells = [c.strip() for c in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if columns is None and any(c.lower() in ("email", "e-mail", "email address") for c in cells):
            columns = {c.lower(): n for n, c in enumerate(cells)}
            continue
        shown = ",".join(row)[:80]
        email_cell, group_cell, mode_cell, status_cell = _cells(cells, columns)
        if status_cell and status_cell.lower() != "confirmed":
            found.ignored += 1
            continue
        try:
            email = normalise_email(email_cell)
            chosen = choose_groups(group_cell) if group_cell else groups
            row_mode = parse_mode(mode_cell) if mode_cell else mode
        except InvalidInput as problem:
            found.bad.append(BadRow(line, shown, problem.message))
            continue
        if email in by_email:
            earlier = found.rows[by_email[email]]
            if earlier.mode != row_mode:
                found.bad.append(BadRow(line, shown, f"{email} is on line {earlier.line} already, "
                                                     f"with mode {earlier.mode}."))
                continue
            merged = choose_groups([*earlier.groups, *chosen])
            found.rows[by_email[email]] = ImportRow(earlier.line, email, merged, row_mode)
            continue
        by_email[email] = len(found.rows)
        found.rows.append(ImportRow(line, email, chosen, row_mode))
    return found


def _cells(cells: list[str], columns: dict[str, int] | None) -> tuple[str, str, str, str]:
    def at(*names: str, position: int | None) -> str:
        if columns is None:
            return cells[position] if position is not None and position < len(cells) else ""
        for name in names:
            if name in columns and columns[name] < len(cells):
                return cells[columns[name]]
        return ""
    return (at("email", "e-mail", "email address", position=0), at("groups", "group", position=1),
            at("mode", position=2), at("status", position=None))
