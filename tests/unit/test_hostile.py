"""Hostile input: nothing a scribe uploads may run script in a reader's browser, break out of a
one-line field, write outside its page, or exhaust time, memory or the stack (issue 4).

`assert_safe_html` walks the output with a real HTML parser (the way a browser tokenises it),
so a payload that a string search would miss (entities, mixed case, odd spacing) is caught.
"""
from __future__ import annotations

import contextlib
import re
import sys
import time
import tracemalloc
import types
from html.parser import HTMLParser
from pathlib import Path

import pytest

from minutes.build import write_site
from minutes.document import parse_document
from minutes.meeting import SourceFile, assemble
from minutes.problems import MinutesError, Rejected
from minutes.render import render_markdown
from minutes.site import SiteFile

KEY = "minutes/g/2024-05-07-hostile.md"
FORBIDDEN_ELEMENTS = {"script", "style", "iframe", "frame", "frameset", "object", "embed", "applet",
                      "svg", "math", "base", "meta", "link", "form", "button", "textarea", "select",
                      "option", "template", "noscript", "xmp", "plaintext", "portal", "param"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster",
                  "background", "cite", "lowsrc", "dynsrc", "longdesc", "ping", "manifest", "codebase"}
SAFE_SCHEMES = {"http", "https", "mailto"}
# What a browser ignores inside a URL before it reads the scheme (WHATWG URL parser).
_URL_IGNORED = re.compile(r"[\x00-\x20\x7f]")


