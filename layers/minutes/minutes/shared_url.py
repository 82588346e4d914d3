"""Two meetings of one group that give one URL (decision 103): refused, both, as duplicates.

A meeting's URL segment is its date and the rest of its name as a slug (keys.py), so different
keys can give one segment: the date spelled another way (`2019-04-18.md`, `2019.04.18.md`,
`20190418.md`, `2019/04/18.md`), placed elsewhere (`x-2019-04-18.md`, `2019-04-18-x.md`,
`x/2019-04-18.md`), words that slugify alike (`2019-04-18 Sync.md`, `2019-04-18-sync.md`), a
dated folder beside a file (`2019-04-18-x/NOTES.md`), an undated file whose front matter
gives the date. Giving one of them `-2` made the URL depend on which came first, which a
fresh build cannot know; so `minutes build`, `minutes check` and publish refuse every meeting
of such a set until one is renamed or deleted. Running-notes sections are left to
model.free_segment (their segment is their date, claimed first come, first served).
Pure: no AWS, no file system.
"""
from __future__ import annotations

from . import keys
from .problems import Problem, Rejected, error


def source_name(key: str) -> str:
    """What the scribe renames or deletes: a folder meeting's folder, else the file itself."""
    try:
        parsed = keys.parse_key(key)
    except Rejected:   # a meeting's key always parses; any other is named as it is
        return key
    return parsed.meeting_prefix if parsed.is_folder else key


def shared_url(name: str, others: list[str], url_path: str, *, file: str | None = None) -> Problem:
    """The error refusing `name` because `others` give the same URL (each of them gets its own,
    naming the rest), with how to fix it."""
    listed = " and ".join(sorted(others))
    return error("duplicate-source", f"{name} and {listed} give one URL, {url_path} (the same date, "
                 "and the rest of their names the same once made a URL), and one page can show "
                 "only one of them: none of them is published until one is left",
                 "if they are one meeting, keep one: merge what the other says into it, then "
                 "delete the other; if they are different meetings, rename one so that its name "
                 "says what differs (a topic after the date: <yyyy-mm-dd>-<topic>.md)",
                 file=file or name)


def url_of(group: str, segment: str) -> str:
    """The published URL a segment gives (a draft's is under _drafts/ until published)."""
    return f"/{group}/{segment}/"


def sharing(items, ident) -> list[list]:
    """The sets of `items` (each at least two) whose `ident(item)` -> (group, segment, is a
    running-notes section) give one URL; sections are not counted (model.free_segment). In
    the items' order, so the result is deterministic."""
    seen: dict[tuple[str, str], list] = {}
    shared = []
    for item in items:
        group, segment, section = ident(item)
        if section:
            continue
        found = seen.setdefault((group, segment), [])
        found.append(item)
        if len(found) == 2:
            shared.append(found)
    return shared


def refusals(named: list[tuple[str, str]], url_path: str) -> list[Problem]:
    """The error of each meeting (name, file) of a set sharing `url_path`, in that order."""
    return [shared_url(name, [n for n, _ in named if n != name], url_path, file=file)
            for name, file in named]
