"""render.py: Markdown -> safe HTML fragment; tag-like words; one parse rendered unchanged."""
from __future__ import annotations

import pytest

from minutes.render import (inline_text, may_link_relative, parse_markdown, render_markdown,
                            sanitize, summary_of, tag_like_words)


def html(text: str, **options) -> str:
    return render_markdown(text, **options).html


def test_gfm_bits_render():
    out = html("| a | b |\n|:-|-:|\n| 1 | 2 |\n\n~~old~~ https://example.org\n\n- [x] done\n- [ ] todo\n")
    # Alignment is a class, never inline style: the site's CSP allows none (template.yaml).
    assert "<table>" in out and '<th class="align-left">a</th>' in out and '<td class="align-right">2</td>' in out
    assert "style=" not in out
    assert "<s>old</s>" in out or "<del>old</del>" in out
    assert '<a href="https://example.org" rel="noopener">https://example.org</a>' in out
    assert out.count('type="checkbox"') == 2 and out.count('disabled=""') == 2
    assert out.count('checked=""') == 1


def test_tag_like_words_stay_visible():
    out = html("Use Vec<T> and Option<Box<dyn Fn>> for <name>.\n")
    assert "Vec&lt;T&gt;" in out and "&lt;name&gt;" in out and "Option&lt;Box&lt;dyn Fn&gt;&gt;" in out


def test_known_elements_pass_through_the_sanitiser():
    out = html("a<br>b <kbd>Ctrl</kbd>\n\n<details><summary>More</summary>\n\nhidden\n\n</details>\n")
    assert "<br>" in out and "<kbd>Ctrl</kbd>" in out and "<details>" in out and "<summary>More</summary>" in out


def test_comments_are_dropped():
    assert "secret" not in html("a <!-- secret --> b\n\n<!--\nsecret\n-->\n")


def test_raw_inputs_other_than_task_checkboxes_are_removed():
    out = html('<input type="text" value="x"> <input type="checkbox"> <input type="password">\n')
    assert "<input" not in out
    assert "<input" not in html('<input type="checkbox" class="task-list-item-checkbox">\n')
    kept = html('<input type="checkbox" disabled class="task-list-item-checkbox">\n')
    assert kept.count("<input") == 1 and 'disabled=""' in kept


def test_headings_are_demoted_below_the_page_title_and_get_ids():
    rendered = render_markdown("# Title\n\n## Notes\n\n### Topic\n\n#### Deep\n", drop_first_h1=True)
    assert "Title" not in rendered.html
    assert '<h2 id="notes">' in rendered.html and '<h3 id="topic">' in rendered.html
    assert [(h.level, h.anchor, h.text) for h in rendered.headings] == [
        (2, "notes", "Notes"), (3, "topic", "Topic"), (4, "deep", "Deep")]


def test_reserved_ids_get_a_suffix():
    assert 'id="main-section"' in html("## Main\n")


def test_heading_text_keeps_tag_like_words():
    rendered = render_markdown("## About Vec<T>\n")
    assert rendered.headings[0].text == "About Vec<T>"


def test_one_parse_can_be_rendered_twice_unchanged():
    text = "# Title\n\n## A <T>\n\ntext <b>x</b> <name>\n\n<div>\n<y>\n</div>\n"
    parsed = parse_markdown(text)
    first = render_markdown(text, parsed=parsed, drop_first_h1=True).html
    second = render_markdown(text, parsed=parsed, drop_first_h1=True).html
    third = render_markdown(text, parsed=parsed, top_level=3).html
    fourth = render_markdown(text, parsed=parsed, drop_first_h1=True).html
    assert first == second == fourth == html(text, drop_first_h1=True)
    assert "<h3" in third and "Title" in third
    assert [h.block.level for h in parsed.headings] == [1, 2]


def test_tag_like_words_found_with_lines():
    parsed = parse_markdown("# Vec<T>\nfoo <name>\n\n<div>\n<!-- a\nb -->\n<z>\n</div>\n`<code>`\n")
    assert tag_like_words(parsed) == [(0, "<T>"), (1, "<name>"), (6, "<z>")]


def test_inline_text_of_a_heading():
    parsed = parse_markdown("Two\nlines <b>bold</b> <T> `code`\n===\n")
    assert inline_text(parsed) == "Two lines bold <T> code"


def test_summary_is_the_first_real_paragraph():
    parsed = parse_markdown("# T\n\nShort.\n\nThis paragraph is long enough to be a summary of Vec<T>.\n")
    assert summary_of(parsed) == "This paragraph is long enough to be a summary of Vec<T>."


def test_relative_links_are_resolved_or_reported_missing():
    missing: list[str] = []
    out = sanitize('<a href="slides.pdf">s</a> <a href="gone.pdf">g</a> <a href="#x">x</a> '
                   '<a href="/abs">a</a> <a href="https://e.org">e</a>',
                   resolve_link=lambda v: "/g/2024-05-07/slides.pdf" if v == "slides.pdf" else None,
                   missing=missing)
    assert 'href="/g/2024-05-07/slides.pdf"' in out and 'href="gone.pdf"' in out
    assert missing == ["gone.pdf"]