class _Walker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_comment(self, data):
        self.problems.append(f"comment left in: <!--{data[:40]}-->")

    def _check(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FORBIDDEN_ELEMENTS:
            self.problems.append(f"<{tag}> element")
        values = dict(attrs)
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> event handler")
            if name in URL_ATTRIBUTES or name == "srcset":
                for url in (value.split(",") if name == "srcset" else [value]):
                    self._check_url(tag, name, url)
            if name == "style" and re.search(r"expression|url\s*\(|javascript|@import|behavior",
                                             value, re.I):
                self.problems.append(f"<{tag} style={value!r}>")
        if tag == "input" and (values.get("type") != "checkbox" or "disabled" not in values):
            self.problems.append(f"<input {values}> that a reader could type into")

    def _check_url(self, tag: str, name: str, url: str) -> None:
        cleaned = _URL_IGNORED.sub("", url).lower()
        scheme = re.match(r"^([a-z][a-z0-9+.-]*):", cleaned)
        if scheme and scheme.group(1) not in SAFE_SCHEMES:
            self.problems.append(f"<{tag} {name}={url!r}> scheme {scheme.group(1)}")


def unsafe_parts(html: str) -> list[str]:
    walker = _Walker()
    walker.feed(html)
    walker.close()
    return walker.problems


def assert_safe_html(html: str) -> None:
    problems = unsafe_parts(html)
    assert not problems, f"{problems} in {html[:500]!r}"


def test_the_walker_itself_catches_what_it_should():
    assert unsafe_parts('<a href="&#106;ava&#x09;script:x">') and unsafe_parts("<SCRIPT>")
    assert unsafe_parts('<img src=x OnError=y>') and unsafe_parts("<svg/onload=x>")
    assert unsafe_parts('<input type=text>') and unsafe_parts("<!-- x -->")
    assert not unsafe_parts('<a href="/x">a</a><a href="HTTPS://e.org">b</a><a href="#f">c</a>'
                            '<a href="mailto:a@b">d</a><img src="pic.png" alt="">')


HOSTILE = [
    # script tags
    "<script>alert(1)</script>", "<SCRIPT SRC=//evil.js></SCRIPT>", "<script/x>alert(1)</script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>", "a <script>alert(1)</script> b",
    "text\n\n<script>\nalert(1)\n</script>\n", "<<script>script>alert(1)<</script>/script>",
    # event handlers
    "<img src=x onerror=alert(1)>", "<img src=x OnErRoR=alert(1)>", "<img/src=x/onerror=alert(1)>",
    "<body onload=alert(1)>", "<details open ontoggle=alert(1)>", "<a href=x onmouseover=alert(1)>x</a>",
    "<div onclick='alert(1)'>x</div>", "<x onclick=alert(1)>hi</x>", "<Vec<T> onclick=alert(1)>",
    '<img src="x" alt="a" title="\'onerror=alert(1)">', "<video><source onerror=alert(1)></video>",
    "<marquee onstart=alert(1)>x</marquee>", "<p style=x onmouseover=alert(1)>x</p>",
    # javascript:, data:, vbscript: URLs, however written
    '<a href="javascript:alert(1)">x</a>', '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>', '<a href="&#x6A;&#x61;vascript&colon;alert(1)">x</a>',
    '<a href="&#0000106&#0000097vascript:alert(1)">x</a>', '<a href="java\tscript:alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>', '<a href=" \x01javascript:alert(1)">x</a>',
    '<a href="javas&#x09;cript:alert(1)">x</a>', "<a href=javascript&#58;alert(1)>x</a>",
    "[x](javascript:alert(1))", "[x](JAVASCRIPT:alert(1))", "[x](&#106;avascript:alert(1))",
    "[x](<javascript:alert(1)>)", "[x](java%0ascript:alert(1))", "<javascript:alert(1)>",
    "[a]: javascript:alert(1)\n\n[a]", "[a][b]\n\n[b]: JaVaScRiPt:alert(1)",
    "![x](javascript:alert(1))", "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](data:image/png;base64,iVBORw0KGgo=)", "[x](data:text/html;base64,PHNjcmlwdD4=)",
    '<a href="data:text/html,<script>alert(1)</script>">x</a>', '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    '<a href="vbscript:msgbox(1)">x</a>', "[x](vbscript:msgbox(1))", "[x](VBScript:msgbox(1))",
    '<a href="livescript:x">x</a>', '<a href="file:///etc/passwd">x</a>', '<img srcset="javascript:alert(1) 1x">',
    '<a xlink:href="javascript:alert(1)">x</a>', '<img src="jav&#x0A;ascript:alert(1)">',
    "<http://x.y/\"onmouseover=\"alert(1)>", "www.x.com/\"onclick=alert(1)",
    '[x](http://a "title\\" onmouseover=\\"alert(1)")', '![x](y.png "onerror=alert(1)")',
    # SVG and MathML
    "<svg><script>alert(1)</script></svg>", "<svg onload=alert(1)>", "<svg><a xlink:href=javascript:alert(1)><text>x</text></a></svg>",
    "<svg><use href=\"data:image/svg+xml,<svg id='x' onload='alert(1)'/>#x\"/></svg>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>", "<svg><foreignObject><script>alert(1)</script></foreignObject></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<math href=javascript:alert(1)>x</math>",
    # CSS
    "<style>body{background:expression(alert(1))}</style>", "<style>@import 'javascript:alert(1)';</style>",
    '<div style="width:expression(alert(1))">x</div>', '<td style="background:url(javascript:alert(1))">',
    '<table><tr><td style="text-align:left;background:url(javascript:x)">a</td></tr></table>',
    '<table><tr><th style="text-align:center;behavior:url(x.htc)">a</th></tr></table>',
    '<span style="-moz-binding:url(x)">x</span>', '<img src=x style="x:expression(alert(1))">',
    # embedding
    '<iframe src="http://evil"></iframe>', '<iframe srcdoc="<script>alert(1)</script>">',
    '<object data="x.swf"></object>', '<embed src="x.swf">', '<applet code=x>', '<frameset><frame src=x>',
    '<portal src=x>', '<object><param name=x value=javascript:alert(1)></object>',
    # comments hiding markup
    "<!-- --><script>alert(1)</script>", "<!--<img src=x onerror=alert(1)>-->",
    "<!-- a --!><img src=x onerror=alert(1)>", "<!--[if IE]><script>alert(1)</script><![endif]-->",
    "<!--><img src=x onerror=alert(1)>-->", "text <!-- unterminated <script>alert(1)</script>",
    "<!-- x -- y --><img src=x onerror=alert(1)>", "<![CDATA[<script>alert(1)</script>]]>",
    # base, meta, link
    '<base href="http://evil/">', '<meta http-equiv="refresh" content="0;url=http://evil">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">', '<link rel=import href=x>',
    '<link rel="stylesheet" href="http://evil/x.css">',
    # forms and inputs
    '<form action="http://evil"><input name=p type=password><button>go</button></form>',
    '<input type="text" value="x">', '<input type="checkbox" onclick="alert(1)" class="a>b">',
    '<button formaction=javascript:alert(1)>x</button>', '<textarea>x</textarea>', '<select><option>x</select>',
    '<input type="image" src="javascript:alert(1)">', '<isindex action=javascript:alert(1) type=image>',
    # mutation and parser differentials
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<template><script>alert(1)</script></template>', "<xmp><img src=x onerror=alert(1)></xmp>",
    "<plaintext><img src=x onerror=alert(1)>", "<title><img src=x onerror=alert(1)></title>",
    "<div>\n\n[x](javascript:alert(1))\n\n</div>", "<details>\n\n<script>alert(1)</script>\n\n</details>",
    "# <script>alert(1)</script> title\n", "| a |\n|---|\n| <img src=x onerror=alert(1)> |\n",
    "- [ ] <input type=text>\n", "`</code><script>alert(1)</script>`", "```\n</pre><script>alert(1)</script>\n```",
    "<a href='x'>unclosed <b>tags <i>everywhere", "</div></p></body></html><script>alert(1)</script>",
    "<img src=`x` onerror=alert(1)>", "<img \"\"\"><script>alert(1)</script>\">",
    "<a href=\"http://ok\" target=_blank>x</a>", "<a href=\"//evil.example/\">x</a>",
    # URLs urllib cannot read (an unclosed IPv6 host makes urljoin/urlsplit raise), as text,
    # code, links, images and raw HTML: every page, feed and email must still be made
    'text href="//[oops" x and `src="x://[y"` and cite="//["', "[a](//[x) [b](http://[q/agenda.pdf)",
    "![p](//[x.png) <img src=\"//[y.png\" alt=\"\">", '<a href="//[x">y</a> <a href="https://[h/x.pdf">z</a>',
    "<https://[auto/x> <a href=\"mailto://[m\">m</a>",
]


@pytest.mark.parametrize("payload", HOSTILE)
def test_no_hostile_markup_survives_rendering(payload):
    for text in (payload, f"# Title\n\nBefore {payload} after.\n\n- {payload}\n\n> {payload}\n"):
        assert_safe_html(render_markdown(text).html)


@pytest.mark.parametrize("payload", HOSTILE)
def test_no_hostile_markup_survives_a_folder_meeting(payload):
    folder = "minutes/g/2024-05-07-x/"
    files = [SourceFile(folder + "NOTES.md", f"# T\n\n{payload}\n\n- a\n- b\n".encode()),
             SourceFile(folder + "AGENDA.md", f"1. {payload}\n".encode())]
    assembled = assemble(files, site_host="h")   # control characters are removed, not refused
    assert_safe_html(assembled.record.content_html)
    # Title and summary are plain text (the templates escape them); they must stay one line.
    assert "\n" not in assembled.record.title and "\n" not in assembled.record.summary


def test_tag_like_text_stays_text_not_markup():
    html = render_markdown("Vec<T> <x onclick=alert(1)>hi</x>\n").html
    assert "Vec&lt;T&gt;" in html and "&lt;x onclick=alert(1)&gt;" in html
    assert_safe_html(html)


# --- one-line fields ---------------------------------------------------------------------

@pytest.mark.parametrize("front", [
    'title: "Weekly\\r\\nBcc: victim@example.org"', 'title: "a\\rb\\nc\\u2028d\\x85e"',
    "title: |\n  line one\n  line two", "summary: |\n  a\n  b"])
def test_a_title_with_cr_lf_stays_one_line(front):
    doc = parse_document(f"---\n{front}\n---\n# Heading\n\n- a\n- b\n".encode(), key=KEY)
    for value in (doc.title, doc.summary or ""):
        assert "\r" not in value and "\n" not in value and len(value.splitlines()) <= 1


def test_a_setext_title_over_several_lines_stays_one_line():
    doc = parse_document(b"Weekly\r\nBcc: x@example.org\r\n===\r\n\r\ntext\r\n", key=KEY)
    assert doc.title == "Weekly Bcc: x@example.org"


# --- YAML --------------------------------------------------------------------------------

BILLION_LAUGHS = """---
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
title: *i
---
# T
"""


# Costs are bounded by what can be counted (bytes allocated) or by a ratio to ordinary minutes
# measured in the same test, in this process's CPU time: never by wall time, which other work
# on the machine stretches.

def cpu_seconds(work, *, runs: int = 3) -> float:
    """The least CPU time of this process that `work` took in `runs` runs."""
    best = float("inf")
    for _ in range(runs):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def prose(size: int) -> bytes:
    """Ordinary minutes of `size` bytes: the anchor."""
    paragraph = "We agreed on the plan; Ada will write it up by Friday.\n\n"
    return ("# T\n\n" + paragraph * (size // len(paragraph) + 1))[:size].encode()


@contextlib.contextmanager
def peak_memory():
    """The most memory Python held at once inside the block, beyond what it held before."""
    found = types.SimpleNamespace(bytes=0)
    tracemalloc.start()
    try:
        yield found
    finally:
        found.bytes = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


def test_a_yaml_alias_bomb_is_rejected_without_expanding_it():
    with peak_memory() as peak, pytest.raises(Rejected) as caught:
        parse_document(BILLION_LAUGHS.encode(), key=KEY)
    assert peak.bytes < 1_000_000, "9^9 'lol's expanded would take gigabytes"
    assert [(p.code, p.line) for p in caught.value.problems] == [("front-matter-yaml", 3)]


@pytest.mark.parametrize("value", ["!!python/object:os.system ['id']",
                                   "!!python/object/apply:os.system ['id']",
                                   "!!python/object/new:subprocess.Popen [['id']]",
                                   "!!python/name:os.system", "!!python/module:os"])
def test_python_yaml_tags_are_rejected(value):
    with pytest.raises(Rejected) as caught:
        parse_document(f"---\ntitle: {value}\n---\n# T\n".encode(), key=KEY)
    assert caught.value.problems[0].code == "front-matter-yaml"


@pytest.mark.parametrize("value", ["[" * 5000 + "]" * 5000, "{a: " * 5000 + "x" + "}" * 5000])
def test_deeply_nested_yaml_is_too_deep_not_a_crash(value):
    with pytest.raises(Rejected) as caught:
        parse_document(f"---\ntags: {value}\n---\n# T\n".encode(), key=KEY)
    problem = caught.value.problems[0]
    assert (problem.code, problem.line) == ("too-deep", 2) and problem.hint


def test_moderately_nested_yaml_is_just_a_wrong_type_left_out():
    doc = parse_document(("---\ntags: " + "[" * 50 + "]" * 50 + "\n---\n# T\n").encode(), key=KEY)
    assert [p.code for p in doc.problems if p.code.startswith("front")] == ["front-matter-type"]
    assert doc.tags == ()


# --- size, depth, time -------------------------------------------------------------------

NESTED = {
    "lists": "- " * 10_000 + "x\n",
    "ordered lists": "1. " * 10_000 + "x\n",
    "blockquotes": "> " * 10_000 + "x\n",
    "blockquotes, no spaces": ">" * 10_000 + " x\n",
    "quotes and lists": "> - 1. " * 3_400 + "x\n",
    "blockquote lines": "".join(">" * i + " x\n" for i in range(1, 1_001)),
    "indented lists": "".join("  " * i + "- x\n" for i in range(1_000)),
    "emphasis": "*" * 10_000 + "x" + "*" * 10_000 + "\n",
    "links": "[" * 10_000 + "x" + "](y)" * 10_000 + "\n",
    "images": "![" * 10_000 + "x" + "](y)" * 10_000 + "\n",
    "html divs": "<div>" * 10_000 + "x\n",
    "html details": "<details>" * 10_000 + "x\n",
    "html spans": "x <span>" * 10_000 + "\n",
    "html tables": "<table><tr><td>" * 3_000 + "x\n",
}


@pytest.mark.parametrize("name", NESTED)
def test_deep_nesting_renders_or_is_rejected_as_too_deep(name):
    limit = sys.getrecursionlimit()
    data = ("# T\n\n" + NESTED[name]).encode()
    try:
        assembled = assemble([SourceFile(KEY, data)], site_host="h")
    except Rejected as rejected:
        problem = rejected.problems[0]
        assert (problem.code, problem.is_error) == ("too-deep", True), rejected.problems
        assert problem.line and "nest" in problem.hint.lower()
    else:
        assert_safe_html(assembled.record.content_html)
    assert sys.getrecursionlimit() == limit
    # No blow-up: at most a bounded multiple of ordinary minutes of the same size. Measured
    # 20-60x for 10,000 nested <div>s (nh3 builds 10,000 elements where prose has a few; 60x in
    # a fresh clone's run); a quadratic walk over 10,000 levels would be thousands.
    nested = cpu_seconds(lambda: _assembled_or_rejected(data))
    assert nested <= 200 * cpu_seconds(lambda: _assembled_or_rejected(prose(len(data)))), name


def _assembled_or_rejected(data: bytes) -> None:
    try:
        assemble([SourceFile(KEY, data)], site_host="h")
    except Rejected:
        pass


@pytest.mark.parametrize("word", ["x", "a@", "a.", "@", "http://", "www."])
def test_one_long_word_costs_in_proportion_to_its_length(word):
    """A word with no space in it, of any length, is not rescanned from every character (the
    summary's address pattern once was: 30,000 letters took 20 s)."""
    def minutes(length: int) -> bytes:
        return ("# T\n\nSome words first. " + word * (length // len(word)) + "\n").encode()

    short = cpu_seconds(lambda: _assembled_or_rejected(minutes(10_000)))
    long = cpu_seconds(lambda: _assembled_or_rejected(minutes(40_000)))
    assert long <= 8 * short + 0.005, "4x longer: linear costs 4x, quadratic 16x"


def test_too_deep_says_where():
    with pytest.raises(Rejected) as caught:
        parse_document(("# T\n\nfine\n\n" + "> " * 100 + "x\n").encode(), key=KEY)
    problem = caught.value.problems[0]
    assert (problem.code, problem.line, problem.column) == ("too-deep", 5, 1)


def links(lines: int) -> bytes:
    return ("# Links\n\n" + "\n".join(" ".join(f"[l](p{j})" for j in range(10))
                                     for _ in range(lines))).encode()


def test_links_up_to_the_limit_all_render_and_a_hundred_thousand_are_refused_before_parsing():
    assembled = assemble([SourceFile(KEY, links(990))], site_host="h")
    assert assembled.record.content_html.count("<a ") == 9_900
    with pytest.raises(Rejected) as caught:
        assemble([SourceFile(KEY, links(10_000))], site_host="h")
    assert [p.code for p in caught.value.problems] == ["too-complex"]
    # Refusing ten times the limit costs less than rendering the limit (measured: a fifth).
    assert cpu_seconds(lambda: _assembled_or_rejected(links(10_000))) < \
        cpu_seconds(lambda: _assembled_or_rejected(links(990)))


def test_a_file_over_the_limit_is_refused_before_any_work():
    data = b"[" * (50 * 1024 * 1024)
    with peak_memory() as peak, pytest.raises(Rejected) as caught:
        parse_document(data, key=KEY)
    assert caught.value.problems[0].code == "too-large"
    assert peak.bytes < 1_000_000, "the 50 MB were neither copied nor decoded"


# --- paths -------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["minutes/g/../../x.md", "minutes/g/%2e%2e/%2e%2e/x.md",
                                 "minutes/g/%2E%2E%2F%2E%2E%2Fx.md", "minutes/../site/index.md",
                                 "minutes/g/2024-05-07-x/..%5c..%5cx.md"])
def test_key_based_path_traversal_is_rejected(key):
    with pytest.raises(Rejected) as caught:
        assemble([SourceFile(key, b"# T\n")], site_host="h")
    assert {p.code for p in caught.value.problems} <= {"key-shape", "group-name"}


@pytest.mark.parametrize("name", ["..%2f..%2fevil.pdf", "%2e%2e%2f%2e%2e%2fevil.pdf",
                                  "%252e%252e%252fevil.pdf", "..%5c..%5cevil.pdf"])
def test_an_attachment_name_with_encoded_traversal_is_rejected(name: str):
    folder = "minutes/g/2024-05-07-x/"
    with pytest.raises(Rejected) as caught:
        assemble([SourceFile(folder + "NOTES.md", b"# T\n\na\nb\nc\n"),
                  SourceFile(folder + name, b"%PDF-1.4\n")], site_host="h")
    assert [p.code for p in caught.value.problems] == ["key-shape"]


@pytest.mark.parametrize("name", ["....pdf", ".pdf", "a%00.pdf", "%2e%2e.pdf", "100%.pdf",
                                  "a%2fb.pdf", "[Public] a b+c#d?.pdf", "..pdf"])
def test_an_attachment_name_cannot_escape_its_page_folder(tmp_path: Path, name: str):
    folder = "minutes/g/2024-05-07-x/"
    assembled = assemble([SourceFile(folder + "NOTES.md", b"# T\n\na\nb\nc\n"),
                          SourceFile(folder + name, b"%PDF-1.4\n")], site_host="h")
    out = tmp_path / "site"
    files = [SiteFile(att.url_path, source.data, att.content_type)
             for source, att in assembled.attachments]
    assert write_site(files, out) == 1
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(written) == 1 and written[0].parent == out / "g" / "2024-05-07-x"


@pytest.mark.parametrize("path", ["/g/2024-05-07-x/../../../evil.pdf", "/g/x/%2e%2e/%2e%2e/%2e%2e/evil.pdf",
                                  "/%2fetc/passwd", "/g/x/..%2f..%2f..%2fevil", "/..", "/"])
def test_write_site_refuses_paths_outside_the_site(tmp_path: Path, path: str):
    with pytest.raises(MinutesError):
        write_site([SiteFile(path, b"x", "text/plain")], tmp_path / "site")
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


# --- complexity limits: rejected before parsing, with their own code -------------------------

@pytest.mark.parametrize("body", [
    "\n".join(f"[l{i}](https://e.org/{i})" for i in range(25_000)),
    "[" * 500_000,
    "_*" * 300_000,
    "- a\n" * 100_000,
    "a\n" * 200_000,
    "`a` " * 100_000,
    "# h\n" * 5_000,
    "|a|b|\n|-|-|\n" + "|x|y|\n" * 20_000,
], ids=["links", "brackets", "emphasis", "list-items", "lines", "code-marks", "headings", "table"])
def test_pathological_markup_is_rejected_before_parsing_as_too_complex(body):
    data, key = body.encode(), "minutes/g/2024-01-01-x.md"
    with pytest.raises(Rejected) as caught:
        parse_document(data, key=key)
    # Cheaper than reading ordinary minutes of the same size (measured: at most 0.8 of it).
    assert cpu_seconds(lambda: _parsed_or_rejected(data, key)) < \
        2 * cpu_seconds(lambda: _parsed_or_rejected(prose(len(data)), key))
    problem = caught.value.problems[0]
    assert problem.code == "too-complex"
    assert problem.line and problem.line >= 1
    assert "limit" in problem.message and problem.hint


def _parsed_or_rejected(data: bytes, key: str) -> None:
    try:
        parse_document(data, key=key)
    except Rejected:
        pass


# --- what is fixed rather than refused ------------------------------------------------------

@pytest.mark.parametrize("char", ["\x07", "\x1b", "\x7f", "\x85", "\x9b"])
def test_control_characters_never_reach_the_page_title_or_summary(char):
    text = f"---\ntitle: Week{char}ly\n---\n# Head{char}ing\n\nFirst{char} paragraph.\n\n- a{char}\n- b\n"
    assembled = assemble([SourceFile(KEY, text.encode())], site_host="h")
    record = assembled.record
    for value in (record.title, record.summary, record.content_html):
        assert char not in value
    assert {p.code for p in assembled.problems} >= {"control-char"}
    assert all(not p.is_error for p in assembled.problems)


def test_a_hostile_running_notes_file_renders_safely_and_titles_stay_one_line():
    from minutes import running_notes
    payloads = "".join(f"\n## Dec {d}, 2024 {p}\n\n{p}\n\n- {p}\n" for d, p in zip(range(28, 0, -1), HOSTILE))
    notes = running_notes.split("minutes/g/meeting-notes.md", ("# <script>x</script>\n" + payloads).encode())
    meetings = running_notes.assemble_sections(notes, site_host="h")
    assert len(meetings) == min(28, len(HOSTILE))
    for meeting in meetings:
        assert_safe_html(meeting.record.content_html)
        assert "\n" not in meeting.record.title and "\r" not in meeting.record.title
