"""frontmatter.load reads plain front matter with libyaml and everything else with the pure
loader, and the two never answer differently: every value or error below is the pure loader's,
for the corpus's front matter and for generated YAML aimed at where the parsers differ."""
from __future__ import annotations

import random

import pytest
import yaml

from minutes import frontmatter
from tests.support.corpus import CORPUS


def pure(text: str):
    try:
        return "value", yaml.load(text, Loader=frontmatter._loaders()[1])  # noqa: S506
    except Exception as exc:  # noqa: BLE001 - compared, not handled
        return "error", type(exc).__name__


def fast(text: str):
    found = frontmatter._load_fast(text)
    return None if found is None else ("value", found[0])


ATOMS = ["title: x", "date: 2024-01-02", "time: 8:00", 'time: "8:00"', "n: 0o17", "n: 0x1F",
         "n: 1_000", "f: .5", "f: 1e3", "f: 1.0e+3", "b: yes", "b: on", "x: ~", "x: null",
         "tags: [a, b]", "attendees:\n  - a\n  - b", "k: &a v", "k: *a", "k: !!str 5",
         "k: !!python/object:os.system x", "k: |\n  text", "k: >\n  folded", "k: 'it''s'",
         "k: v # comment", "\tk: tab", "k:\tv", "k: [a, [b, [c]]]", "k: {a: 1, b: {c: 2}}",
         "? complex\n: v", "k: v\nk: w", "k: 12:30:45", "k: -1", "k: .inf", "k: =", "<<: {a: 1}",
         'k: "unclosed', "k: [unclosed", "- a\n- b", "just text", "", "k: v\n  bad indent",
         "k: @x", "k: `x", "%YAML 1.1\n---\nk: v", "k: ! ", "k: é中", "k: \x85", "k: \ufeffv"]
PLAIN = list("ab1: -[]{},#'\"\n  0.:/()+=~;$^_é")


def test_plain_front_matter_takes_the_fast_path_and_the_rest_does_not():
    assert frontmatter._loaders()[2] is not None   # PyYAML built with libyaml (the wheels are)
    assert fast("title: Weekly sync\ndate: 2024-05-07\ntags: [a, b]\n") == (
        "value", {"title": "Weekly sync", "date": "2024-05-07", "tags": ["a", "b"]})
    for text in ("k: *a", "k: !!str 5", "k: |\n  x", "\tk: v", "a: " + "[" * 120):
        assert fast(text) is None


@pytest.mark.parametrize("seed", range(4))
def test_libyaml_answers_as_the_pure_loader_wherever_it_is_used(seed):
    rng = random.Random(seed)
    texts = ["\n".join(rng.choice(ATOMS) for _ in range(rng.randint(1, 6))) for _ in range(1500)]
    texts += ["".join(rng.choice(PLAIN) for _ in range(rng.randint(1, 30))) for _ in range(6000)]
    used = 0
    for text in texts:
        found = fast(text)
        if found is not None:
            used += 1
            assert found == pure(text), text
    assert used > 2000


def corpus_front_matter():
    """(path, front matter text) of every corpus file that has one."""
    for path in sorted(CORPUS.rglob("*.md")):
        text = path.read_text("utf-8", errors="replace").replace("\r\n", "\n")
        try:
            yaml_text, _, _ = frontmatter.split(text)
        except frontmatter.FrontMatterError:
            continue
        if yaml_text is not None:
            yield path, yaml_text


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not here")
def test_the_corpus_front_matter_reads_the_same():
    for path, yaml_text in corpus_front_matter():
        if (found := fast(yaml_text)) is not None:
            assert found == pure(yaml_text), path


def loaded(text: str):
    """What load gives a text: ("value", value) or ("error", class, message, line, column)."""
    try:
        return "value", frontmatter.load(text)
    except frontmatter.FrontMatterError as exc:
        return "error", type(exc).__name__, str(exc), exc.line, exc.column


@pytest.mark.parametrize("seed", range(2))
def test_a_remembered_value_is_the_value_and_errors_are_never_remembered(seed, monkeypatch):
    """`minutes build` keeps each meeting's parsed front matter (frontmatter.remembering): a
    text remembered by one process answers another exactly as PyYAML does; a text that fails
    is not kept, so it fails again with the same message."""
    rng = random.Random(seed)
    texts = ["\n".join(rng.choice(ATOMS) for _ in range(rng.randint(1, 6))) for _ in range(600)]
    texts += ["title: x\n" * 500, "k: [" * 60 + "]" * 60]   # long (not kept), deep
    expected = {text: loaded(text) for text in texts}
    with frontmatter.remembering() as read:
        assert {text: loaded(text) for text in texts} == expected
    failing = {text for text, found in expected.items() if found[0] == "error"}
    assert failing and not failing & read.keys()
    assert "title: x\n" * 500 not in read
    assert len(read) == len(set(texts) - failing) - 1
    parsed = []
    monkeypatch.setattr(frontmatter, "_load", lambda text, real=frontmatter._load: parsed.append(text) or real(text))
    with frontmatter.remembering(read) as again:
        assert {text: loaded(text) for text in texts} == expected
    assert set(parsed) == failing | {"title: x\n" * 500}   # the rest came from the memo
    assert again == read