# Raw HTML whose href or src an HTML parser reads otherwise than a glance would.
LINK_CASES = [
    "[s](slides.pdf) and ![i](pic.png) and [a](https://e.org/x.pdf) and [h](#x)",
    "[s](<my slides.pdf>) [q](?x.pdf) [r](/abs.pdf) [m](mailto:a@b.org)",
    '<a href="https://e.org/">e</a> <img src="/x.png"> <a href=#x>x</a>',
    '<a href=x.pdf>x</a>', "<a HREF = 'x.pdf'>x</a>", "<a/href=x.pdf>x</a>",
    '<a title="t"href="x.pdf">x</a>', "<img src>", '<img src=" x.png">',
    '<a href="&#x2e;/x.pdf">x</a>', '<a href="&#104;ttps://e.org/x.pdf">x</a>',
    '<a href="\u212ax:y.pdf">kelvin</a>', '<img srcset="a.png 1x" src="https://e.org/b.png">',
    "<script>x = '<a href=x.pdf>'</script>", "<!-- <a href=x.pdf> -->",
    "<plaintext>\n\n[s](slides.pdf)", "<textarea>\n\n[s](slides.pdf)\n\n</textarea>",
    "code: `src/main.rs`, `<a href=x.pdf>`", "    <a href=x.pdf>indented code</a>",
    "<a href=x.pdf\n>x</a>", "<a\nhref\n=\n'x.pdf'>x</a>", "<a href='javascript:x.pdf'>j</a>",
    "![i](https://e.org/p.png) and [a](https://e.org/)", "![i](p.png)", "[q](?x.pdf)", "[e]()",
    "<!-- [s](slides.pdf) <a href=x.pdf> -->", "!\x02[s](slides.pdf)", "<https://e.org/x.pdf>",
    "[s][ref]\n\n[ref]: slides.pdf", "| a |\n|---|\n| [s](slides.pdf) |",
]


@pytest.mark.parametrize("text", LINK_CASES)
def test_a_verdict_render_reports_the_same_missing_links_without_html(text):
    """`minutes check` renders without HTML (html=False): nh3 runs only when a relative href
    or src may be in the page, and the missing links are exactly what the page's render finds."""
    body = f"# T\n\n{text}\n\n## Notes\n\nMore [n](https://e.org/notes.md).\n"
    page = render_markdown(body, resolve_link=lambda v: None)
    verdict = render_markdown(body, resolve_link=lambda v: None, html=False)
    assert verdict.missing_links == page.missing_links
    assert (verdict.html, verdict.links, verdict.headings) == ("", (), page.headings)


def test_a_verdict_on_a_page_with_only_absolute_links_formats_nothing(monkeypatch):
    import comrak
    body = "# T\n\n## Notes\n\n- [a](https://e.org/x.pdf) <https://e.org> [h](#notes) [r](/x)\n"
    page = render_markdown(body)
    monkeypatch.setattr(comrak, "format_html", lambda *a: pytest.fail("formatted"))
    verdict = render_markdown(body, html=False)
    assert (verdict.headings, verdict.missing_links) == (page.headings, ()) and page.headings
    with pytest.raises(pytest.fail.Exception):   # a relative link: the page is formatted
        render_markdown(body + "\n[s](slides.pdf)\n", html=False)


def test_a_page_with_only_absolute_links_needs_no_sanitiser_for_its_verdict():
    assert not may_link_relative('<a href="https://e.org">e</a> <img src="/x.png" alt=""> '
                                 '<a class="header-anchor" href="#t">#</a>')
    assert may_link_relative('<a href="https://e.org">e</a> <img src="x.png">')
    assert may_link_relative("see src/main.rs")   # a word the parser may not read as one: nh3 decides


def test_images_without_alt_get_an_empty_one():
    assert 'alt=""' in html('<img src="a.png">\n')
    assert 'alt="x"' in html("![x](a.png)\n")


def test_cell_alignment_becomes_a_class_and_any_other_style_is_dropped():
    raw = ('<table><tr><th style="text-align: center;">a</th><td style="text-align:justify">b</td>'
           '<td style="color:red; text-align:right">c</td><td class="evil">d</td></tr></table>'
           '\n\nx style="text-align:left" y')
    out = html(raw)
    assert out.startswith('<table><tbody><tr><th class="align-center">a</th><td>b</td>'
                          '<td class="align-right">c</td><td>d</td></tr></tbody></table>')
    # Prose that only looks like an attribute stays prose.
    assert '<p>x style="text-align:left" y</p>' in out


def test_a_parse_holds_no_reference_cycle():
    # comrak's nodes would hold their parent and their children strongly, and the cycle
    # collector cannot see them: a parse that kept them would never be freed (a warm Lambda
    # would grow with every upload). The walk drops every parent link.
    parsed = parse_markdown("# T\n\n> - a *b* [c](d) ![e *f*](g)\n\n| h | i |\n|---|---|\n| j | k |\n\n"
                            "<div>x</div>\n\n```\ncode\n```\n\n- [ ] task\n")
    render_markdown("", parsed=parsed)
    stack, seen = [parsed.root], 0
    while stack:
        node = stack.pop()
        seen += 1
        assert node.parent is None, node
        stack.extend(node.children)
    assert seen > 20
