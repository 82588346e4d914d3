"""Property-based: random text and random bytes through parse -> assemble -> render. Nothing
raises except a reported rejection, and the output never holds anything executable."""
from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minutes.document import parse_document
from minutes.meeting import SourceFile, assemble
from minutes.problems import Rejected
from minutes.render import render_markdown
from test_hostile import assert_safe_html

KEY = "minutes/g/2024-05-07-random.md"
SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Pieces that make Markdown, HTML and YAML interesting, so random text reaches the hard paths.
FRAGMENTS = [
    "# ", "## ", "\n", "\n\n", "\r\n", "- ", "1. ", "> ", "```", "~~~", "    ", "|", "|---|",
    "---\n", "title: ", "date: 2024-05-07", "tags: [", "]", "&a ", "*a", "!!python/object ",
    "<", ">", "</", "/>", "<script>", "</script>", "<img src=x onerror=alert(1)>", "<svg onload=x>",
    "<a href=\"", "\">", "javascript:", "JaVaScRiPt&#58;", "&#106;", "data:text/html,", "vbscript:",
    "<!--", "-->", "<style>", "expression(", "<iframe>", "<base href=x>", "<form>", "<input>",
    "[", "](", ")", "![", "<http://", "www.", "*", "_", "`", "~~", "[ ] ", "[x] ", "\\", "&lt;",
    "Vec<T>", "<name>", "<b>", "<details>", "<br>", "YYYY-MM-DD", "{{date}}", "2024-05-14",
    "Dec 31, 2024", "\ufeff", "\u2028", "\x85", "é", "🎉", "\t", " ", "on", "=", "'", "\"",
]
markdownish = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)),
                       max_size=60).map("".join)
random_keys = st.builds(lambda name: f"minutes/g/2024-05-07-{name}.md",
                        st.text(alphabet=string.ascii_letters + string.digits + "-_. %", max_size=20))


def through_the_core(data: bytes, key: str = KEY) -> None:
    """parse -> assemble -> render; only Rejected may come out, and only with its errors."""
    try:
        doc = parse_document(data, key=key)
    except Rejected as rejected:
        assert rejected.problems and all(p.code and p.message and p.hint for p in rejected.problems)
        assert any(p.is_error for p in rejected.problems)
        return
    assert "\n" not in doc.title and "\r" not in doc.title
    assert all(not p.is_error for p in doc.problems)
    assert_safe_html(render_markdown(doc.body).html)
    assembled = assemble([SourceFile(key, data)], site_host="h")
    assert_safe_html(assembled.record.content_html)
    assert "\n" not in assembled.record.title and "\n" not in assembled.record.summary


@SETTINGS
@given(st.text(max_size=2000))
def test_random_text(text):
    through_the_core(text.encode("utf-8"))


@SETTINGS
@given(markdownish)
def test_random_markdownish_text(text):
    through_the_core(text.encode("utf-8"))


@SETTINGS
@given(markdownish)
def test_random_front_matter(text):
    through_the_core(f"---\n{text}\n---\n# T\n\n{text}\n".encode("utf-8"))


@SETTINGS
@given(st.binary(max_size=2000))
def test_random_bytes(data):
    through_the_core(data)


@SETTINGS
@given(markdownish, random_keys)
def test_random_keys(text, key):
    try:
        through_the_core(text.encode("utf-8"), key=key)
    except Rejected as rejected:   # parse_key itself refuses a bad key
        assert {p.code for p in rejected.problems} <= {"key-shape", "group-name"}
