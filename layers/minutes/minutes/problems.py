"""Problems a scribe can cause, and the one exception tree of the library.

A problem is a value (code, message, hint, where), never a string to match: the CLI prints it
like a compiler, publish writes it into a JSON report, tests compare codes.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, replace


class Severity(str, enum.Enum):
    ERROR = "error"      # the upload is rejected; nothing is published
    WARNING = "warning"  # published anyway, reported so the scribe can have a look
    # Published; noticed but not worth the scribe's time (an empty template heading, `Vec<T>`
    # shown as text): only `minutes check --verbose` shows it, never a report or a count.
    INFO = "info"


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    hint: str
    severity: Severity = Severity.ERROR
    line: int | None = None
    column: int | None = None
    file: str | None = None   # the key (or path) the problem is in, when a meeting has several

    def in_file(self, file: str) -> "Problem":
        return self if self.file else replace(self, file=file)

    def as_dict(self) -> dict:
        # By hand, in field order: dataclasses.asdict deep-copies every value, which was most
        # of writing a report of thousands of problems.
        return {"code": self.code, "message": self.message, "hint": self.hint,
                "severity": self.severity.value, "line": self.line, "column": self.column,
                "file": self.file}

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def is_info(self) -> bool:
        return self.severity is Severity.INFO


def error(code: str, message: str, hint: str, line: int | None = None,
          column: int | None = None, *, file: str | None = None) -> Problem:
    return Problem(code, message, hint, Severity.ERROR, line, column, file)


def warning(code: str, message: str, hint: str, line: int | None = None,
            column: int | None = None, *, file: str | None = None) -> Problem:
    return Problem(code, message, hint, Severity.WARNING, line, column, file)


def info(code: str, message: str, hint: str, line: int | None = None,
         column: int | None = None, *, file: str | None = None) -> Problem:
    return Problem(code, message, hint, Severity.INFO, line, column, file)


def for_scribe(problems) -> list[Problem]:
    """The problems a scribe is told about: errors and warnings, not infos."""
    return [p for p in problems if not p.is_info]


class MinutesError(Exception):
    """Base of every error the library raises on purpose."""


class Rejected(MinutesError):
    """The input cannot be published; `problems` says why, each with a hint."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        first = next((p for p in self.problems if p.is_error), None)
        super().__init__(f"{first.code}: {first.message}" if first else "rejected")


class ConfigError(MinutesError):
    """The deployment or the local set-up is wrong (a missing variable, a bad template)."""
