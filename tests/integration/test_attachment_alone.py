"""An attachment that is part of no meeting (`g/deck.pdf` directly in a group folder, one in a
meeting folder's subfolder, `logo.pdf` at the top): no build publishes it. check, build and
sync passed it over in silence (sync neither uploaded it nor said so); now each warns
(attachment-alone, exit 0), sync does not upload it and says so, and a copy the bucket holds
is kept, `--delete` too, while the folder holds the file (decision 108)."""
from __future__ import annotations

from minutes.cli import EXIT_OK
from tests.support.aws import minutes_text
from tests.support.cli_bucket import bucket, run  # noqa: F401 (bucket: a fixture)
from tests.support.sources import PDF, write

ALONE = ("g/deck.pdf", "g/2024-01-06-f/img/pic.png", "logo.pdf")


def tree(tmp_path):
    root = tmp_path / "minutes"
    write(root / "g" / "2024-01-05-ok.md", minutes_text("M"))
    write(root / "g" / "2024-01-06-f" / "NOTES.md", minutes_text("F"))
    for rel in ALONE:
        write(root / rel, PDF)
    return root


def warned(out: str, where: str, rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return (f"{where}/{rel}:1:1: warning attachment-alone: '{name}' is not published: attachments "
            "are published from a meeting's folder" in out)


def test_check_and_build_warn_of_an_attachment_part_of_no_meeting(tmp_path, capsys):
    root = tree(tmp_path)
    code, out = run(capsys, "check", str(root))
    assert code == EXIT_OK
    for rel in ALONE:
        assert warned(out, str(root), rel), out
        assert f"{root}/{rel}: not published (as minutes/{rel})" in out.splitlines(), out
    code, out = run(capsys, "build", str(root), "--out", str(tmp_path / "site"), "--no-cache")
    assert code == EXIT_OK
    assert "built 2 meetings (0 unchanged), " in out and "(0 rejected, 3 with warnings)" in out
    assert not any(p.name in ("deck.pdf", "pic.png", "logo.pdf") for p in (tmp_path / "site").rglob("*"))


def test_sync_says_it_and_uploads_nothing_of_it_and_keeps_a_bucket_copy(tmp_path, stack, bucket,
                                                                         capsys):
    root = tree(tmp_path)
    stack.s3.put_object(Bucket=bucket, Key="minutes/g/deck.pdf", Body=PDF)   # an older sync's
    code, out = run(capsys, "sync", str(root), "--bucket", bucket)
    assert code == EXIT_OK, out
    for rel in ALONE:
        assert warned(out, str(root), rel), out
        assert f"{root}/{rel}: not uploaded" in out.splitlines(), out
    assert sorted(stack.source_objects()) == ["minutes/g/2024-01-05-ok.md",
                                              "minutes/g/2024-01-06-f/NOTES.md", "minutes/g/deck.pdf"]
    assert "2 published, 0 rejected" in out and "outdated" not in out
    code, out = run(capsys, "sync", str(root), "--bucket", bucket, "--delete")
    assert code == EXIT_OK, out
    assert "minutes/g/deck.pdf" in stack.source_objects()   # the folder holds it: not gone
    assert warned(out, str(root), "g/deck.pdf"), out   # said each time, as build says it


def test_sync_delete_of_such_a_key_does_not_wait_for_a_verdict_publish_never_writes(
        tmp_path, stack, bucket, capsys):
    """Once the folder no longer holds it, `sync --delete` deletes the bucket's copy: publish has
    no meeting to take down and writes no report for it, and sync waited the whole --wait for
    one ("no verdict within 300 s", exit 1). Now sync awaits no verdict for a key no build
    publishes (decision 118)."""
    root = tree(tmp_path)
    for rel in ALONE:
        stack.s3.put_object(Bucket=bucket, Key=f"minutes/{rel}", Body=PDF)   # an older sync's
        (root / rel).unlink()
    code, out = run(capsys, "sync", str(root), "--bucket", bucket, "--delete", "--wait", "30")
    assert code == EXIT_OK, out
    assert "no verdict within" not in out and "without a verdict" not in out
    for rel in ALONE:
        assert f"minutes/{rel}: deleted (part of no meeting, published nowhere: no verdict to " \
            "wait for)" in out.splitlines(), out
    assert sorted(stack.source_objects()) == ["minutes/g/2024-01-05-ok.md",
                                              "minutes/g/2024-01-06-f/NOTES.md"]
    assert "2 published, 0 rejected (0 before upload), 0 removed" in out
