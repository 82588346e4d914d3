"""`minutes upload` and `minutes sync` against the stack on moto: the emulated bucket delivers
the S3 events AWS would, publish answers with reports, the CLI prints the verdicts."""
from __future__ import annotations

from pathlib import Path

import pytest

from minutes import cli
from minutes.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, main
from tests.support.aws import minutes_text
from tests.support.cli_bucket import bucket, run  # noqa: F401 (bucket: a fixture)
from tests.support.sources import write


def versions(stack, prefix: str = "minutes/") -> list[str]:
    found = stack.s3.list_object_versions(Bucket=stack.minutes_bucket, Prefix=prefix)
    return [v["Key"] for v in found.get("Versions", [])]


# --- upload ------------------------------------------------------------------------------

def test_upload_checks_uploads_and_prints_the_verdict(stack, bucket, tmp_path, capsys):
    path = write(tmp_path / "minutes" / "openxla" / "2024-05-07-sync.md", minutes_text("Sync"))
    code, out = run(capsys, "upload", str(path), "--bucket", bucket)
    assert code == EXIT_OK
    assert "Published: minutes/openxla/2024-05-07-sync.md" in out
    assert "https://minutes.example.org/openxla/2024-05-07-sync/" in out
    report, _ = stack.report("minutes/openxla/2024-05-07-sync.md")
    assert report["status"] == "published"


def test_nothing_invalid_is_uploaded(stack, bucket, tmp_path, capsys):
    good = write(tmp_path / "minutes" / "g" / "2024-05-07-a.md", minutes_text("A"))
    bad = write(tmp_path / "minutes" / "g" / "2024-02-30-b.md", minutes_text("B"))
    code, out = run(capsys, "upload", str(good), str(bad), "--bucket", bucket)
    assert code == EXIT_INVALID
    assert "error date-invalid" in out and f"{bad}: not uploaded" in out
    assert versions(stack) == ["minutes/g/2024-05-07-a.md"]   # the valid one went up


def test_a_bad_key_is_refused_before_upload(stack, bucket, tmp_path, capsys):
    path = write(tmp_path / "notes.md", minutes_text("Sync"))
    code, out = run(capsys, "upload", str(path), "--key", "minutes/assets/2024-05-07-x.md",
                    "--bucket", bucket)
    assert code == EXIT_INVALID and "group-name" in out
    assert versions(stack) == []


def test_a_rejection_by_the_stack_is_printed_and_exits_1(stack, bucket, tmp_path, capsys,
                                                         monkeypatch):
    """A CLI older or newer than the deployed stack may accept what publish refuses: the
    stack's verdict is the one that counts."""
    from minutes.services import upload
    accept_all = lambda files, read=None: [upload.CheckVerdict(str(p), k, (), {}, ((k, str(p)),))
                                for k, p in files.items()]
    monkeypatch.setattr(upload, "check_keyed", accept_all)
    path = write(tmp_path / "minutes" / "g" / "2024-02-30-x.md", minutes_text("X"))
    code, out = run(capsys, "upload", str(path), "--bucket", bucket)
    assert code == EXIT_INVALID
    assert "Rejected: minutes/g/2024-02-30-x.md" in out and "date-invalid" in out


def test_no_verdict_in_time_exits_1_and_says_where_to_look(stack, tmp_path, capsys, monkeypatch):
    from minutes.aws.s3 import ScribeBucket
    # A bucket whose uploads trigger nothing (publish not wired): no report ever comes.
    monkeypatch.setattr(cli, "scribe_bucket",
                        lambda args: ScribeBucket(stack.s3, stack.minutes_bucket))
    path = write(tmp_path / "minutes" / "g" / "2024-05-07-x.md", minutes_text("X"))
    code, out = run(capsys, "upload", str(path), "--bucket", stack.minutes_bucket, "--wait", "0.2")
    assert code == EXIT_INVALID
    assert "no verdict within 0.2 s" in out and "reports/minutes/g/2024-05-07-x.md.txt" in out
    code, out = run(capsys, "upload", str(path), "--bucket", stack.minutes_bucket, "--wait", "0")
    assert code == EXIT_OK and "minutes/g/2024-05-07-x.md: uploaded" in out


