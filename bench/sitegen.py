"""A seeded generator of realistic minutes for the build benchmark, and the same content as a
minimal Hugo site (the anchor). Generated into a temporary folder, never committed.

Each meeting is ~10 KB of real minutes: sections (a heading and what follows it, up to the
next heading) drawn from the corpus, with YAML front matter giving title and date. Meetings
are spread over many groups that meet weekly, so listings, feeds and prev/next all have work.
The same seed gives the same bytes.
"""
from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
GROUPS = 20
TARGET_BYTES = 10_000
_WORDS = ("api", "arch", "docs", "infra", "release", "security", "storage", "network", "ux",
          "testing", "compiler", "runtime", "perf", "tooling", "community", "governance",
          "data", "models", "edge", "mobile", "web", "auth", "cli", "build")
_KINDS = ("weekly", "sync", "community-meeting", "triage", "planning")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^#{1,6}\s")


@dataclass(frozen=True)
class Generated:
    minutes: Path       # SRC for `minutes build`: <group>/<date>-<slug>.md
    hugo: Path          # a Hugo site with the same content
    meetings: int
    bytes: int
    keys: tuple[str, ...]   # "<group>/<date>-<slug>.md", in generation order


def sections() -> list[str]:
    """Every corpus document cut into sections at headings outside code fences (front matter
    and HTML exports left out); H1s dropped, since the title comes from the front matter."""
    found: list[str] = []
    for path in sorted(CORPUS.rglob("*.md")):
        text = path.read_text("utf-8", errors="replace").replace("\r\n", "\n")
        if path.name == "README.md" and path.parent == CORPUS or text.lstrip().startswith("<"):
            continue
        if text.startswith("---\n") and (end := text.find("\n---\n", 4)) > 0:
            text = text[end + 5:]
        current: list[str] = []
        fence = None
        for line in text.split("\n"):
            marker = _FENCE.match(line)
            if marker and (fence is None or marker.group(1)[0] == fence[0]):
                fence = None if fence else marker.group(1)
            if fence is None and _HEADING.match(line) and current:
                found.append("\n".join(current).strip("\n"))
                current = []
            if fence is None and line.startswith("# "):
                continue
            current.append(line)
        if current and fence is None:
            found.append("\n".join(current).strip("\n"))
    return [s for s in found if 40 <= len(s.encode()) <= 6_000]


