"""Hostile and odd minutes for the differential tests (decision 100): Hypothesis strategies that
draw source trees from the shapes real communities keep minutes in (../shared/corpus: onnx's
`001-20190710.md`, rust-lang's `2019.04.18.md` and front matter with `tags:` as a string,
openxla's meeting folders with AGENDA.md, ATTENDEES.md and PDFs named with spaces and
brackets, attendee lists as bullets, as "Attendees : A (X), B (Y) and C (Z)", as tab-indented
`o` lines) and from what breaks parsers (BOM, CRLF, tabs, duplicate keys, YAML anchors, aliases
and tags, huge numbers, 2024-02-30, empty titles, long lines, deep nesting, HTML and script,
raw `<` and `&`, zero-width and right-to-left characters, NUL bytes, lone surrogates).

A tree is a list of (relative path, bytes), written under a folder named `minutes` so that
`minutes check`'s key for each file is the key `minutes build` gives it."""
from __future__ import annotations

from pathlib import Path

from hypothesis import strategies as st

GROUPS = ("g", "g", "g", "onnx-infra", "rust-lang", "G", "a b", "gr\u00fcn")

# One front-matter field each (joined between --- lines); {t} is the drawn title text.
FRONT = (
    "title: {t}\n", "title: ''\n", "title:\n", "title: [a, b]\n", "title: {{a: b}}\n",
    "title: !!binary aGVsbG8=\n", "title: &a Hello\nsummary: *a\n", "title: 123456789012345678901234567890\n",
    "title: A\ntitle: B\n", "title: \"a\\0b\"\n", "title: \"\\x1b[31mred\"\n", "title: \u202eevil\u202c\n",
    "title: zero\u200bwidth\n", "title: " + "x" * 3000 + "\n", "title: 'It''s'\n",
    "title: >\n  folded\n  text\n", "title: |\n  two\n  lines\n", "title: \"\\ud800\"\n",
    "date: 2024-02-30\n", "date: 2024-02-29\n", "date: 99999999999999999999\n", "date: 2024-13-01\n",
    "date: '2024-05-07'\n", "date: 2024-05-07T10:00:00Z\n", "date: 1e400\n", "date: .nan\n",
    "date: 2024-05-07\ndate: 2024-05-08\n", "date: 1899-12-31\n", "date: 2100-01-01\n",
    "date: 2024-05-07\ntimezone: Europe/Paris\ntime: 10:00\n", "date: 2099-12-31\ntimezone: Pacific/Kiritimati\ntime: 23:59\n",
    "attendees: [Ada, Grace]\n", "attendees: Ada, Grace\n", "attendees:\n  - Ada\n  - [Grace, Bob]\n",
    "attendees:\n  - name: Ada\n    org: X\n", "attendees: {{Ada: 1}}\n", "attendees: [1, 2.5, true, null]\n",
    "attendees:\n\t- Ada\n", "attendees: Neta Zmora (NVidia), Ramakrishna Tipireddy (General Motors) and Freddy Chiu (Intel)\n",
    "attendees:\n  - AG Ramesh (Intel)\n  - Elisa Garcia Anzano (Meta) \n", "attendees:\n  o\tJustin Chu, Microsoft \u2013 ONNX\n",
    "attendees: []\n", "attendees: ''\n", "attendees: [\"\\ud800\"]\n", "attendees: [" + ", ".join(["A"] * 400) + "]\n",
    "tags: triage-meeting\n", "tags: a, b\n", "tags: [a, [b]]\n", "tags: !!python/object:os.system x\n",
    "draft: maybe\n", "draft: yes\n", "draft: true\n", "notify: 0\n", "notify: false\n",
    "time: 8:00\n", "time: 25:61\n", "timezone: Mars/Phobos\n", "group: other\n",
    "summary: \"\\U0001F600\"\n", "summary: " + "w " * 2000 + "\n", "unknown: 1\n", "? [a, b]\n: c\n",
    "<<: {{title: merged}}\n", "x: &x [*x]\n", "a: !!set {{a, b}}\n", "a: !!timestamp 2024-01-01\n",
    "a: !custom x\n", "a: 0x1F\nb: 0o17\nc: 1_000\n", "%YAML 1.2\n", "...\n", "- a list\n", "just text\n",
)

