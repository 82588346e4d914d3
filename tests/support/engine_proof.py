"""Child process of tests/unit/test_engine_proof.py: every corpus meeting and every hostile input
through the native Markdown engine (comrak), one JSON line per input. Run apart from pytest so
that a native crash (a Rust panic, a stack overflow) kills this process, not the test run:
"start" is written before each input, so the parent names the input that took it down.

    python -m tests.support.engine_proof
"""
from __future__ import annotations

import json
import sys

from minutes import running_notes
from minutes.meeting import SourceFile, assemble
from minutes.problems import Rejected

KEY = "minutes/g/2024-05-07-hostile.md"
# Deeper than any limit: what would take comrak's AST conversion down if it were given them
# (measured: 20,000 nested quotes crash it). They must be refused before it sees them.
BEYOND = {
    "quotes, 1 MB": ">" * 1_000_000 + " x\n",
    "spaced quotes": "> " * 400_000 + "x\n",
    "quotes, 20,000": ">" * 20_000 + " x\n",
    "quoted lists": "> - " * 200_000 + "x\n",
    "400,000 lists": "- " * 400_000 + "x\n",
    "300,000 ordered lists": "1. " * 300_000 + "x\n",
    "tab-indented lists": "".join("\t" * i + "- x\n" for i in range(1_400)),
    "tabs before one list marker": "\t" * 600 + "- x\n",
    "strikethrough": "~~" * 200_000 + "x" + "~~" * 200_000 + "\n",
}


def _emit(**fields) -> None:
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def _verdict(run) -> dict:
    """`run(verdict_only)`: published (nothing unsafe) or rejected, and whether `minutes
    check`'s lighter assembly (verdict_only) found exactly the problems publish finds."""
    from test_hostile import unsafe_parts   # tests/unit is on the path (the parent sets it)
    try:
        result = run(False)
    except Rejected as rejected:
        return {"verdict": "rejected", "codes": sorted({p.code for p in rejected.problems if p.is_error}),
                "same_in_check": _problems(run, True) == list(rejected.problems)}
    assembled = result if isinstance(result, tuple) else (result,)
    records = [a.record for a in assembled]
    unsafe = [part for r in records for part in unsafe_parts(r.content_html)]
    return {"verdict": "published", "meetings": len(records), "unsafe": unsafe[:3],
            "same_in_check": _problems(run, True) == [(a.problems, a.notes, a.record.warnings,
                                                       a.record.headings) for a in assembled]}


def _problems(run, verdict_only: bool) -> list:
    """Every problem (code, line, column, message, hint, file) an assembly finds."""
    try:
        result = run(verdict_only)
    except Rejected as rejected:
        return list(rejected.problems)
    return [(a.problems, a.notes, a.record.warnings, a.record.headings)
            for a in (result if isinstance(result, tuple) else (result,))]


def main() -> int:
    from test_corpus import corpus_meetings
    from test_hostile import HOSTILE, NESTED

    for ident, files in corpus_meetings().items():
        name = "/".join(ident)
        _emit(start=name)

        def run(verdict_only, files=files):
            notes = running_notes.split(files[0].key, files[0].data) if len(files) == 1 else None
            if notes is not None:
                return running_notes.assemble_sections(notes, site_host="h", verdict_only=verdict_only)
            return assemble(files, site_host="h", verdict_only=verdict_only)
        _emit(kind="corpus", name=name, **_verdict(run))
    hostile = {f"hostile {i}": p for i, p in enumerate(HOSTILE)}
    hostile |= {f"hostile {i} in context": f"# T\n\nBefore {p} after.\n\n- {p}\n\n> {p}\n"
                for i, p in enumerate(HOSTILE)}
    for kind, inputs in (("hostile", hostile), ("nested", NESTED), ("beyond", BEYOND)):
        for name, text in inputs.items():
            _emit(start=name)
            data = ("# T\n\n" + text).encode()
            _emit(kind=kind, name=name,
                  **_verdict(lambda verdict_only, data=data: assemble(
                      [SourceFile(KEY, data)], site_host="h", verdict_only=verdict_only)))
    _emit(done=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
