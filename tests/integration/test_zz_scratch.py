from tests.support.aws import minutes_text
from tests.support.cli_bucket import bucket, run  # noqa: F401
from tests.support.sources import write, PDF

def test_scratch(tmp_path, bucket, stack, capsys):
    root = tmp_path / "minutes"
    write(root / "g" / "2024-01-05-ok.md", minutes_text("M"))
    (root / "g" / "deck.pdf").write_bytes(PDF)
    (root / "g" / "2024-01-06-f").mkdir()
    write(root / "g" / "2024-01-06-f" / "NOTES.md", minutes_text("F"))
    (root / "g" / "2024-01-06-f" / "sub").mkdir()
    (root / "g" / "2024-01-06-f" / "sub" / "x.pdf").write_bytes(PDF)
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    code, out = run(capsys, "sync", str(root), "--bucket", bucket)
    print(code, out)
    print(sorted(stack.source_objects()))
    code, out = run(capsys, "check", str(root))
    print(code, out)
    code, out = run(capsys, "build", str(root), "--out", str(tmp_path / "site"), "--no-cache")
    print(code, out)
    assert 0