# Body pieces; {t} is the drawn title text.
BODY = (
    "# {t}\n\nNotes.\n\n- one\n- two\n- three\n", "## SIG Optimization 10/05/2023\n\nThe kick-off.\n",
    "Just a line of text without a heading, long enough to be more than a stub of minutes.\n", "",
    "Attendee list (incomplete):\n\n* AG Ramesh (Intel)\n* Elisa Garcia Anzano (Meta) \n",
    "Attendees : Neta Zmora (NVidia), Ramakrishna Tipireddy (General Motors) and Freddy Chiu (Intel)\n",
    "# Attendees\n  o\tJustin Chu, Microsoft \u2013 ONNX Converters  \n  o\tFreddy Chiu, Intel\n",
    "## Attendees\n\n* Ada (Google)\n- Grace, Bob\n+ Carol\n", "* Meeting date: 2021-11-02\n",
    "<script>alert(1)</script>\n", "<img src=x onerror=alert(1)>\n", "a < b && c > d; Vec<T> & <name>\n",
    "&amp; &#0; &#xD800; &#1114112; &bogus;\n", "\u200b\u200c\u200d\u2066\u2067\u2068\u2069\u202e\u061c\n",
    "NUL\x00byte\n", "x" * 70000 + "\n", "".join("  " * i + "- item\n" for i in range(60)),
    ">" * 120 + " deep\n", "- " * 200 + "x\n", "```\nunclosed fence\n", "<!-- comment -->\n",
    "[link](javascript:alert(1))\n", "[a](other.md) [b](../g2/2024-01-01-x.md) [c](slides.pdf)\n",
    "# \n\n", "#\n", "Title\n=====\n\ntext\n", "| a | b |\n|---|---|\n| 1 | 2 |\n",
    "[^1]\n\n[^1]: note\n", "<div>\n<p>unclosed\n", "\x7f\x1b[0m\n", "![img](pic.png)\n",
    "<br><br/>\n", "### 12/14/2021\n\n- a\n\n### 12/21/2021\n\n- b\n",
    "## Dec 31, 2024\n\n- a\n- b\n\n## Jan 7, 2025\n\n- c\n", "---\n\nA rule, not front matter.\n",
    "<!-- SPDX-License-Identifier: Apache-2.0 -->\n\n# Monday, July 10, 2019 at 9:00am PST\n\n- x\n",
)
# Text that is not clean UTF-8 Markdown, or line ends other than LF.
ENCODINGS = ("utf8", "utf8", "utf8", "utf8", "bom", "crlf", "cr", "latin1", "utf16", "tabs",
             "surrogate", "binary")
NAMES = ("2024-05-07-a.md", "2024-05-08.md", "20240509.md", "001-20190710.md", "2019.04.18.md",
         "2019-04-18.md", "2024-02-30-bad.md", "notes.md", "2024-05-10-A.MD", "2024-05-10-a.md",
         "2024-05-11-caf\u00e9.md", "2024-05-11-cafe\u0301.md", "2024-05-12-\u200bzw.md",
         "2024-05-13-\u202erl.md", "2024-05-14 [Public] spaced.md", "2024-05-15-x.md.md",
         "9999-01-01-x.md", "2024-05-16-<b>.md", "2024-05-17-a&b.md", "2024-05-18-%2e%2e.md",
         "-2024-05-19.md", "sig-compiler-2023-04-04.md", "meeting-notes-2024.md",
         "2024-05-21-new\nline.md", "2024-05-22-tab\t.md", "2024-05-23-a:b.md",
         "2024-05-24-back\\slash.md", "2024/05/25/notes.md", "2024-05-26-" + "x" * 200 + ".md",
         "2024-05-27-'quote\".md", "2024-05-28-\U0001F600.md", "2024-05-29- .md",
         # Twins of names above: one URL (decision 103), a file of a folder's name.
         "2024.05.08.md", "2024-05-25-notes.md", "2024-06-02.md")
