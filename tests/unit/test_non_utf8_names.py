"""A meeting or attachment whose file name is not UTF-8 (os.fsdecode makes its bytes lone
surrogates): `minutes build` and `minutes check` reject it with key-not-utf8 and build the
rest; they crashed in feeds.feed_id_for's quote (UnicodeEncodeError)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from minutes import keys
from minutes.build import build
from minutes.check import check_keyed, check_paths
from minutes.cli import EXIT_INVALID, main
from minutes.problems import Rejected
from tests.support.sources import PDF

SITE = "https://minutes.example.org"
MEETING = os.fsdecode(b"wg/2024-01-02-caf\xe9.md")
ATTACHMENT = os.fsdecode(b"wg/2024-01-03-f/r\xe9sum\xe9.pdf")


def sources(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "wg" / "2024-01-03-f").mkdir(parents=True)
    (src / "wg" / "2024-01-01-ok.md").write_bytes(b"# Ok\n\nsome text here\n")
    (src / MEETING).write_bytes(b"# Cafe\n\nsome text here\n")
    (src / "wg" / "2024-01-03-f" / "NOTES.md").write_bytes(b"# F\n\nsome text here\n")
    (src / ATTACHMENT).write_bytes(PDF)
    return src


def test_a_key_not_in_utf8_is_rejected_with_a_printable_message():
    with pytest.raises(Rejected) as caught:
        keys.parse_key("minutes/" + MEETING)
    [problem] = caught.value.problems
    assert problem.code == "key-not-utf8"
    assert "'minutes/wg/2024-01-02-caf\ufffd.md' is not UTF-8" in problem.message
    problem.message.encode("utf-8")   # no lone surrogate left to print
    assert keys.parse_key("minutes/wg/2024-01-02-café.md").meeting == "2024-01-02-café"


def test_build_rejects_each_such_file_and_builds_the_rest(tmp_path):
    src, out = sources(tmp_path), tmp_path / "site"
    result = build(src, out, site_url=SITE, workers=1)
    assert {key: [p.code for p in problems] for key, problems in result.rejected.items()} == {
        "minutes/" + MEETING: ["key-not-utf8"], "minutes/" + ATTACHMENT: ["key-not-utf8"]}
    assert (out / "wg" / "2024-01-01-ok" / "index.html").is_file()
    assert sorted(p.name for p in (out / "wg" / "2024-01-03-f").iterdir()) == ["index.html"]
    assert not any("caf" in p.name for p in (out / "wg").iterdir())


def rejected_by_build(src: Path, out: Path) -> dict[str, list[str]]:
    result = build(src, out, site_url=SITE, workers=1)
    return {key: [p.code for p in problems] for key, problems in result.rejected.items()}


def rejected_by_check(verdicts) -> dict[str, list[str]]:
    return {v.key: [p.code for p in v.problems if p.is_error] for v in verdicts if not v.valid}


def test_check_rejects_the_same_files_as_build(tmp_path):
    """The attachment alone, not its meeting (decision 89: before, check rejected the folder
    meeting and so `minutes upload` sent none of it, while build published its notes)."""
    src = sources(tmp_path)
    verdicts = check_paths([src], workers=1)
    assert rejected_by_check(verdicts) == rejected_by_build(src, tmp_path / "site") == {
        "minutes/" + MEETING: ["key-not-utf8"], "minutes/" + ATTACHMENT: ["key-not-utf8"]}
    by_key = {v.key: v for v in verdicts}
    assert by_key["minutes/wg/2024-01-03-f/NOTES.md"].valid
    assert by_key["minutes/" + ATTACHMENT].file == str(src / ATTACHMENT)
    assert by_key["minutes/wg/2024-01-01-ok.md"].valid


def test_check_keyed_as_upload_and_sync_use_it_rejects_the_attachment_alone(tmp_path):
    src = sources(tmp_path)
    files = {"minutes/" + p.relative_to(src).as_posix(): p for p in src.rglob("*") if p.is_file()}
    verdicts = check_keyed(files)
    assert rejected_by_check(verdicts) == rejected_by_build(src, tmp_path / "site")
    assert {v.key for v in verdicts if v.valid} == {"minutes/wg/2024-01-01-ok.md",
                                                    "minutes/wg/2024-01-03-f/NOTES.md"}


@pytest.mark.parametrize("command", ["build", "check"])
def test_the_commands_report_it_and_exit_invalid(tmp_path, capsys, command):
    src = sources(tmp_path)
    args = [command, str(src)] + (["--out", str(tmp_path / "site"), "--no-cache"] if command == "build" else [])
    assert main(args) == EXIT_INVALID
    captured = capsys.readouterr()
    assert "key-not-utf8" in captured.out + captured.err and "Traceback" not in captured.err


GROUP = os.fsdecode(b"w\xe9g")


def test_a_group_folder_not_in_utf8_is_rejected_by_check_as_by_build(tmp_path):
    """check made the folder's name URL-safe ('w-g') and said ok; build rejected both files.
    Now check keeps a name it cannot read (no guess from the bytes it can) and agrees."""
    src = tmp_path / "src"
    (src / GROUP).mkdir(parents=True)
    (src / GROUP / "2024-01-02-x.md").write_bytes(b"# X\n\nsome text here\n")
    (src / GROUP / "group.yaml").write_bytes(b"name: W\n")
    (src / "ok").mkdir()
    (src / "ok" / "2024-01-02-y.md").write_bytes(b"# Y\n\nsome text here\n")
    built = rejected_by_build(src, tmp_path / "site")
    assert built == {f"minutes/{GROUP}/2024-01-02-x.md": ["group-name", "key-not-utf8"],
                     f"minutes/{GROUP}/group.yaml": ["group-name", "key-not-utf8"]}
    verdicts = check_paths([src], workers=1)
    assert rejected_by_check(verdicts) == built
    assert [v.key for v in verdicts if v.valid] == ["minutes/ok/2024-01-02-y.md"]
    group_yaml = next(v for v in verdicts if v.key.endswith("group.yaml"))
    # said of the group.yaml itself, not of the key made up to check the group's name
    assert "'minutes/w\ufffdg/group.yaml' is not UTF-8" in group_yaml.problems[1].message
    assert not check_paths([src / GROUP / "2024-01-02-x.md"], workers=1)[0].valid
    assert check_paths([src / "ok" / "2024-01-02-y.md"], workers=1)[0].valid
