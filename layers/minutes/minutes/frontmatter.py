"""YAML front matter: safe loading only, no aliases, no implicit timestamps or sexagesimals.

YAML 1.1 would read `time: 8:00` as the integer 480 and `date: 2023-02-30` as a crash; this
loader keeps such values as strings so document.py can check them with a precise message.
"""
from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterator

from .lazy_re import lazy

_DECIMAL_INT = lazy(r"^[-+]?(0|[1-9][0-9_]*)$")
_FLOAT = lazy(r"^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+][0-9]+)?$")


class FrontMatterError(Exception):
    def __init__(self, message: str, line: int | None, column: int | None = None):
        super().__init__(message)
        self.line = line      # 1-based, in the YAML text
        self.column = column  # 1-based


class Unclosed(FrontMatterError):
    pass


class TooDeep(FrontMatterError):
    pass


# How to write what the scribe meant, for every reader of YAML that refuses NotACharacter.
SURROGATE_HINT = ("Write the character itself (e.g. é or 😀), or a full escape of it such as "
                  "\"\\U0001F600\" (not two \"\\uD83D\\uDE00\" halves); or remove the escape.")


class NotACharacter(FrontMatterError):
    """A value (or key) holds a lone UTF-16 surrogate, which only an escape such as "\\ud800"
    can write: no UTF-8 page, feed, search index or DynamoDB item can hold it."""

    def __init__(self, field: str, escape: str, line: int | None):
        super().__init__(f"'{field}' holds the escape {escape}, half of a UTF-16 surrogate pair, "
                         "which is not a character", line)
        self.field = field
        self.escape = escape


# Front matter starts with a `key:` line (after blank and `#` comment lines) or is empty.
# A file that opens with `---` and then prose opens with a Markdown horizontal rule instead.
_OPENS_LIKE_YAML = re.compile(r"(?:[ \t]*(?:#[^\n]*)?\n)*(?:---|\.\.\.|[\w\"'][^\n:]*:(?:[ \t]|$))",
                              re.MULTILINE)


def split(text: str) -> tuple[str | None, str, int]:
    """(yaml text or None, body, number of lines the front matter took). Raises on unclosed."""
    if not text.startswith("---\n") or not _OPENS_LIKE_YAML.match(text, 4):
        return None, text, 0
    match = re.search(r"^(?:---|\.\.\.)[ \t]*$", text[4:], re.MULTILINE)
    if not match:
        raise Unclosed("the front matter starting on line 1 is never closed", 1)
    yaml_text = text[4:4 + match.start()]
    body = text[4 + match.end():].removeprefix("\n")
    return yaml_text, body, yaml_text.count("\n") + 2


@functools.cache
def _loaders():
    """(yaml, the pure loader, the C loader or None), made on the first front matter read:
    PyYAML costs a process ~30 ms to import, and most real minutes have no front matter, so a
    build or a handler that meets none never imports it."""
    import yaml

    class _Loader(yaml.SafeLoader):
        """SafeLoader that refuses aliases (alias bombs) and resolves only plain types."""

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.composer.ComposerError(
                    None, None, "anchors and aliases (*name) are not allowed in front matter",
                    event.start_mark)
            return super().compose_node(parent, index)

    _Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers
                if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:int",
                               "tag:yaml.org,2002:float")]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    _Loader.add_implicit_resolver("tag:yaml.org,2002:int", _DECIMAL_INT.compiled(), list("-+0123456789"))
    _Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT.compiled(), list("-+.0123456789"))
    # libyaml (PyYAML's C parser) reads ordinary front matter ten times faster. It is used only
    # where it cannot answer differently: no alias (the pure loader refuses them), nesting too
    # shallow for the pure loader's recursion to fail, and a text it reads without error;
    # anything else, or any error, goes to the pure loader, whose messages and verdicts are the
    # contract.
    _CLoader = None
    if getattr(yaml, "__with_libyaml__", False):
        class _CLoader(yaml.CSafeLoader):   # type: ignore[no-redef]
            pass
        _CLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
    return yaml, _Loader, _CLoader


