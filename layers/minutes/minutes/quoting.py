"""How a file name or key is printed, everywhere one is (check's and build's lines, upload and
sync, the pipeline's reports): one line, as git prints a path (decisions 108, 111, 118). Pure,
no imports: the publish path uses it (report.py)."""
from __future__ import annotations


def one_line(name: str) -> str:
    """A file name or key as printed: as it is, unless it holds a control character (a line
    break, a tab, an escape) or a byte that is not UTF-8 (a lone surrogate to Python, printed
    `\\udcff`): then in double quotes with C escapes, as git prints such a path
    (`"g/2024-01-02-a\\nb.md"`, `"g/bad\\377.md"`), so one problem stays one line, nothing
    reaches the terminal as a command and a byte is named as ls -b and git name it. Other
    names, non-ASCII ones too, are printed as they are."""
    if not any(map(_quoted, name)):
        return name
    return '"' + "".join(map(_escaped, name)) + '"'


def _control(c: str) -> bool:
    return c < " " or "\x7f" <= c <= "\x9f"


def _quoted(c: str) -> bool:
    return _control(c) or "\udc80" <= c <= "\udcff"


def _escaped(c: str) -> str:
    if c in _C_ESCAPES:
        return _C_ESCAPES[c]
    if _quoted(c):   # git's octal, of each UTF-8 byte or of the byte that was not UTF-8
        return "".join(f"\\{b:03o}" for b in c.encode("utf-8", "surrogateescape"))
    return c


_C_ESCAPES = {"\a": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\v": "\\v", "\f": "\\f",
              "\r": "\\r", '"': '\\"', "\\": "\\\\"}