FOLDERS = ("2024-06-01-community-meeting", "2024-06-02", "2024-02-30-f", "f")
FOLDER_FILES = ("NOTES.md", "NOTES.md", "AGENDA.md", "ATTENDEES.md", "README.md", "notes.MD",
                "other.md", "[Public] SIG Meeting 2024-06-01.pdf", "slides.pdf", "pic.png")
TITLES = ("Weekly", "Sync \u00e9", "<b>x</b>", "a & b", "\u202eevil", "", " ", "#", "T-lang meeting agenda")
GROUP_YAML = (b"name: G\n", b"name: [x]\n", b"name: \"\\ud800\"\n", b"\xef\xbb\xbfname: G\r\n",
              b"name: G\nname: H\n", b"starts: 2024-02-30\n", b"name: &a x\ndescription: *a\n",
              b"\x00\x01", b"", b"name: " + b"x" * 3000 + b"\n", b"name: Rust <lang> & co\n",
              b"name: OpenXLA\nschedule: weekly\n")
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
       b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00"
       b"\x00IEND\xaeB`\x82")


def encode(text: str, how: str) -> bytes:
    if how == "bom":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    if how == "crlf":
        return text.replace("\n", "\r\n").encode("utf-8")
    if how == "cr":
        return text.replace("\n", "\r").encode("utf-8")
    if how == "latin1":
        return text.encode("latin-1", "replace")
    if how == "utf16":
        return text.encode("utf-16")
    if how == "tabs":
        return text.replace("  ", "\t").encode("utf-8")
    if how == "surrogate":   # what a lone surrogate becomes when written out carelessly
        return text.encode("utf-8") + "\ud800".encode("utf-8", "surrogatepass")
    if how == "binary":
        return bytes(range(256)) + text.encode("utf-8")
    return text.encode("utf-8")


@st.composite
def document(draw) -> bytes:
    title = draw(st.sampled_from(TITLES))
    front = "".join(f.format(t=title) for f in draw(st.lists(st.sampled_from(FRONT), max_size=3)))
    body = "".join(b.format(t=title) for b in draw(st.lists(st.sampled_from(BODY), min_size=1, max_size=3)))
    fenced = draw(st.sampled_from(("", "", "empty"))) if not front else "front"
    text = (f"---\n{front}---\n" if fenced else "") + body
    return encode(text, draw(st.sampled_from(ENCODINGS)))


def attachment(name: str) -> bytes:
    return PDF if name.endswith(".pdf") else PNG


@st.composite
def meeting(draw) -> list[tuple[str, bytes]]:
    """One meeting's files: a Markdown file, or a meeting folder (its documents and
    attachments; now and then no Markdown at all)."""
    group = draw(st.sampled_from(GROUPS))
    if draw(st.booleans()):
        return [(f"{group}/{draw(st.sampled_from(NAMES))}", draw(document()))]
    folder = f"{group}/{draw(st.sampled_from(FOLDERS))}"
    names = draw(st.lists(st.sampled_from(FOLDER_FILES), min_size=1, max_size=4, unique=True))
    return [(f"{folder}/{name}", draw(document()) if name.lower().endswith(".md") else attachment(name))
            for name in names]


@st.composite
def source_tree(draw, max_meetings: int = 4) -> list[tuple[str, bytes]]:
    """A few meetings and now and then a group.yaml; a later file at the same path wins."""
    files: dict[str, bytes] = {}
    for found in draw(st.lists(meeting(), min_size=1, max_size=max_meetings)):
        files.update(found)
    for group in draw(st.lists(st.sampled_from(GROUPS), max_size=2, unique=True)):
        files[f"{group}/group.yaml"] = draw(st.sampled_from(GROUP_YAML))
    return sorted(files.items())


def write_tree(root: Path, tree: list[tuple[str, bytes]]) -> None:
    for rel, data in tree:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
