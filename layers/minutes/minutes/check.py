"""`minutes check`: the publish rules, offline. One verdict per file (or per folder meeting)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from . import keys
from .meeting import SourceFile, assemble
from .problems import Problem, Rejected


@dataclass(frozen=True)
class Verdict:
    file: str
    key: str
    problems: tuple[Problem, ...]
    meta: dict | None

    @property
    def valid(self) -> bool:
        return not any(p.is_error for p in self.problems)

    def as_dict(self) -> dict:
        return {"file": self.file, "key": self.key, "valid": self.valid,
                "problems": [_problem_dict(p) for p in self.problems], "meta": self.meta}


def _problem_dict(p: Problem) -> dict:
    return {"severity": p.severity.value, "code": p.code, "line": p.line, "column": p.column,
            "message": p.message, "hint": p.hint}


def key_for(path: Path) -> str:
    """`.../minutes/<group>/...` keeps its key from `minutes/` on; else minutes/<folder>/<name>."""
    parts = path.resolve().parts
    if "minutes" in parts[:-1]:
        at = len(parts) - 1 - parts[::-1].index("minutes")
        if at < len(parts) - 1:
            return "/".join(parts[at:])
    return f"{keys.PREFIX}{path.resolve().parent.name}/{path.name}"


def check_file(path: Path, *, key: str | None = None, site_host: str = "localhost",
               max_bytes: int = 1024 * 1024) -> Verdict:
    key = key or key_for(path)
    try:
        assembled = assemble([SourceFile(key, path.read_bytes())], site_host=site_host,
                             max_bytes=max_bytes)
    except Rejected as rejected:
        return Verdict(str(path), key, tuple(rejected.problems), None)
    record = assembled.record
    meta = {"title": record.title, "date": record.date.isoformat(), "group": record.group,
            "slug": record.segment, "url_path": record.url_path, "status": record.status}
    return Verdict(str(path), key, assembled.problems, meta)


def expand(paths: list[Path]) -> list[Path]:
    """Files as given; a folder means every Markdown file under it."""
    found = []
    for path in paths:
        found += sorted(p for p in path.rglob("*.md") if p.is_file()) if path.is_dir() else [path]
    return found


def format_text(verdict: Verdict) -> str:
    lines = []
    for p in verdict.problems:
        where = f"{verdict.file}:{p.line or 1}:{p.column or 1}"
        lines.append(f"{where}: {p.severity.value} {p.code}: {p.message}")
        lines += [f"    hint: {h}" if i == 0 else f"          {h}" for i, h in enumerate(p.hint.splitlines())]
    status = "ok" if verdict.valid else "rejected"
    target = f" -> {verdict.meta['url_path']}" if verdict.meta else ""
    lines.append(f"{verdict.file}: {status}{target}")
    return "\n".join(lines)


def format_json(verdicts: list[Verdict]) -> str:
    return json.dumps([v.as_dict() for v in verdicts], indent=2, ensure_ascii=False)
