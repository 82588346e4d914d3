"""Regular expressions compiled on first use.

A module-level `re.compile` runs whenever the module is imported, whether or not the process
ever uses the pattern. A one-shot `minutes build` after one change imports the whole
assembly path to assemble one ordinary meeting, which never touches the patterns for HTML
documents, hostile input, front matter without YAML, time zones and the like; a Lambda
handler imports modules for one function of theirs. Such patterns are `lazy(...)`: compiled
the first time any of their attributes is asked for, by `re.compile` itself (same flags, same
errors, same cache).
"""
from __future__ import annotations

import re


class lazy:   # noqa: N801 (read as the `re.compile` it stands for)
    """`re.compile(source, flags)`, made when first used. Each attribute asked for (`search`,
    `sub`, `pattern`, ...) is then kept on this object, so later calls cost what they cost
    on the compiled pattern: no lookup through this class."""

    def __init__(self, source: str | bytes, flags: int = 0):
        self._source = source
        self._flags = flags

    def __getattr__(self, name: str):
        if name.startswith("__"):   # copy, pickle and the like ask before any use
            raise AttributeError(name)
        value = getattr(self.compiled(), name)
        setattr(self, name, value)
        return value

    def compiled(self) -> re.Pattern:
        """The pattern, compiled (to hand to an API that wants a re.Pattern)."""
        compiled = self.__dict__.get("_compiled")
        if compiled is None:
            compiled = self.__dict__["_compiled"] = re.compile(self._source, self._flags)
        return compiled

    def __repr__(self) -> str:
        return f"lazy({self._source!r}, {self._flags!r})"
