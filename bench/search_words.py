"""What a cold build pays to find its meetings' search words (decisions 62, 66): search.packed_terms
from the record's HTML, and from the text the Markdown walk found (Assembled.search_text, what
a build passes when the page holds no raw HTML), beside their anchor, the same words found the
reference way (search.terms: words() over the text, as packed_terms did before), on the same
generated meetings in the same run, interleaved. CPU seconds per 1,000 meetings of one
process; the ratio is what to read.

    python -m bench.search_words            # 300 meetings; BENCH_WORDS_MEETINGS=1000 for more
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
from minutes import search  # noqa: E402
from minutes.meeting import SourceFile, assemble  # noqa: E402

ROUNDS = 5


def reference_packed(record) -> search.Words:
    """packed_terms as it was: terms() (ordered words, a dict) and each prefix's shard."""
    found = search.terms(record)
    title = [word for word, in_title in found.items() if in_title]
    other = [word for word, in_title in found.items() if not in_title]
    shards = sorted({search.shard_key(word) for word in found})
    return search.Words(" ".join(title), " ".join(other), " ".join(shards))


def main() -> int:
    meetings = int(os.environ.get("BENCH_WORDS_MEETINGS", "300"))
    with tempfile.TemporaryDirectory(prefix="bench-words-") as tmp:
        generated = generate(Path(tmp), meetings)
        assembled = [assemble([SourceFile(f"minutes/{key}", (generated.minutes / key).read_bytes())],
                              site_host="minutes.example.org") for key in generated.keys]
    records = [item.record for item in assembled]
    shown = [item.search_text for item in assembled]
    for record, text in zip(records, shown):   # the same words, or the numbers mean nothing
        old = reference_packed(record)
        for new in (search.packed_terms(record), search.packed_terms(record, text)):
            assert (set(new.title.split()), set(new.other.split()), new.shards) == \
                (set(old.title.split()), set(old.other.split()), old.shards), record.meeting
    ways = {"reference (terms)": lambda: [reference_packed(record) for record in records],
            "packed_terms": lambda: [search.packed_terms(record) for record in records],
            "  from the walk": lambda: [search.packed_terms(record, text)
                                        for record, text in zip(records, shown)]}
    times: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(ROUNDS):
        for name, find in ways.items():
            started = time.process_time()
            find()
            times[name].append((time.process_time() - started) * 1000 / len(records))
    anchor = statistics.median(times["reference (terms)"])
    print(f"search words of {len(records)} generated meetings, one process, median of {ROUNDS} "
          f"interleaved rounds (CPU s per 1,000 meetings; {sum(t is not None for t in shown)} "
          "with the walk's text, the others from the HTML)")
    for name, runs in times.items():
        print(f"  {name:<18} {statistics.median(runs):6.3f} s   {statistics.median(runs) / anchor:5.2f}x "
              f"the reference   (runs {min(runs):.3f}-{max(runs):.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
