"""How often real minutes get a warning, per code: `make bench` prints it (issue 10 part 3).

A warning nobody acts on trains scribes to ignore every warning, so the target is at most one
meeting in ten warned. Infos (what `minutes check --verbose` adds) are counted apart: they are
not in any report.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field


@dataclass
class Rates:
    meetings: int = 0
    rejected: int = 0
    warned: int = 0
    by_code: Counter = field(default_factory=Counter)     # meetings with a warning of the code
    infos: Counter = field(default_factory=Counter)       # meetings with an info of the code

    @property
    def warned_share(self) -> float:
        return self.warned / self.meetings if self.meetings else 0.0

    def table(self) -> str:
        rows = [f"  {'code':<28} {'meetings':>8} {'share':>7}"]
        for severity, counts in (("warning", self.by_code), ("info", self.infos)):
            rows += [f"  {code:<28} {n:>8} {n / max(self.meetings, 1):>7.1%}  ({severity})"
                     for code, n in counts.most_common()]
        rows.append(f"  {self.warned} of {self.meetings} published meetings warned "
                    f"({self.warned_share:.1%}); {self.rejected} rejected")
        return "\n".join(rows)


def rates(files: dict[str, bytes]) -> Rates:
    """Warning rates over bucket keys -> bytes, one verdict per meeting as publish makes it."""
    from minutes import keys
    from minutes.meeting import SourceFile, assemble
    from minutes.problems import Rejected
    meetings: dict[str, list] = defaultdict(list)
    for key, data in sorted(files.items()):
        try:
            parsed = keys.parse_key(key)
        except Rejected:
            continue
        meetings[parsed.meeting_prefix if parsed.is_folder else key].append(SourceFile(key, data))
    found = Rates()
    for sources in meetings.values():
        if not any(keys.parse_key(s.key).is_markdown for s in sources):
            continue
        try:
            assembled = assemble(sources, site_host="bench.example.org")
        except Rejected:
            found.rejected += 1
            continue
        found.meetings += 1
        codes = {p.code for p in assembled.problems}
        found.warned += bool(codes)
        found.by_code.update(codes)
        found.infos.update({p.code for p in assembled.notes})
    return found
