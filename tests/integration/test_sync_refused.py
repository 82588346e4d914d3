"""`minutes sync` and `upload` on local entries they cannot read (decision 93), against the stack
on moto: a linked group folder, a dangling link, a FIFO, a folder named like minutes, a
linked .md, ok.md beside ok.MD, an attachment over 25 MiB. Each is reported as `minutes check`
reports it, exits 1, is never uploaded, and what it stands for in the bucket is never deleted
(an entry refused here is not gone)."""
from __future__ import annotations

import os
import resource

import pytest

from minutes.cli import EXIT_INVALID, EXIT_OK
from tests.support.aws import minutes_text
from tests.support.cli_bucket import bucket, run  # noqa: F401 (bucket: a fixture)
from tests.support.sources import write


def published(tmp_path, stack, bucket, capsys):
    """Two meetings of openxla synced and published; the folder they came from."""
    root = tmp_path / "minutes"
    write(root / "openxla" / "2024-05-07-a.md", minutes_text("A"))
    write(root / "openxla" / "2024-05-08-b.md", minutes_text("B"))
    code, out = run(capsys, "sync", str(root), "--bucket", bucket)
    assert code == EXIT_OK, out
    stack.drain()
    return root


def sources(stack) -> list[str]:
    return sorted(stack.source_objects())


def dangling(b, tmp_path):
    b.unlink()
    os.symlink(tmp_path / "nothing.md", b)


def fifo(b, tmp_path):
    b.unlink()
    os.mkfifo(b)


def linked(b, tmp_path):
    (tmp_path / "real.md").write_bytes(b.read_bytes())
    b.unlink()
    os.symlink(tmp_path / "real.md", b)


def folder(b, tmp_path):
    b.unlink()
    b.mkdir()


@pytest.mark.parametrize("change, code", [(dangling, "linked-source"), (fifo, "source-not-a-file"),
                                          (linked, "linked-source"), (folder, "source-not-a-file")])
def test_sync_delete_keeps_minutes_it_cannot_read(stack, bucket, tmp_path, capsys, change, code):
    root = published(tmp_path, stack, bucket, capsys)
    before = sources(stack)
    b = root / "openxla" / "2024-05-08-b.md"
    change(b, tmp_path)
    status, out = run(capsys, "sync", str(root), "--bucket", bucket, "--delete")
    stack.drain()
    assert status == EXIT_INVALID, out
    assert f"error {code}: minutes/openxla/2024-05-08-b.md" in out
    assert f"{b}: not uploaded" in out
    assert "0 removed" in out and "1 rejected (1 before upload)" in out, out
    assert sources(stack) == before
    assert "openxla/2024-05-08-b/index.html" in stack.site_keys()


def test_sync_delete_keeps_a_linked_group_folder(stack, bucket, tmp_path, capsys):
    root = published(tmp_path, stack, bucket, capsys)
    before = sources(stack)
    os.rename(root / "openxla", tmp_path / "elsewhere")
    os.symlink(tmp_path / "elsewhere", root / "openxla")
    status, out = run(capsys, "sync", str(root), "--bucket", bucket, "--delete")
    stack.drain()
    assert status == EXIT_INVALID, out
    assert "error linked-source: minutes/openxla/ is a symbolic link" in out
    assert "0 removed" in out, out
    assert sources(stack) == before == ["minutes/openxla/2024-05-07-a.md",
                                        "minutes/openxla/2024-05-08-b.md"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder")
def test_sync_delete_keeps_an_unreadable_folder(stack, bucket, tmp_path, capsys):
    root = published(tmp_path, stack, bucket, capsys)
    before = sources(stack)
    (root / "openxla").chmod(0)
    try:
        status, out = run(capsys, "sync", str(root), "--bucket", bucket, "--delete")
    finally:
        (root / "openxla").chmod(0o755)
    assert status == EXIT_INVALID and "source-unreadable" in out and "0 removed" in out, out
    assert sources(stack) == before


def test_sync_refuses_ok_md_beside_ok_MD_before_uploading_either(stack, bucket, tmp_path, capsys):
    root = published(tmp_path, stack, bucket, capsys)
    before = sources(stack)
    write(root / "openxla" / "2024-05-08-b.MD", minutes_text("B again"))
    status, out = run(capsys, "sync", str(root), "--bucket", bucket, "--delete")
    assert status == EXIT_INVALID, out
    assert "error duplicate-source" in out and "0 removed" in out, out
    assert sources(stack) == before


@pytest.mark.parametrize("how", ["sync", "upload"])
@pytest.mark.parametrize("name, make, code", [
    ("2024-05-08-b.md", os.mkfifo, "source-not-a-file"),
    ("group.yaml", os.mkfifo, "source-not-a-file"),
    ("2024-05-08-b.md", os.mkdir, "source-not-a-file")])
def test_entries_that_are_not_files_are_reported(stack, bucket, tmp_path, capsys, how, name, make,
                                                 code):
    root = tmp_path / "minutes"
    write(root / "openxla" / "2024-05-07-a.md", minutes_text("A"))
    make(root / "openxla" / name)
    status, out = run(capsys, how, str(root), "--bucket", bucket, "--wait", "0")
    assert status == EXIT_INVALID, out
    assert f"error {code}: minutes/openxla/{name}" in out, out
    assert f"{root / 'openxla' / name}: not uploaded" in out
    assert sources(stack) == ["minutes/openxla/2024-05-07-a.md"]


@pytest.mark.parametrize("how", ["sync", "upload"])
def test_an_attachment_over_the_limit_is_neither_read_nor_uploaded(stack, bucket, tmp_path,
                                                                   capsys, how):
    meeting = tmp_path / "minutes" / "openxla" / "2024-05-09-c"
    write(meeting / "NOTES.md", minutes_text("C", "See the [slides](slides.pdf)."))
    with open(meeting / "slides.pdf", "wb") as big:
        big.write(b"%PDF-1.4\n")
        big.truncate(300 * 1024 * 1024)   # sparse: no disk, 300 MiB if read
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    status, out = run(capsys, how, str(tmp_path / "minutes"), "--bucket", bucket)
    grew_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert status == EXIT_OK, out
    assert "warning attachment-too-large" in out
    assert f"{meeting / 'slides.pdf'}: not uploaded" in out
    assert sources(stack) == ["minutes/openxla/2024-05-09-c/NOTES.md"]
    assert grew_kib < 100 * 1024   # never read whole (300 MiB)
