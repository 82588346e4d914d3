"""Patterns compiled on first use (minutes/lazy_re.py): they answer as re.compile's do, and the
modules that hold only patterns some paths use compile none of them when imported."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from minutes.lazy_re import lazy


def test_a_lazy_pattern_answers_as_the_compiled_one():
    source, flags = r"(?P<word>\bagenda\b)|(\d+)", re.IGNORECASE
    made, compiled = lazy(source, flags), re.compile(source, flags)
    text = "The Agenda: 3 items, 12 minutes"
    assert "_compiled" not in vars(made)                     # nothing compiled yet
    assert made.search(text).group("word") == compiled.search(text).group("word") == "Agenda"
    assert made.sub("#", text) == compiled.sub("#", text)
    assert [m.span() for m in made.finditer(text)] == [m.span() for m in compiled.finditer(text)]
    assert (made.pattern, made.flags, made.groupindex) == (compiled.pattern, compiled.flags, compiled.groupindex)
    assert made.compiled() is made.compiled() and isinstance(made.compiled(), re.Pattern)
    assert lazy(rb"x+").fullmatch(b"xx")


def test_a_bad_pattern_fails_as_re_compile_does_at_its_first_use():
    broken = lazy(r"(unclosed")
    with pytest.raises(re.error, match="missing \\)"):
        broken.search("text")


# Modules whose module-level patterns are all lazy: importing them compiles nothing.
ALL_LAZY = ("minutes.plaintext", "minutes.resources", "minutes.links", "minutes.group",
            "minutes.ical")
# document.py's patterns that an ordinary meeting's assembly never uses: lazy too.
DOCUMENT_RARE = ("_CONTROL", "_HACKMD_SOURCE", "_PLACEHOLDER")


def test_importing_the_build_compiles_none_of_the_lazy_modules_patterns():
    code = """if True:
        import json, sys
        import re._compiler as compiler
        seen, plain = [], compiler.compile
        def counting(pattern, flags=0):
            frame = sys._getframe(1)
            while frame.f_globals["__name__"].split(".")[0] == "re":   # re.compile's own frames
                frame = frame.f_back
            seen.append((frame.f_globals["__name__"], str(pattern)))
            return plain(pattern, flags)
        compiler.compile = counting
        import minutes.build
        from minutes import document
        at_import = list(seen)
        limits = [str(pattern.pattern) for _, pattern, *_ in document._COMPLEXITY_LIMITS]
        rare = [str(getattr(document, name).pattern) for name in %r]
        print(json.dumps([at_import, limits, rare]))""" % (DOCUMENT_RARE,)
    found, limits, rare = json.loads(subprocess.run([sys.executable, "-c", code], check=True,
                                                    capture_output=True, text=True).stdout)
    modules = [module for module, _ in found]
    assert any(module.startswith("minutes.") for module in modules)   # the count sees ours
    assert [module for module in modules if module in ALL_LAZY] == []
    # document.py's limits on hostile input: compiled only for a text over one of them (their
    # .pattern, asked for here after the count, compiles them through lazy_re).
    assert len(limits) >= 9 and not {source for _, source in found} & set(limits)
    # and its patterns for rare text (control characters, a HackMD page, placeholders).
    assert len(rare) == len(DOCUMENT_RARE) and not {source for _, source in found} & set(rare)
