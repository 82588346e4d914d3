"""Files more than one folder below a group (`ok/sub/2024-01-05-deep.md`), and files below a
meeting folder but not directly in it (`ok/2024-01-07-f/img/pic.png`): `minutes check DIR` and
`minutes upload DIR` key them as `minutes build DIR` and `minutes sync DIR` do, whatever DIR
is named, wherever a group folder shows itself by holding minutes itself (check.Walked,
decision 118). Before, check and upload took the file's own folder for the group
(`minutes/sub/2024-01-05-deep.md`, `/sub/2024-01-05-deep/`) while build published
`/ok/2024-01-05-sub-deep/`."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from minutes.build import build
from minutes.check import check_paths, key_for
from minutes.services.upload import scan_local, scan_paths
from tests.support.sources import PDF, write
from tests.support.walks import said_by_all

LIST = "# M\n\n- a\n- b\n- c\n"
SITE = "https://minutes.example.org"


def _deep_tree(src: Path) -> None:
    write(src / "ok" / "2024-01-04-x.md", LIST)                  # ok holds minutes: a group
    write(src / "ok" / "sub" / "2024-01-05-deep.md", LIST)
    write(src / "ok" / "sub" / "deeper" / "2024-01-06-deeper.md", LIST)
    write(src / "ok" / "2024-01-07-f" / "NOTES.md", LIST)
    write(src / "ok" / "2024-01-07-f" / "img" / "pic.png", PDF)  # below a meeting folder
    write(src / "ok" / "2024-01-07-f" / "sub" / "extra.md", LIST)
    write(src / "ok" / "sub" / "2024-01-08-m" / "NOTES.md", LIST)
    write(src / "g2" / "group.yaml", "name: Two\n")               # a group by its group.yaml
    write(src / "g2" / "sub" / "2024-01-09-y.md", LIST)
    write(src / "g3" / "2024-01-10-z" / "NOTES.md", LIST)         # by its meeting folder
    write(src / "g3" / "sub" / "2024-01-11-w.md", LIST)


def _keys_and_urls(src: Path, out: Path):
    built = build(src, out, site_url=SITE, workers=1)
    verdicts = check_paths([src], workers=1)
    checked = sorted(k for v in verdicts for k, _ in v.paths if not k.endswith("group.yaml"))
    urls = sorted(v.meta["url_path"] for v in verdicts if v.meta and "slug" in v.meta)
    return built, verdicts, checked, urls


@pytest.mark.parametrize("root", ["minutes", "scribe"])
def test_check_upload_build_and_sync_key_deep_files_alike(tmp_path, root):
    src = tmp_path / root
    _deep_tree(src)
    built, verdicts, checked, urls = _keys_and_urls(src, tmp_path / "site")
    synced = sorted(k for k in scan_local(src).files if not k.endswith("group.yaml"))
    uploaded = sorted(k for k in scan_paths([src]).files if not k.endswith("group.yaml"))
    assert checked == synced == uploaded == [
        "minutes/g2/sub/2024-01-09-y.md", "minutes/g3/2024-01-10-z/NOTES.md",
        "minutes/g3/sub/2024-01-11-w.md", "minutes/ok/2024-01-04-x.md",
        "minutes/ok/2024-01-07-f/NOTES.md", "minutes/ok/2024-01-07-f/img/pic.png",
        "minutes/ok/2024-01-07-f/sub/extra.md", "minutes/ok/sub/2024-01-05-deep.md",
        "minutes/ok/sub/2024-01-08-m/NOTES.md", "minutes/ok/sub/deeper/2024-01-06-deeper.md"]
    assert urls == sorted(r.url_path for r in built.records) == [
        "/g2/2024-01-09-sub-y/", "/g3/2024-01-10-z/", "/g3/2024-01-11-sub-w/", "/ok/2024-01-04-x/",
        "/ok/2024-01-05-sub-deep/", "/ok/2024-01-06-sub-deeper-deeper/",
        "/ok/2024-01-07-f-sub-extra/", "/ok/2024-01-07-f/", "/ok/2024-01-08-m/"]
    said = said_by_all(src, tmp_path / "site2")
    for command in ("check", "upload", "sync"):
        assert said[command] == said["build"], command
    assert [code for code, *_ in said["build"]["unpublished"]] == ["attachment-alone"]


def test_where_nothing_above_holds_minutes_the_folder_of_the_file_stays_the_group(tmp_path):
    """The corpus's layout (`onnx/operators/meetings/001-20190611.md`, decision 102): nothing
    between the folder walked and the file's folder holds minutes, so the walked folder may
    be above the groups: the guess stands, as before (`minutes check corpus` unchanged)."""
    top = tmp_path / "corpus"
    write(top / "README.md", "# Corpus\n")   # the walked folder itself is never taken for a group
    write(top / "onnx" / "LICENSE", "x\n")
    write(top / "onnx" / "operators" / "meetings" / "001-20190611.md", LIST)
    write(top / "onnx" / "operators" / "meetings" / "2019-06-12-x" / "NOTES.md", LIST)
    keyed = sorted(v.key for v in check_paths([top], workers=1))
    assert keyed == ["minutes/corpus/README.md", "minutes/meetings/001-20190611.md",
                     "minutes/meetings/2019-06-12-x/NOTES.md"]
    assert sorted(scan_paths([top]).files) == keyed


def test_a_file_given_alone_keeps_key_for_s_guess(tmp_path):
    """A FILE given alone is keyed as before (what `minutes upload FILE` sends): only a walk
    sees the folders around it."""
    _deep_tree(tmp_path / "scribe")
    assert key_for(tmp_path / "scribe" / "ok" / "sub" / "2024-01-05-deep.md") == \
        "minutes/sub/2024-01-05-deep.md"


@pytest.mark.parametrize("root", ["minutes", "scribe"])
def test_hostile_entries_deep_below_a_group_are_said_alike(tmp_path, root):
    """A line break, a byte not UTF-8, a linked folder and a FIFO deep below a group: the four
    say the same errors of the same keys."""
    src = tmp_path / root
    _deep_tree(src)
    sub = src / "ok" / "sub"
    write(sub / "2024-02-01-a\nb.md", LIST)
    write(sub / os.fsdecode(b"2024-02-02-caf\xe9.md"), LIST)
    write(tmp_path / "elsewhere" / "2024-02-03-s.md", LIST)
    (sub / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    if hasattr(os, "mkfifo"):
        os.mkfifo(sub / "2024-02-04-pipe.md")
    said = said_by_all(src, tmp_path / "site")
    for command in ("check", "upload", "sync"):
        assert said[command] == said["build"], command
    files = sorted(f for *_, f in said["build"]["errors"])
    assert files[:2] == ["minutes/ok/sub/2024-02-01-a\nb.md",
                         "minutes/ok/sub/" + os.fsdecode(b"2024-02-02-caf\xe9.md")]
    assert "minutes/ok/sub/linked/" in files


def test_a_deep_chain_of_folders_is_keyed_by_its_group(tmp_path):
    """Sixty folders below a group: keyed from the group, one listing per folder looked at."""
    src = tmp_path / "scribe"
    write(src / "ok" / "2024-01-04-x.md", LIST)
    deep = src / "ok" / Path(*["d"] * 60)
    write(deep / "2024-01-05-deep.md", LIST)
    keyed = sorted(v.key for v in check_paths([src], workers=1))
    assert keyed == ["minutes/ok/2024-01-04-x.md",
                     "minutes/ok/" + "d/" * 60 + "2024-01-05-deep.md"]
    assert sorted(scan_paths([src]).files) == keyed