def test_a_folder_meeting_goes_up_with_its_attachments(stack, bucket, tmp_path, capsys):
    folder = tmp_path / "minutes" / "openxla" / "2024-05-07-community"
    notes = write(folder / "NOTES.md", "# Community\n\nSee [the slides](slides.pdf).\n\n- a\n- b\n")
    write(folder / "slides.pdf", b"%PDF-1.4\n")
    code, out = run(capsys, "upload", str(notes), "--bucket", bucket)
    assert code == EXIT_OK, out
    assert sorted(versions(stack)) == [f"minutes/openxla/2024-05-07-community/{n}"
                                       for n in ("NOTES.md", "slides.pdf")]
    assert "missing-local-file" not in out
    stack.drain()
    assert "openxla/2024-05-07-community/slides.pdf" in stack.site_keys()


def test_usage_errors(stack, bucket, tmp_path, capsys):
    assert run(capsys, "upload", str(tmp_path / "nope.md"), "--bucket", bucket)[0] == EXIT_USAGE
    assert run(capsys, "sync", str(tmp_path / "nope"), "--bucket", bucket)[0] == EXIT_USAGE
    with pytest.raises(SystemExit):
        main(["upload", "x.md"])   # --bucket is required


def test_upload_of_a_folder_with_nothing_to_send_exits_0_as_check_and_build_do(
        stack, bucket, tmp_path, capsys, monkeypatch):
    """`minutes upload DIR` of a folder holding no .md file, group.yaml or meeting folder
    exited 2 ("no .md files given") where `minutes check DIR` and `minutes build DIR` exit 0
    (decision 108): now it says so in check's words and exits 0, asking no bucket; beside a
    folder with minutes, that one is uploaded as before (decision 118)."""
    empty = tmp_path / "empty"
    write(empty / "g" / "notes.txt", "not minutes\n")
    (tmp_path / "bare").mkdir()
    said = ("minutes upload: nothing to upload in {}: no .md file, group.yaml or meeting folder "
            "under it (the wrong folder?)")
    with monkeypatch.context() as patched:   # only empty folders: no bucket is asked
        patched.setattr(cli, "scribe_bucket", lambda args: pytest.fail("asked for the bucket"))
        code, out = run(capsys, "upload", str(empty), str(tmp_path / "bare"), "--bucket", bucket)
        assert (code, out) == (EXIT_OK, said.format(empty) + "\n" + said.format(tmp_path / "bare") + "\n")
        assert main(["check", str(empty)]) == main(["build", str(empty), "--out",
                                                    str(tmp_path / "site"), "--no-cache"]) == EXIT_OK
        capsys.readouterr()
    good = write(tmp_path / "minutes" / "g" / "2024-05-07-a.md", minutes_text("A"))
    code, out = run(capsys, "upload", str(empty), str(good.parent.parent), "--bucket", bucket)
    assert code == EXIT_OK and said.format(empty) in out and "Published: minutes/g/2024-05-07-a.md" in out
    assert versions(stack) == ["minutes/g/2024-05-07-a.md"]


def test_upload_of_a_meeting_folder_with_no_minutes_is_checked_not_a_usage_error(
        stack, bucket, tmp_path, capsys):
    """A dated folder holding notes.txt alone: check rejects it (no-documents); upload said
    "no .md files given" (exit 2). Now it is checked as check checks it (decision 118)."""
    src = tmp_path / "minutes"
    write(src / "g" / "2024-01-16-nomd" / "notes.txt", "x\n")
    code, out = run(capsys, "upload", str(src), "--bucket", bucket)
    assert code == EXIT_INVALID and "error no-documents" in out and "not uploaded" in out
    assert main(["check", str(src)]) == EXIT_INVALID
    assert versions(stack) == []


# --- sync --------------------------------------------------------------------------------

def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    write(root / "openxla" / "2024-05-07-sync.md", minutes_text("May sync"))
    write(root / "openxla" / "2024-06-04-sync.md", minutes_text("June sync"))
    write(root / "openxla" / "2024-07-02-community" / "NOTES.md", minutes_text("July"))
    write(root / "openxla" / "2024-07-02-community" / "deck.pdf", b"%PDF-1.4\n")
    write(root / ".git" / "config", "[core]\n")
    write(root / "README.md", "# Our minutes\n")   # not under a group: checked, rejected
    return root