_NESTING_MARKS = ("\n", "[", "{", "-", "?")
# Characters of plain front matter: keys, words, dates, quotes, lists. Tags (!), anchors and
# aliases (& *), block scalars (| >), directives (%), reserved (@ `), tabs and control
# characters are read by the pure loader, where the two parsers were seen to differ.
_NOT_PLAIN = lazy(r"""[^\w \n:\-.,/'"()\[\]{}#+=~;$^]""")


def _load_fast(yaml_text: str):
    """The C parser's answer where it is the pure loader's; None (not a value) otherwise."""
    yaml, _, _CLoader = _loaders()
    if (_CLoader is None or len(yaml_text) > 4000 or _NOT_PLAIN.search(yaml_text)
            or sum(yaml_text.count(mark) for mark in _NESTING_MARKS) >= 100):
        return None
    try:
        return (yaml.load(yaml_text, Loader=_CLoader),)  # noqa: S506 - a SafeLoader
    except Exception:   # noqa: BLE001 - the pure loader gives the error its message
        return None


# While remembering(): (known, read), yaml text -> its value pickled (see there). Real front
# matter is a few lines; a longer text is parsed each time rather than kept in the build cache.
_REMEMBERED_UP_TO = 4000
_memo: tuple[dict[str, bytes], dict[str, bytes]] | None = None


@contextlib.contextmanager
def remembering(known: dict[str, bytes] | None = None) -> Iterator[dict[str, bytes]]:
    """Within it, load() answers a text of `known` (yaml text -> the value an earlier load gave
    it, pickled) from there, without PyYAML; yields what every load within it read (the same
    form), for next time. `minutes build` keeps each meeting's in its cache, so a rebuild after
    a correction that left the front matter alone imports no YAML (decision 60). Only values
    are remembered, never errors; the same text and the same code give the same value."""
    global _memo
    outer, _memo = _memo, (known or {}, {})
    try:
        yield _memo[1]
    finally:
        _memo = outer


def load(yaml_text: str):
    memo = _memo
    if memo is None or len(yaml_text) > _REMEMBERED_UP_TO:
        return _load(yaml_text)
    import pickle   # only while remembering (a build): handlers never pay its import
    known, read = memo
    kept = known.get(yaml_text)
    if kept is None:
        value = _load(yaml_text)
        try:
            read[yaml_text] = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except (RecursionError, TypeError, pickle.PicklingError):   # not a value to keep
            pass
        return value
    read[yaml_text] = kept
    return pickle.loads(kept)   # a value of its own: the memo's cannot be changed through it


# Front matter as scribes and generators write it: `key: value` lines and nothing else (a
# title, a date, a time; the bench's and most real front matter), read without PyYAML (its
# import and its scanner, composer and constructor in Python cost more than the rest of the
# document's checks). Only where the answer is surely the pure loader's: a key of ASCII word
# characters; ': ' then a value that is double-quoted with no '"' or '\\' in it, single-quoted
# with no "'" in it, or plain, starting with an ASCII letter or digit, with no ': ', '#', flow
# brackets or trailing space, and resolved to no other type (the loader's own int and float
# patterns above; its bool and null words, any case); every key once. Anything else (lists,
# comments, blank lines, continuation lines, ...) goes to PyYAML as before.
# tests/unit/test_frontmatter.py compares it with the pure loader on generated front matter.
_PLAIN_LINE = lazy(
    r"""([A-Za-z_][A-Za-z0-9_]{0,99}): (?:"([^"\\\n]*)"|'([^'\n]*)'"""
    r"""|([A-Za-z0-9](?:[\w.,/()+=~;$^'"-]|[ ]+(?=[^ \n])|:(?=[^ \n]))*))\n""")
