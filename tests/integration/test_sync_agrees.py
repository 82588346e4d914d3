"""`minutes sync` reads each local file once and uploads the bytes it checked; an attachment that
grows past the 25 MiB limit leaves the site as a fresh `minutes build` of the folder leaves it
once `--delete` is given, and is said to linger without it (decision 100). Against the stack on
moto (real boto3, the real handlers)."""
from __future__ import annotations

import io
import os
from collections import Counter

from minutes.cli import EXIT_INVALID, EXIT_OK
from minutes.meeting import MAX_ATTACHMENT_BYTES
from tests.support.aws import minutes_text
from tests.support.cli_bucket import bucket, run  # noqa: F401 (bucket: a fixture)
from tests.support.soak import site_differences
from tests.support.sources import PDF, write

GROUP_YAML = "name: OpenXLA\ndescription: Compilers.\n"


def folder(tmp_path):
    root = tmp_path / "minutes"
    write(root / "openxla" / "group.yaml", GROUP_YAML)
    write(root / "openxla" / "2024-05-07-a.md", minutes_text("A"))
    write(root / "openxla" / "2024-05-09-c" / "NOTES.md",
          minutes_text("C", "See the [slides](slides.pdf)."))
    write(root / "openxla" / "2024-05-09-c" / "slides.pdf", PDF)
    return root


def opened_under(monkeypatch, root) -> Counter:
    """How many times each file under `root` is opened (os.open and io.open, which
    pathlib's read_bytes uses), from now on."""
    opened: Counter = Counter()
    real_os_open, real_io_open = os.open, io.open

    def note(path):
        path = os.fsdecode(path) if isinstance(path, (str, bytes, os.PathLike)) else ""
        if path.startswith(str(root)):
            opened[os.path.relpath(path, root)] += 1

    def os_open(path, *args, **kwargs):
        note(path)
        return real_os_open(path, *args, **kwargs)

    def io_open(file, *args, **kwargs):
        note(file)
        return real_io_open(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(io, "open", io_open)
    return opened


def test_sync_reads_each_file_once(stack, bucket, tmp_path, capsys, monkeypatch):
    """Each file was read to hash it, again by the check, again to upload it: three opens of a
    changed file, and what went up could differ from what was checked."""
    root = folder(tmp_path)
    every = sorted(os.path.relpath(p, root) for p in root.rglob("*") if p.is_file())
    opened = opened_under(monkeypatch, root)
    code, out = run(capsys, "sync", str(root), "--bucket", bucket)
    assert code == EXIT_OK, out
    assert "3 published, 0 rejected (0 before upload)" in out, out
    assert dict(opened) == {rel: 1 for rel in every}
    stack.drain()
    assert sorted(stack.source_objects()) == ["minutes/" + rel for rel in every]

    write(root / "openxla" / "2024-05-09-c" / "NOTES.md", minutes_text("C", "New [slides](slides.pdf)."))
    opened.clear()
    code, out = run(capsys, "sync", str(root), "--bucket", bucket)
    assert code == EXIT_OK, out
    assert dict(opened) == {rel: 1 for rel in every}   # unchanged ones: hashed, once
    stack.drain()
    assert site_differences(stack, root) == []


def test_an_attachment_grown_past_the_limit_leaves_the_site_under_delete(stack, bucket, tmp_path,
                                                                         capsys):
    """Before: the grown file was held back (not uploaded) and its older copy stayed in the
    bucket, published, under `sync --delete` too, while a fresh build of the folder leaves it
    out; nothing said so."""
    root = folder(tmp_path)
    code, out = run(capsys, "sync", str(root), "--bucket", bucket)
    assert code == EXIT_OK, out
    stack.drain()
    slides = root / "openxla" / "2024-05-09-c" / "slides.pdf"
    key = "minutes/openxla/2024-05-09-c/slides.pdf"
    with open(slides, "r+b") as grown:
        grown.truncate(MAX_ATTACHMENT_BYTES + 1)   # sparse

    code, out = run(capsys, "sync", str(root), "--bucket", bucket)
    assert code == EXIT_OK, out
    assert "warning attachment-too-large" in out and f"{slides}: not uploaded" in out
    assert f"{key}: an older copy is in the bucket, and published, while `minutes build`" in out
    assert "run `minutes sync --delete` to remove it from the site" in out
    assert "1 outdated in the bucket (kept)" in out
    stack.drain()
    assert stack.source_objects()[key] == PDF   # nothing deleted without --delete

    code, out = run(capsys, "sync", str(root), "--bucket", bucket, "--delete")
    assert code == EXIT_OK, out
    assert f"{key}: its older copy is deleted from the bucket (--delete)" in out
    stack.drain()
    assert key not in stack.source_objects()
    assert not any(k.endswith("slides.pdf") for k in stack.site_keys())
    assert site_differences(stack, root) == []
    code, out = run(capsys, "sync", str(root), "--bucket", bucket, "--delete")   # settled
    assert code == EXIT_OK and "0 removed" in out and "outdated" not in out, out


def test_a_meeting_folder_without_markdown_is_refused_and_said(stack, bucket, tmp_path, capsys):
    """Slides put in a meeting folder before its notes: sync checked only meetings with
    Markdown, so it uploaded nothing of the folder and said nothing (exit 0), while check and
    build reject it (no-documents). Now refused before upload, with build's words."""
    root = tmp_path / "minutes"
    write(root / "openxla" / "2024-05-07-a.md", minutes_text("A"))
    slides = write(root / "openxla" / "2024-05-09-c" / "slides.pdf", PDF)
    code, out = run(capsys, "sync", str(root), "--bucket", bucket)
    assert code == EXIT_INVALID, out
    assert "error no-documents: The meeting folder has no Markdown document." in out
    assert f"{slides}: not uploaded" in out and "1 rejected (1 before upload)" in out
    stack.drain()
    assert sorted(stack.source_objects()) == ["minutes/openxla/2024-05-07-a.md"]
    assert site_differences(stack, root) == []