def test_sync_uploads_what_changed_only_and_summarises(stack, bucket, tmp_path, capsys):
    root = repo(tmp_path)
    (root / "README.md").unlink()
    code, out = run(capsys, "sync", str(root), "--bucket", bucket)
    assert code == EXIT_OK, out
    assert "3 published, 0 rejected (0 before upload), 0 removed, 0 unchanged" in out
    assert len(versions(stack)) == 4
    # Nothing changed: nothing is uploaded again.
    code, out = run(capsys, "sync", str(root), "--bucket", bucket)
    assert code == EXIT_OK and "0 published" in out and "4 unchanged" in out
    assert len(versions(stack)) == 4
    # One edit: one upload.
    write(root / "openxla" / "2024-06-04-sync.md", minutes_text("June sync", "Edited."))
    code, out = run(capsys, "sync", str(root), "--bucket", bucket)
    assert code == EXIT_OK and "1 published" in out and "3 unchanged" in out
    assert versions(stack, "minutes/openxla/2024-06-04-sync.md").count(
        "minutes/openxla/2024-06-04-sync.md") == 2


def test_sync_deletes_only_when_asked(stack, bucket, tmp_path, capsys):
    root = repo(tmp_path)
    (root / "README.md").unlink()
    run(capsys, "sync", str(root), "--bucket", bucket)
    stack.drain()
    (root / "openxla" / "2024-05-07-sync.md").unlink()
    code, out = run(capsys, "sync", str(root), "--bucket", bucket)
    assert code == EXIT_OK and "0 removed" in out and "1 only in the bucket (kept)" in out
    assert "openxla/2024-05-07-sync/index.html" in stack.site_keys()
    code, out = run(capsys, "sync", str(root), "--bucket", bucket, "--delete")
    assert code == EXIT_OK and "1 removed" in out, out
    assert "Removed: minutes/openxla/2024-05-07-sync.md" in out
    stack.drain()
    assert "openxla/2024-05-07-sync/index.html" not in stack.site_keys()


def test_sync_never_uploads_an_invalid_meeting(stack, bucket, tmp_path, capsys):
    root = repo(tmp_path)
    write(root / "openxla" / "2024-08-06-broken.md", b"\xff\xfe\x00oops")
    code, out = run(capsys, "sync", str(root), "--bucket", bucket)
    assert code == EXIT_INVALID
    assert "3 published, 2 rejected (2 before upload)" in out
    uploaded = set(versions(stack))
    assert "minutes/README.md" not in uploaded and "minutes/openxla/2024-08-06-broken.md" not in uploaded


def test_sync_carries_group_yaml_and_its_verdict(stack, bucket, tmp_path, capsys):
    root = repo(tmp_path)
    (root / "README.md").unlink()
    write(root / "openxla" / "group.yaml", "name: SIG OpenXLA\n")
    code, out = run(capsys, "sync", str(root), "--bucket", bucket)
    assert code == EXIT_OK, out
    assert "Published: minutes/openxla/group.yaml" in out and "4 published" in out
    write(root / "openxla" / "group.yaml", "name: [broken\n")
    code, out = run(capsys, "sync", str(root), "--bucket", bucket)
    assert code == EXIT_INVALID and "group-yaml" in out and "1 rejected (1 before upload)" in out


def test_sync_delete_of_keys_never_published_gets_their_verdicts(stack, bucket, tmp_path, capsys):
    """Deleting a key publish never published from (a rejected upload; an attachment of a
    folder with no minutes) got no report (publish: nothing to take down), so `sync --delete`
    waited its whole --wait for each ("no verdict within 300 s", exit 1). Now publish answers
    such a delete with a report (removed, nothing published) and sync prints it (decision 118)."""
    root = repo(tmp_path)
    (root / "README.md").unlink()
    stack.s3.put_object(Bucket=bucket, Key="minutes/g/2024-02-30-bad.md", Body=b"# Bad\n")
    stack.s3.put_object(Bucket=bucket, Key="minutes/g/2024-03-01-f/slides.pdf", Body=b"%PDF-1.4\n")
    stack.drain()
    code, out = run(capsys, "sync", str(root), "--bucket", bucket, "--delete", "--wait", "30")
    assert code == EXIT_OK, out
    assert "no verdict within" not in out and "without a verdict" not in out
    for key in ("minutes/g/2024-02-30-bad.md", "minutes/g/2024-03-01-f/slides.pdf"):
        assert f"Removed: {key}\n\nNothing was published from it: the site did not change." in out
        assert stack.report(key)[0]["status"] == "removed"
    assert ", 2 removed," in out