_NOT_A_STRING = frozenset({"yes", "no", "true", "false", "on", "off", "null", "y", "n", "~", ""})


def _load_plain(yaml_text: str) -> dict[str, str] | None:
    """The value of front matter made of plain `key: value` lines, or None (not a value) when
    it is anything else and PyYAML must read it."""
    if not yaml_text.endswith("\n") or _NOT_PLAIN.search(yaml_text):
        return None
    found: dict[str, str] = {}
    at, end = 0, len(yaml_text)
    match = _PLAIN_LINE.match
    while at < end:
        line = match(yaml_text, at)
        if line is None:
            return None
        key, double, single, plain = line.groups()
        if plain is not None and (plain.lower() in _NOT_A_STRING or _FLOAT.match(plain)):
            return None   # a bool, null, float or int (every _DECIMAL_INT is a _FLOAT too)
        if key in found or key.lower() in _NOT_A_STRING:
            return None   # a repeated key, or one read as a bool or null
        found[key] = plain if plain is not None else double if double is not None else single
        at = line.end()
    return found or None


# Only a double-quoted escape makes a surrogate: the text itself is strict UTF-8, and PyYAML's
# reader refuses a surrogate written as itself.
_SURROGATE = lazy(r"[\ud800-\udfff]")
_SURROGATE_ESCAPE = lazy(r"\\(?:u[dD][89a-fA-F][0-9a-fA-F]{2}|U0000[dD][89a-fA-F][0-9a-fA-F]{2})")


def _surrogate_in(value, field: str) -> tuple[str, str] | None:
    """(the field, its first surrogate) of the first string holding one, keys too; or None."""
    if isinstance(value, str):
        found = _SURROGATE.search(value)
        return (field, found.group()) if found else None
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{field}.{key}" if field else str(key)
            hit = _surrogate_in(key, field or "a key") or _surrogate_in(item, name)
            if hit:
                return hit
    elif isinstance(value, list):
        for index, item in enumerate(value):
            hit = _surrogate_in(item, f"{field}[{index + 1}]")
            if hit:
                return hit
    return None


def _refuse_surrogates(yaml_text: str, value):
    if "\\" in yaml_text:   # no backslash, no escape, no surrogate: the usual case costs this
        try:
            hit = _surrogate_in(value, "")
        except RecursionError:
            raise TooDeep("the front matter is nested too deeply", _deep_line(yaml_text)) from None
        if hit:
            field, char = hit
            at = _SURROGATE_ESCAPE.search(yaml_text)
            raise NotACharacter(field, f"\\u{ord(char):04x}",
                                yaml_text.count("\n", 0, at.start()) + 1 if at else None)
    return value


def _load(yaml_text: str):
    return _refuse_surrogates(yaml_text, _parse(yaml_text))


def _parse(yaml_text: str):
    plain = _load_plain(yaml_text)
    if plain is not None:
        return plain
    fast = _load_fast(yaml_text)
    if fast is not None:
        return fast[0]
    yaml, _Loader, _ = _loaders()
    try:
        return yaml.load(yaml_text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or str(exc)
        raise FrontMatterError(problem, mark.line + 1 if mark else None,
                               mark.column + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise FrontMatterError(str(exc), None) from None
    except RecursionError:
        # PyYAML composes nested [ [ [ ... recursively; thousands of levels exhaust the stack.
        # The stack is unwound by now, so this is an answer, not a crash.
        raise TooDeep("the front matter is nested too deeply", _deep_line(yaml_text)) from None


def _deep_line(yaml_text: str, limit: int = 50) -> int | None:
    """1-based line where brackets first nest `limit` deep: where the scribe should look."""
    depth = 0
    for at, char in enumerate(yaml_text):
        depth += (char in "[{") - (char in "]}")
        if depth > limit:
            return yaml_text.count("\n", 0, at) + 1
    return None
