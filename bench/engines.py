"""Markdown engines measured on the whole corpus (the table in docs/decisions.md).

For each engine: throughput (MB/s of corpus Markdown to HTML, one core, best of 3), fidelity
(the share of corpus files whose HTML equals GitHub's cmark-gfm output once both are passed
through the same sanitiser and whitespace is collapsed), and safety (corpus files and hostile
inputs on which the engine crashed the process: each native engine runs every input in a
child process, so a Rust panic or a segfault is counted, not fatal).

    python -m bench.engines
"""
from __future__ import annotations

import multiprocessing
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import nh3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.corpus import corpus_files  # noqa: E402


def _markdown_it_py() -> Callable[[str], str]:
    from markdown_it import MarkdownIt
    md = MarkdownIt("commonmark", {"html": True, "linkify": True}).enable(["table", "strikethrough", "linkify"])
    return md.render


def _cmarkgfm() -> Callable[[str], str]:
    import cmarkgfm
    from cmarkgfm.cmark import Options
    return lambda text: cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_UNSAFE)


def _comrak() -> Callable[[str], str]:
    import comrak
    ext = comrak.ExtensionOptions(strikethrough=True, table=True, autolink=True, tasklist=True)
    render = comrak.RenderOptions(unsafe_=True)
    return lambda text: comrak.markdown_to_html(text, ext, None, render)


def _comrak_ast() -> Callable[[str], str]:
    """Parse to an AST with source positions (what the diagnostics would walk), then render."""
    import comrak
    ext = comrak.ExtensionOptions(strikethrough=True, table=True, autolink=True, tasklist=True)
    render = comrak.RenderOptions(unsafe_=True)
    return lambda text: comrak.format_html(comrak.parse_document(text, ext, None, render), ext, None, render)


def _pipeline() -> Callable[[str], str]:
    """What the pipeline does (minutes.render on comrak's AST, parsed once): ids, '#' links,
    defused raw HTML and nh3 included. To compare the text with GitHub's, headings keep the
    levels they were written with (a page demotes them under its title) and the '#' links
    beside them are taken off."""
    from minutes.markdown import TooDeep
    from minutes.links import without_heading_anchors
    from minutes.render import parse_markdown, render_markdown

    def render(text: str) -> str:
        try:
            parsed = parse_markdown(text)
        except TooDeep:
            return ""   # refused before the native parser sees it: a verdict, not a crash
        top = min((h.block.level for h in parsed.headings), default=1)
        return without_heading_anchors(render_markdown(text, parsed=parsed, top_level=top).html)
    return render


def _markdown_it_pyrs() -> Callable[[str], str]:
    from markdown_it_pyrs import MarkdownIt
    md = MarkdownIt("commonmark").enable_many(["table", "strikethrough", "linkify"])
    return md.render


ENGINES = {"markdown-it-py": _markdown_it_py, "cmarkgfm": _cmarkgfm, "comrak-ext": _comrak,
           "comrak-ext (AST)": _comrak_ast, "minutes.render (comrak AST + nh3)": _pipeline,
           "markdown-it-pyrs": _markdown_it_pyrs}
NATIVE = ("cmarkgfm", "comrak-ext", "comrak-ext (AST)", "minutes.render (comrak AST + nh3)",
          "markdown-it-pyrs")


def corpus_texts() -> list[str]:
    return [p.read_bytes().decode("utf-8", errors="replace")
            for k, p in corpus_files().items() if k.lower().endswith(".md")]


def hostile_texts() -> list[str]:
    from tests.unit.test_hostile import HOSTILE, NESTED
    return list(HOSTILE) + list(NESTED.values())


_SPACE = re.compile(r"\s+")


def normalised(fragment: str) -> str:
    """What a reader sees, roughly: the same sanitiser for every engine, ids and classes off."""
    clean = nh3.clean(fragment, attributes={"a": {"href"}, "img": {"src", "alt"}},
                      url_schemes={"http", "https", "mailto"})
    return _SPACE.sub(" ", clean).replace("> <", "><").strip()


def throughput(render: Callable[[str], str], texts: list[str]) -> float:
    size = sum(len(t.encode()) for t in texts)
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for text in texts:
            render(text)
        best = min(best, time.perf_counter() - started)
    return size / best / 1e6


def _child(name: str, texts: list[str], out) -> None:
    render = ENGINES[name]()
    for text in texts:
        render(text)
    out.put("ok")


def crashes(name: str, texts: list[str]) -> int:
    """Inputs on which `name` took its process down (each tried in a fresh child)."""
    count = 0
    ctx = multiprocessing.get_context("fork")
    for text in texts:
        queue = ctx.Queue()
        proc = ctx.Process(target=_child, args=(name, [text], queue))
        proc.start()
        proc.join(60)
        if proc.is_alive():
            proc.kill()
            count += 1
        elif proc.exitcode != 0:
            count += 1
    return count


def main(names: list[str] | None = None) -> int:
    """Every engine, or those named: python -m bench.engines ["minutes.render (comrak AST + nh3)"]"""
    corpus, hostile = corpus_texts(), hostile_texts()
    github = _cmarkgfm()
    reference = [normalised(github(t)) for t in corpus]
    size = sum(len(t.encode()) for t in corpus) / 1e6
    print(f"corpus: {len(corpus)} Markdown files, {size:.1f} MB; hostile inputs: {len(hostile)}")
    print("| engine | MB/s | same as GitHub (cmark-gfm) | crashed on corpus | crashed on hostile |")
    print("|---|---:|---:|---:|---:|")
    for name, make in ENGINES.items():
        if names and name not in names:
            continue
        native = name in NATIVE
        corpus_crashes = crashes(name, corpus) if native else 0
        hostile_crashes = crashes(name, hostile) if native else 0
        if corpus_crashes:   # it cannot be run in-process on the corpus: no speed, no fidelity
            print(f"| {name} | - | - | {corpus_crashes} | {hostile_crashes} |", flush=True)
            continue
        render = make()
        same = sum(normalised(render(t)) == ref for t, ref in zip(corpus, reference))
        print(f"| {name} | {throughput(render, corpus):.1f} | {same}/{len(corpus)} | "
              f"{corpus_crashes} | {hostile_crashes} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
