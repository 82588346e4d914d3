"""What a cold build pays for its feed entries (decision 61): feeds.entry_parts (URLs rewritten
only where one changes, entries written by feed_xml) beside its anchor, the same entries made
the way they were before (the start-tag pass over every entry's content, every entry through
feedgen's tree, eight to a document as `minutes build` batches them), on the same generated
meetings in the same run, interleaved; and the scopes' documents (their heads) written against
feedgen's. CPU seconds per 1,000 entries of one process; the ratio is what to read.

    python -m bench.feed_entries            # 300 meetings; BENCH_FEED_MEETINGS=1000 for more
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sitegen import generate  # noqa: E402
from minutes import feeds  # noqa: E402
from minutes.links import without_heading_anchors  # noqa: E402
from minutes.meeting import SourceFile, assemble  # noqa: E402

ROUNDS = 5
SITE = "https://bench.example.org"
PER_DOCUMENT = 8   # build._ENTRIES_PER_DOCUMENT


def reference_parts(records) -> list[tuple[tuple[bytes, ...], tuple[bytes, ...]]]:
    """entry_parts as it was: the content through the tag pass and the pattern, feedgen's tree."""
    fields = []
    for record in records:
        entry = feeds._entry_fields(record, site_url=SITE)
        content = feeds._XML_ILLEGAL.sub("", without_heading_anchors(record.content_html)).strip()
        if content:
            content = feeds._rewrite_url_tags(content, feeds._url_rewriter(entry.page_url, SITE))
        fields.append(entry._replace(content=content))
    return feeds._feedgen_parts(fields, site_url=SITE)


def reference_document(kind: str, **options) -> bytes:
    fg = feeds._head(self_type=feeds._SELF_TYPES[kind], **options)
    return fg.rss_str(pretty=True) if kind == "rss" else fg.atom_str(pretty=True)


def batches(records):
    return [records[i:i + PER_DOCUMENT] for i in range(0, len(records), PER_DOCUMENT)]


def main() -> int:
    meetings = int(os.environ.get("BENCH_FEED_MEETINGS", "300"))
    with tempfile.TemporaryDirectory(prefix="bench-feeds-") as tmp:
        generated = generate(Path(tmp), meetings)
        records = [assemble([SourceFile(f"minutes/{key}", (generated.minutes / key).read_bytes())],
                            site_host="bench.example.org").record for key in generated.keys]
    records = feeds.feed_records(records, limit=len(records))
    heads = [dict(site_url=SITE, title=f"Meeting minutes: {group}", self_path=f"/{group}/feed.xml",
                  description=f"Meeting minutes published at {SITE}/{group}/", link_path=f"/{group}/",
                  updated=feeds.entry_updated(records[0])) for group in sorted({r.group for r in records})]
    for batch in batches(records):   # the same bytes, or the numbers mean nothing
        assert [tuple(map(b"".join, made)) for made in feeds.entry_parts(batch, site_url=SITE)] == \
            [tuple(map(b"".join, made)) for made in reference_parts(batch)]
    for head in heads:
        for kind in ("rss", "atom"):
            assert feeds._document(kind, **head) == reference_document(kind, **head)
    ways = {"entries: before (feedgen)": lambda: [reference_parts(b) for b in batches(records)],
            "entries: entry_parts": lambda: [feeds.entry_parts(b, site_url=SITE) for b in batches(records)],
            "heads: before (feedgen)": lambda: [reference_document(k, **h) for h in heads for k in ("rss", "atom")],
            "heads: written": lambda: [feeds._document(k, **h) for h in heads for k in ("rss", "atom")]}
    times: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(ROUNDS):
        for name, run in ways.items():
            started = time.process_time()
            run()
            times[name].append((time.process_time() - started) * 1000 / len(records))
    print(f"feed entries of {len(records)} generated meetings and {2 * len(heads)} documents' heads, "
          f"one process, median of {ROUNDS} interleaved rounds (CPU s per 1,000 entries)")
    for name, runs in times.items():
        anchor = statistics.median(times[name.split(":")[0] + ": before (feedgen)"])
        print(f"  {name:<26} {statistics.median(runs):6.3f} s   {statistics.median(runs) / anchor:5.2f}x "
              f"before   (runs {min(runs):.3f}-{max(runs):.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
