"""comrak_html.clean writes what nh3 writes, byte for byte, for every page it accepts: every
corpus document, every hostile input (each alone and inside a page), and generated markup that
aims at its edges (URLs, entities, titles, tables, task lists, headings). It must accept most
pages (else it is no fast path) and refuse what it cannot be sure of."""
from __future__ import annotations

import random

import pytest

from minutes import comrak_html, document, render
from minutes.markdown import parse
from test_hostile import HOSTILE, assert_safe_html
from tests.support.corpus import CORPUS


def both(text: str, monkeypatch) -> tuple[render.Rendered, render.Rendered, bool]:
    """The page rendered through the fast path (when render takes it) and through nh3 alone;
    and whether the fast path's output was used."""
    resolve = {"notes.pdf": "/g/2024-05-07-x/notes.pdf", "a b.png": "/g/2024-05-07-x/a%20b.png",
               "x&y.md": "/g/2024-05-07-y/"}.get
    used = []
    real = comrak_html.clean

    def spy(raw, attribute_filter):
        out = real(raw, attribute_filter)
        used.append(out is not None)
        return out

    monkeypatch.setattr(comrak_html, "clean", spy)
    fast = render.render_markdown(text, resolve_link=resolve)
    monkeypatch.setattr(comrak_html, "clean", lambda raw, attribute_filter: None)
    slow = render.render_markdown(text, resolve_link=resolve)
    monkeypatch.setattr(comrak_html, "clean", real)
    return fast, slow, any(used)


def assert_same(text: str, monkeypatch) -> bool:
    fast, slow, used = both(text, monkeypatch)
    assert fast.html == slow.html, text[:300]
    assert fast.missing_links == slow.missing_links and fast.links == slow.links
    return used


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not here")
def test_every_corpus_document_renders_as_nh3_writes_it_and_most_take_the_fast_path(monkeypatch):
    fast = total = 0
    for path in sorted(CORPUS.rglob("*.md")):
        text, _ = document.read_text(path.read_bytes(), 10_000_000)
        total += 1
        fast += assert_same(text, monkeypatch)
    assert total >= 290 and fast >= 0.8 * total, (fast, total)


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_inputs_render_as_nh3_writes_them(payload, monkeypatch):
    for text in (payload, f"# Title\n\nBefore {payload} after.\n\n- {payload}\n\n> {payload}\n"):
        assert_same(text, monkeypatch)
        assert_safe_html(render.render_markdown(text).html)


URLS = ["http://x.org/a?b=1&c=2#f", "https://x.org", "HTTPS://X.ORG/", "mailto:a@b.org",
        "mailto:a@b.org?subject=a%20b", "notes.pdf", "a b.png", "<a b.png>", "x&y.md", "x&amp;y.md",
        "?page=2", "#top", "/abs/path", "//evil.example/x", "../up/x.md", "javascript:alert(1)",
        "JaVaScRiPt:x", "data:text/html,x", "ftp://x.org", "http://x%20y", "http://ü.example/ä",
        "http://[::1]/", "http://x.org:99999/", "it's.md", "a\"b.md", "C:\\x", "", "<>",
        "http://x.org/\u00a0", "%6Aavascript:x", "&#106;avascript:x", "a(b).md", "http:x",
        "http://", "mailto:", "tel:123", "x:y", "www.example.org"]
TITLES = ["", ' "t"', " 'it''s'", ' "a &amp; b < c > d"', ' "q\\" x"', " (paren)", ' "\u00a0"']
TEXTS = ["plain", "a & b", "a &amp; b", "x < y > z", '"quoted"', "it's", "&copy; &nbsp; &#39;",
         "\u00a0nbsp", "*em* **strong** ~~del~~", "`code \" & <x>`", "www.auto.example/x",
         "https://auto.example/?a=1&b=2", "a@b.example", "Vec<T>", "<!-- note -->", "a  \nb",
         "\\<escaped\\>", "&#0;", "\ufffd", "tab\there", "ctl\x01\x0b\x0c\x7f", "cr\rlf"]

INFOS = ["", "py", "a&b", 'x"y', "it's", "c++ {.x}"]


