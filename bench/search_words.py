"""What a cold build pays to find its meetings' search words (decision 62): search.packed_terms
beside its anchor, the same words found the reference way (search.terms: words() over the
text, as packed_terms did before), on the same generated meetings in the same run, interleaved.
CPU seconds per 1,000 meetings of one process; the ratio is what to read.

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
        records = [assemble([SourceFile(f"minutes/{key}", (generated.minutes / key).read_bytes())],
                            site_host="minutes.example.org").record for key in generated.keys]
    for record in records:   # the same words, or the numbers mean nothing
        new, old = search.packed_terms(record), reference_packed(record)
        assert (set(new.title.split()), set(new.other.split()), new.shards) == \
            (set(old.title.split()), set(old.other.split()), old.shards), record.meeting
    times: dict[str, list[float]] = {"reference (terms)": [], "packed_terms": []}
    for _ in range(ROUNDS):
        for name, find in (("reference (terms)", reference_packed), ("packed_terms", search.packed_terms)):
            started = time.process_time()
            for record in records:
                find(record)
            times[name].append((time.process_time() - started) * 1000 / len(records))
    anchor = statistics.median(times["reference (terms)"])
    print(f"search words of {len(records)} generated meetings, one process, median of {ROUNDS} "
          f"interleaved rounds (CPU s per 1,000 meetings)")
    for name, runs in times.items():
        print(f"  {name:<18} {statistics.median(runs):6.3f} s   {statistics.median(runs) / anchor:5.2f}x "
              f"the reference   (runs {min(runs):.3f}-{max(runs):.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
