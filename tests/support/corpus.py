"""The real minutes in ../shared/corpus, mapped onto bucket keys as its README suggests."""
from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Copied unchanged (with licences) from ../shared so a fresh clone tests the same files.
CORPUS = Path(os.environ.get("MINUTES_CORPUS", REPO / "corpus"))
SAMPLES = Path(os.environ.get("MINUTES_SAMPLES", REPO / "samples"))


def corpus_key(path: Path) -> str | None:
    """Bucket key for a corpus file, or None for files that are not minutes (licences)."""
    rel = path.relative_to(CORPUS).parts
    community, rest = rel[0], rel[1:]
    if path.suffix.lower() not in (".md", ".pdf", ".png", ".jpg", ".jpeg", ".webp"):
        return None
    if community == "openxla" and rest[0] == "meetings":
        return "minutes/openxla/" + "/".join(rest[1:])
    if community == "onnx":
        return f"minutes/onnx-{rest[0]}/" + "/".join(rest[2:])
    if community == "rust-lang":
        group = "rust-lang" if rest[0] == "minutes" else "rust-lang-design"
        return f"minutes/{group}/" + "/".join(rest[1:])
    if community == "kubernetes":
        return f"minutes/k8s-{rest[0]}/" + "/".join(rest[2:])
    return None


def corpus_files() -> dict[str, Path]:
    """Every corpus file that maps to a key, by key (sorted)."""
    found = {}
    for path in sorted(CORPUS.rglob("*")):
        if path.is_file() and (key := corpus_key(path)):
            found[key] = path
    return found