def test_a_remembered_value_changed_by_its_reader_stays_as_remembered():
    with frontmatter.remembering() as read:
        frontmatter.load("tags: [a, b]")
    with frontmatter.remembering(read):
        first = frontmatter.load("tags: [a, b]")
        first["tags"].append("c")
        assert frontmatter.load("tags: [a, b]") == {"tags": ["a", "b"]}
    assert frontmatter._memo is None


# --- plain `key: value` lines, read without PyYAML (decision 69) ------------------------------

KEYS = ["title", "date", "time", "k", "_x", "a1", "Title", "on", "Yes", "NULL", "y", "n", "off",
        "x" * 100, "x" * 101, "é", "a-b", "1a"]
VALUES = ["x", "Weekly sync", '"wg-api sync 2014-01-11"', "2014-01-11", "2023-02-30", "8:00",
          "18:00", "12:30:45", '"8:00"', "'8:00'", "1_000", "0x1F", "0o17", "1e3", "1.5", "1.",
          "-1", "+1", "01", "0", "yes", "Off", "NULL", "Null", "nULL", "~", "", "a  b", "a ",
          " a", "a: b", "a:b", "a:", "a #b", "a#b", "it's", "'it''s'", '"q"', "'q'", '"a \\" b"',
          '"a # b"', "'a: b'", '"é中"', "é中", "x,y", "[a]", "{a}", "(a)", "a=b", "=", "<<",
          "a - b", "- a", "? a", "a ? b", "a $^ ;", "Ⅻ", "a\u00a0b", '"x" y', "'x' y", '"x"y']


def plain_text(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randint(1, 3)):
        key = rng.choice(KEYS[:7] if rng.random() < 0.8 else KEYS)
        if rng.random() < 0.75:
            value = rng.choice(VALUES)
        else:
            value = "".join(rng.choice(PLAIN) for _ in range(rng.randint(1, 12)))
        lines.append(f"{key}: {value}" if rng.random() < 0.95 else f"{key}:{value}")
        if rng.random() < 0.05:
            lines.append(rng.choice(["", "  more", "# note", "- a"]))
    return "\n".join(lines) + ("\n" if rng.random() < 0.95 else "")


def test_plain_lines_are_read_without_pyyaml_as_pyyaml_reads_them():
    assert frontmatter._load_plain('title: "wg-api sync 2014-01-11"\ndate: 2014-01-11\n') == {
        "title": "wg-api sync 2014-01-11", "date": "2014-01-11"}
    assert frontmatter._load_plain("title: Weekly: sync\n") is None   # PyYAML's error, not ours
    for text in ("on: x\n", "k: 1.5\n", "k: x\nk: y\n", "k: x #c\n", "k: x \n", "tags: [a]\n"):
        assert frontmatter._load_plain(text) is None, text


@pytest.mark.parametrize("seed", range(3))
def test_plain_lines_answer_as_the_pure_loader_wherever_they_answer(seed):
    rng = random.Random(seed)
    texts = [plain_text(rng) for _ in range(4000)]
    used = 0
    for text in texts:
        found = frontmatter._load_plain(text)
        if found is not None:
            used += 1
            assert ("value", found) == pure(text), text
            assert frontmatter.load(text) == found
    assert used > 250   # the generator reaches the plain path (and the rest: below)
    assert used < len(texts) - 2000


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not here")
def test_the_corpus_plain_front_matter_reads_the_same():
    read = 0
    for path, yaml_text in corpus_front_matter():
        if (found := frontmatter._load_plain(yaml_text)) is not None:
            assert ("value", found) == pure(yaml_text), path
            read += 1
    assert read > 10   # the corpus's plain front matter does take this path


def test_plain_front_matter_imports_no_yaml():
    import subprocess
    import sys
    code = ("import sys; from minutes import frontmatter; "
            "v = frontmatter.load('title: \"Weekly sync\"\\ndate: 2024-05-07\\ntime: 18:00\\n'); "
            "print(v, 'yaml' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    assert out.strip() == "{'title': 'Weekly sync', 'date': '2024-05-07', 'time': '18:00'} False"