def generated_pages(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    pages = []
    # Every other page keeps to text without raw HTML and to URLs kept as written, so that the
    # fast path is taken often; the others mix in everything.
    plain_texts = [t for t in TEXTS if "<" not in t]
    for at in range(count):
        texts, urls = (TEXTS, URLS) if at % 2 else (plain_texts, URLS[:14])
        lines = []
        for _ in range(rng.randint(3, 12)):
            text, url, title = rng.choice(texts), rng.choice(urls), rng.choice(TITLES)
            link = f"[{text}]({url}{title})" if rng.random() < 0.5 else f"![{text}]({url}{title})"
            lines.append(rng.choice([
                f"{text} {link} {rng.choice(texts)}", f"## {text} {link}", f"- [ ] {link}",
                f"- [x] {text}", f"1. {link}\n2. {text}", f"7) {text}",
                f"| a | {text} |\n|:-|-:|\n| {link} | b |", f"> {text} {link}",
                f"```{rng.choice(INFOS)}\n{text}\n```",
                "---", f"[{text}][r]\n\n[r]: {url}{title}", f"<{url}>", f"    {text}",
                f"{text}\n===",
            ]))
        pages.append("\n\n".join(lines) + "\n")
    return pages


def test_generated_markup_renders_as_nh3_writes_it(monkeypatch):
    pages = generated_pages(600, seed=29)
    used = sum(assert_same(page, monkeypatch) for page in pages)
    assert used >= 200, used     # the fast path is exercised, not only refused


@pytest.mark.parametrize("text", [
    "[x](http://x%20y)", "[x](javascript:alert(1))", "[x](http://ü.example/)",
    "[x](ftp://x.org)", "[x](http://x.org:99999/)", "[x](http://1.2.3.999/)"])
def test_what_it_is_not_sure_of_goes_through_nh3(text, monkeypatch):
    fast, slow, used = both(text, monkeypatch)
    assert not used and fast.html == slow.html


@pytest.mark.parametrize("raw", [
    '<p>a</p><script>x</script>', '<p onclick="x">a</p>', '<a href="x" onclick="y">a</a>',
    '<div>x</div>', '<p>a &copy; b</p>', '<p>a > b</p>', '<img src="x" alt="y">',
    '<a href="javascript:x">a</a>', '<p>a\rb</p>', '<p>a\x00b</p>', '<p>&#39;</p>'])
def test_anything_but_comrak_shapes_is_refused(raw):
    assert comrak_html.clean(raw, lambda tag, attr, value: value) is None


def test_a_page_with_raw_html_never_takes_the_fast_path(monkeypatch):
    for text in ("<p>open", "a <em>b", "x\n\n<div>\n\ny\n", "Vec<T> here", "<b>x</b>"):
        assert parse(text).raw_html
        assert not both(text, monkeypatch)[2]
    for text in ("<!-- a comment -->\n\ntext", "a <!-- x --> b"):
        assert not parse(text).raw_html


def test_a_relative_link_is_resolved_by_each_page_while_the_rest_is_remembered():
    """The memo holds only what the tag alone decides: the same relative link on two pages
    goes through each page's filter (each resolves and records its own missing files)."""
    raw = ('<p><a href="notes.pdf">n</a> <a href="https://x.org/a">x</a>'
           ' <a class="header-anchor" href="#top">#</a> <img src="/g/a.png" alt="a" /></p>')
    asked = []

    def resolver(target):
        def attribute_filter(tag, attr, value):
            asked.append((target, value))
            return target
        return attribute_filter

    first = comrak_html.clean(raw, resolver("/g/one/notes.pdf"))
    second = comrak_html.clean(raw, resolver("/g/two/notes.pdf"))
    assert 'href="/g/one/notes.pdf" rel="noopener"' in first
    assert 'href="/g/two/notes.pdf" rel="noopener"' in second
    assert asked == [("/g/one/notes.pdf", "notes.pdf"), ("/g/two/notes.pdf", "notes.pdf")]
    assert first.replace("/g/one/", "/g/two/") == second
    assert '<a href="https://x.org/a" rel="noopener">' in second
    assert '<a class="header-anchor" href="#top" rel="noopener">' in second
    assert '<img src="/g/a.png" alt="a">' in second
    assert "notes.pdf" not in "".join(comrak_html._SAME_ON_EVERY_PAGE)


def test_the_memo_stays_bounded_and_a_refused_tag_stays_refused(monkeypatch):
    monkeypatch.setattr(comrak_html, "_MEMO_SIZE", 8)
    for n in range(50):
        page = f'<p><a href="https://x.org/{n}">x</a></p>'
        assert comrak_html.clean(page, lambda tag, attr, value: value) == \
            f'<p><a href="https://x.org/{n}" rel="noopener">x</a></p>'
        assert len(comrak_html._SAME_ON_EVERY_PAGE) <= 8
    long = "https://x.org/" + "a" * 600   # a long tag is worked out each time, never kept
    assert comrak_html.clean(f'<p><a href="{long}">x</a></p>', lambda tag, attr, value: value) == \
        f'<p><a href="{long}" rel="noopener">x</a></p>'
    assert long not in "".join(comrak_html._SAME_ON_EVERY_PAGE)
    for _ in range(2):   # refused, then refused again from the memo
        assert comrak_html.clean('<p><a href="javascript:x">a</a></p>', lambda *a: a[2]) is None
