"""Source files on disk, as a scribe's folder holds them (tests of check, build, upload, sync)."""
from __future__ import annotations

from pathlib import Path

# A small valid PDF header: enough for the attachment type checks (magic bytes, not parsing).
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


def write(path: Path, content: str | bytes) -> Path:
    """Write `content` (text as UTF-8) at `path`, making its folders; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path