def generate(out: Path, meetings: int, *, seed: int = 9) -> Generated:
    rng = random.Random(seed)
    pool = sections()
    groups = sorted({f"wg-{w}" for w in rng.sample(_WORDS, GROUPS)})
    starts = {g: dt.date(2014, 1, 6) + dt.timedelta(days=rng.randrange(0, 7)) for g in groups}
    minutes, hugo = out / "minutes", out / "hugo"
    _hugo_skeleton(hugo, groups)
    keys, total = [], 0
    for i in range(meetings):
        group = groups[i % GROUPS]
        date = starts[group] + dt.timedelta(weeks=i // GROUPS)
        kind = rng.choice(_KINDS)
        body, size = [], 0
        while size < rng.randint(TARGET_BYTES * 7 // 10, TARGET_BYTES * 13 // 10):
            part = rng.choice(pool)
            body.append(part)
            size += len(part.encode()) + 2
        title = f"{group} {kind.replace('-', ' ')} {date.isoformat()}"
        text = f'---\ntitle: "{title}"\ndate: {date.isoformat()}\n---\n\n' + "\n\n".join(body) + "\n"
        key = f"{group}/{date.isoformat()}-{kind}.md"
        for target in (minutes / key, hugo / "content" / key):
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, "utf-8")
        keys.append(key)
        total += len(text.encode())
    return Generated(minutes, hugo, meetings, total, tuple(keys))


def touch_one(generated: Generated, *, seed: int = 9) -> str:
    """Change one meeting's text (in both trees), as a scribe's correction would."""
    key = random.Random(seed).choice(generated.keys)
    for root in (generated.minutes, generated.hugo / "content"):
        path = root / key
        path.write_text(path.read_text("utf-8") + "\n- Correction: one more action item.\n", "utf-8")
    return key


_CONFIG = """\
baseURL = "https://bench.example.org/"
title = "Meeting minutes"
languageCode = "en"
disableKinds = ["taxonomy", "term"]
[pagination]
  pagerSize = 20
[services.rss]
  limit = 50
[markup.goldmark.renderer]
  unsafe = false
"""
_BASEOF = """\
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }} — {{ site.Title }}</title>
{{ with .OutputFormats.Get "rss" }}<link rel="alternate" type="application/rss+xml" href="{{ .Permalink }}">{{ end }}
</head><body><header><a href="{{ site.Home.RelPermalink }}">{{ site.Title }}</a></header>
<main>{{ block "main" . }}{{ end }}</main></body></html>
"""
_SUMMARIES = """\
{{ range .Paginator.Pages }}
<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 January 2006" }}</time>
<p>{{ .Summary | plainify | truncate 240 }}</p></article>
{{ end }}
{{ with .Paginator }}<nav>{{ with .Prev }}<a href="{{ .URL }}">Newer</a>{{ end }}
Page {{ .PageNumber }} of {{ .TotalPages }}
{{ with .Next }}<a href="{{ .URL }}">Older</a>{{ end }}</nav>{{ end }}
"""
_HOME = """\
{{ define "main" }}<h1>{{ site.Title }}</h1>
{{ $p := .Paginate (where site.RegularPages.ByDate.Reverse "Type" "ne" "") }}
""" + _SUMMARIES + "{{ end }}\n"
_LIST = """\
{{ define "main" }}<h1>{{ .Title }}</h1>
{{ $p := .Paginate .Pages.ByDate.Reverse }}
""" + _SUMMARIES + "{{ end }}\n"
_SINGLE = """\
{{ define "main" }}<article><h1>{{ .Title }}</h1>
<time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 January 2006" }}</time>
{{ .TableOfContents }}
{{ .Content }}</article>
<nav>{{ with .PrevInSection }}<a href="{{ .RelPermalink }}">Older: {{ .Title }}</a>{{ end }}
{{ with .NextInSection }}<a href="{{ .RelPermalink }}">Newer: {{ .Title }}</a>{{ end }}</nav>
{{ end }}
"""
# Full content in the feed, as minutes' feeds carry it.
_RSS = """\
{{- printf "<?xml version=\\"1.0\\" encoding=\\"utf-8\\"?>" | safeHTML }}
<rss version="2.0"><channel><title>{{ .Title }} — {{ site.Title }}</title><link>{{ .Permalink }}</link>
<description>Meeting minutes</description>
{{- $pages := .RegularPages.ByDate.Reverse }}{{ if .IsHome }}{{ $pages = site.RegularPages.ByDate.Reverse }}{{ end }}
{{- range first 50 $pages }}
<item><title>{{ .Title }}</title><link>{{ .Permalink }}</link><guid>{{ .Permalink }}</guid>
<pubDate>{{ .Date.Format "Mon, 02 Jan 2006 15:04:05 -0700" | safeHTML }}</pubDate>
<description>{{ .Summary | transform.XMLEscape | safeHTML }}</description>
<content:encoded>{{ .Content | transform.XMLEscape | safeHTML }}</content:encoded></item>
{{- end }}
</channel></rss>
"""


def _hugo_skeleton(site: Path, groups: list[str]) -> None:
    files = {"hugo.toml": _CONFIG, "layouts/baseof.html": _BASEOF, "layouts/home.html": _HOME,
             "layouts/list.html": _LIST, "layouts/single.html": _SINGLE, "layouts/rss.xml": _RSS}
    files.update({f"content/{g}/_index.md": f'---\ntitle: "{g}"\n---\n' for g in groups})
    for name, text in files.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text, "utf-8")
