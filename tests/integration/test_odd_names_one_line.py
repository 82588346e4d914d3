"""A file name holding a line break (or a tab, an escape) printed over two lines in check's,
build's and sync's output: one problem is one line, so the name is quoted as git quotes such a
path (`"minutes/g/2024-01-02-a\\nb.md"`, C escapes in double quotes); other names print as
they are (decision 108)."""
from __future__ import annotations

import os

import pytest

from minutes.check import one_line
from minutes.cli import EXIT_INVALID
from tests.support.aws import minutes_text
from tests.support.cli_bucket import bucket, run  # noqa: F401 (bucket: a fixture)
from tests.support.sources import write

ODD = ("2024-01-02-a\nb.md", "2024-01-03-t\tab.md", "2024-01-04-e\x1b[2Jc.md")


def test_a_name_is_quoted_only_when_it_holds_a_control_character():
    assert one_line("minutes/g/2024-01-02-a\nb.md") == '"minutes/g/2024-01-02-a\\nb.md"'
    assert one_line('g/t\tab "x" \\.md') == '"g/t\\tab \\"x\\" \\\\.md"'
    assert one_line("g/e\x1b[2J.md") == '"g/e\\033[2J.md"'
    assert one_line("g/c1\x85.md") == '"g/c1\\302\\205.md"'
    for plain in ("g/2024-01-02-a.md", "g/réunion café.md", 'g/say "hi".md', "g/a\\b.md"):
        assert one_line(plain) == plain


@pytest.fixture
def src(tmp_path):
    root = tmp_path / "minutes"
    for name in ODD + ("2024-01-05-ok.md",):
        write(root / "g" / name, minutes_text("M"))
    return root


def said_in_lines(out: str, where: str) -> None:
    """Each odd name's problem and verdict on their own lines, the name (`where`/g/<name>)
    quoted; no line begins with what follows a line break, no escape reaches the terminal."""
    lines = out.splitlines()
    for name in ODD:
        quoted = one_line(f"{where}/g/{name}")
        assert sum(line.startswith(quoted + ":1:1: error key-shape") for line in lines) == 1, out
        assert sum(line.startswith(quoted + ": ") for line in lines) >= 1, out
    assert not any(line.startswith(("b.md", "c.md")) or "\x1b" in line for line in lines), out


def test_check_and_build_print_one_line_per_problem(src, tmp_path, capsys):
    code, out = run(capsys, "check", str(src))
    assert code == EXIT_INVALID
    said_in_lines(out, str(src))   # check names the local file
    assert len(out.splitlines()) == 3 * len(ODD) + 1   # problem, hint, verdict; the ok one
    code, out = run(capsys, "build", str(src), "--out", str(tmp_path / "site"), "--no-cache")
    assert code == EXIT_INVALID
    said_in_lines(out, "minutes")   # build names the key


def test_sync_prints_one_line_per_problem(src, bucket, capsys):
    code, out = run(capsys, "sync", str(src), "--bucket", bucket)
    assert code == EXIT_INVALID
    said_in_lines(out, str(src))
    for name in ODD:
        assert f"{one_line(f'{src}/g/{name}')}: not uploaded" in out.splitlines(), out


def test_a_name_not_in_utf8_is_quoted_with_its_bytes_in_octal_as_git_does(tmp_path, capsys):
    """Its undecodable bytes (lone surrogates to Python) printed as Python's `\\udcff`, which
    no one can type or find: git's `"g/bad\\377.md"` names the byte (decision 111)."""
    assert one_line("g/2024-01-05-bad\udcff.md") == '"g/2024-01-05-bad\\377.md"'
    assert one_line("caf\udce9/x\n.md") == '"caf\\351/x\\n.md"'
    src = tmp_path / "minutes"
    write(src / "g" / os.fsdecode(b"2024-01-05-bad\xff.md"), minutes_text("M"))
    for command in (["check", str(src)], ["build", str(src), "--out", str(tmp_path / "site"), "--no-cache"]):
        code, out = run(capsys, *command)
        assert code == EXIT_INVALID
        where = str(src) if command[0] == "check" else "minutes"
        quoted = f'"{where}/g/2024-01-05-bad\\377.md"'
        assert f'{quoted}: rejected (as "minutes/g/2024-01-05-bad\\377.md")' in out.splitlines(), out
        assert "\\udc" not in out, out
