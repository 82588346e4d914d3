"""Search (issue 9, target 7): what a reader's browser downloads to answer one query, at N
meetings (BENCH_SEARCH_MEETINGS, default 10,000), for the chunked index (minutes/search.py) and
for Pagefind (the anchor) on the same generated meetings, measured the same way in the same run:
headless Chromium runs each query; every file it fetched is counted at its compressed size
(gzip -6 as a CDN would send it; Pagefind's own .pf_* files are gzip already). Also what one new
meeting makes the index rewrite, and the single-file index of before as a second anchor.

    python -m bench.search_size           # needs Chromium (scripts/system-deps.sh) and pagefind[bin]
"""
from __future__ import annotations

import collections
import functools
import gzip
import http.server
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sitegen import generate  # noqa: E402

MEETINGS = int(os.environ.get("BENCH_SEARCH_MEETINGS", "10000"))
TARGET_KB = 300
SITE = "https://minutes.example.org"


def _record(args):
    from minutes.meeting import SourceFile, assemble
    key, data = args
    return assemble([SourceFile(key, data)], site_host="minutes.example.org").record


def records_of(generated) -> list:
    jobs = [("minutes/" + key, (generated.minutes / key).read_bytes()) for key in generated.keys]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return list(pool.map(_record, jobs, chunksize=64))


def compressed(path: Path) -> int:
    data = path.read_bytes()
    return len(data) if data[:2] == b"\x1f\x8b" else len(gzip.compress(data, 6))


def write_ours(records, out: Path) -> dict[str, bytes]:
    from minutes.pages import PageRenderer, SiteConfig
    from minutes.search import PAGE_PATH, search_files
    renderer = PageRenderer(SiteConfig(site_url=SITE))
    files = search_files(records)
    everything = {**files, **renderer.assets(), PAGE_PATH + "index.html": renderer.search_page().encode()}
    for path, data in everything.items():
        target = out / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data if isinstance(data, bytes) else data.encode())
    return files


PAGEFIND_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>search</title></head>
<body><script>
window.query = async (q) => {
  const pagefind = await import("/pagefind/pagefind.js");
  const search = await pagefind.search(q);
  await Promise.all(search.results.slice(0, 50).map(r => r.data()));
  return search.results.length;
};
</script></body></html>"""


def write_pagefind(records, out: Path) -> float:
    import html
    for r in records:
        page = out / r.url_path.lstrip("/") / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(r.title)}'
                        f'</title></head><body><main data-pagefind-body><h1>{html.escape(r.title)}</h1>'
                        f'<p>{r.group} {r.date.isoformat()}</p>{r.content_html}</main></body></html>')
    (out / "search.html").write_text(PAGEFIND_PAGE)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pagefind", "--site", str(out), "--quiet"], check=True)
    return time.perf_counter() - started


def queries(files: dict[str, bytes]) -> list[str]:
    """Real words of the generated minutes at several document frequencies (the most common word
    is the worst case for an inverted index), alone and in twos and threes."""
    frequency = collections.Counter()
    for path, data in files.items():
        if path.startswith("/search/t/"):
            for word, postings in json.loads(data)["w"].items():
                if len(word) >= 4 and word.isalpha():
                    frequency[word] = len(postings)
    ranked = [w for w, _ in frequency.most_common()]
    picks = [ranked[int(len(ranked) * q)] for q in (0, 0.0005, 0.002, 0.01, 0.05, 0.2)]
    return picks + [f"{picks[0]} {picks[3]}", f"{picks[1]} {picks[2]}", f"{picks[0]} {picks[1]} {picks[2]}",
                    picks[2][:3], f"{picks[4]} {picks[5]}"]


def measure(browser, server, serve, site: Path, open_query, fixed_prefixes) -> list[dict]:
    """Every file the server sent while the browser answered each query (workers included;
    nothing cached), at its compressed size."""
    rows = []
    for query in QUERIES:
        server.seen.clear()
        found = open_query(browser, serve, query)
        sizes = {p: compressed(f) for p in set(server.seen) if (f := _local(site, p)) is not None}
        fixed = sum(s for p, s in sizes.items() if p.startswith(fixed_prefixes) or p.endswith("/"))
        rows.append({"query": query, "found": found, "files": len(sizes),
                     "index_kb": (sum(sizes.values()) - fixed) / 1024, "total_kb": sum(sizes.values()) / 1024})
    return rows


def _local(site: Path, path: str) -> Path | None:
    """The file a fetched path is (None for a 404: a shard that does not exist)."""
    import urllib.parse
    file = site / urllib.parse.unquote(path).lstrip("/")
    file = file / "index.html" if path.endswith("/") else file
    return file if file.is_file() else None


def _ours(browser, serve, query):
    import urllib.parse
    browser.open(serve("/search/?q=" + urllib.parse.quote_plus(query)))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = browser.evaluate("document.querySelector('.search-status').textContent")
        if "match" in status:   # "No meeting matches", "1 meeting matches.", "12 meetings match."
            return int(status.split()[0]) if status[0].isdigit() else 0
        time.sleep(0.05)
    raise RuntimeError(f"no answer for {query!r}: {status}")


def _pagefind(browser, serve, query):
    browser.open(serve("/search.html"))
    return browser.evaluate(f"window.query({json.dumps(query)})")


class _Recording(http.server.SimpleHTTPRequestHandler):
    """Serves the folder with caching off and notes every path it is asked for."""

    def do_GET(self):
        self.server.seen.append(urllib.parse.urlsplit(self.path).path)
        super().do_GET()

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, *args):
        pass


def _serve(site: Path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Recording, directory=str(site)))
    server.seen = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    return server, (lambda path="/": f"http://{host}:{port}/{path.lstrip('/')}")


def _old_index_kb(records) -> float:
    """The single /search/index.json of before (every meeting's words in one file)."""
    from minutes.model import sort_newest_first
    from minutes.search import plain_text, words
    entries = [{"title": r.title, "date": r.date.isoformat(), "group": r.group, "path": r.url_path,
                "status": r.status, "summary": r.summary, "words": " ".join(words(plain_text(r.content_html)))}
               for r in sort_newest_first(r for r in records if r.listed)]
    data = json.dumps({"version": 1, "meetings": entries}, ensure_ascii=False, separators=(",", ":")).encode()
    return len(gzip.compress(data, 6)) / 1024


QUERIES: list[str] = []


def main() -> int:
    from tests.browser.chromium import Chromium
    from minutes.search import doc_ids, file_key, shard_count, shard_for, shard_path
    global QUERIES
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        started = time.perf_counter()
        generated = generate(tmp / "gen", MEETINGS)
        records = records_of(generated)
        shutil.rmtree(tmp / "gen")
        print(f"{len(records):,} meetings generated and rendered in {time.perf_counter() - started:.0f} s", flush=True)
        started = time.perf_counter()
        files = write_ours(records, tmp / "ours")
        ours_s = time.perf_counter() - started
        pagefind_s = write_pagefind(records, tmp / "pf")
        QUERIES = queries(files)
        shard_kb = {p: compressed(tmp / "ours" / p.lstrip("/")) / 1024 for p in files if p.startswith("/search/t/")}
        pf_index = list((tmp / "pf" / "pagefind").rglob("*"))
        print(f"index build: ours {ours_s:.1f} s, {len(files):,} files, {sum(shard_kb.values()) / 1024:.1f} MB of "
              f"shards (largest {max(shard_kb.values()):.0f} KB); Pagefind {pagefind_s:.1f} s, "
              f"{sum(1 for p in pf_index if p.is_file()):,} files, "
              f"{sum(compressed(p) for p in pf_index if p.is_file()) / 2**20:.1f} MB; "
              f"the single index.json of before: {_old_index_kb(records) / 1024:.1f} MB gzipped", flush=True)
        with Chromium() as browser:
            server, serve = _serve(tmp / "ours")
            browser.call("Network.enable")
            browser.call("Network.setCacheDisabled", {"cacheDisabled": True})
            mine = measure(browser, server, serve, tmp / "ours", _ours, ("/assets/",))
            server.shutdown()
            server, serve = _serve(tmp / "pf")
            anchor = measure(browser, server, serve, tmp / "pf", _pagefind,
                             ("/pagefind/pagefind.js", "/pagefind/pagefind-worker", "/pagefind/pagefind-entry",
                              "/pagefind/wasm", "/pagefind/pagefind.", "/search.html"))
            server.shutdown()
        print(f"{'query':<34} | {'ours: found':>11} {'files':>5} {'index KB':>9} {'total KB':>9} | "
              f"{'Pagefind: found':>15} {'files':>5} {'index KB':>9} {'total KB':>9}")
        for a, b in zip(mine, anchor):
            print(f"{a['query'][:34]:<34} | {a['found']:>11} {a['files']:>5} {a['index_kb']:>9.1f} {a['total_kb']:>9.1f} | "
                  f"{b['found']:>15} {b['files']:>5} {b['index_kb']:>9.1f} {b['total_kb']:>9.1f}")
        worst = max(r["total_kb"] for r in mine)
        print(f"per query, total KB: ours median {statistics.median(r['total_kb'] for r in mine):.0f}, max {worst:.0f}; "
              f"Pagefind median {statistics.median(r['total_kb'] for r in anchor):.0f}, "
              f"max {max(r['total_kb'] for r in anchor):.0f}; target <= {TARGET_KB} KB: "
              f"{'ok' if worst <= TARGET_KB else 'MISSED'}")
        # One more meeting (the newest): the files the index rewrites.
        new = records[-1]
        ids = doc_ids(records)
        touched = {file_key(shard, shard_count(len(records))) for shard in shard_for(new)}
        rewritten = sum(shard_kb.get(shard_path(s), 0) for s in touched)
        print(f"one new meeting rewrites {len(touched)} of {len(shard_kb):,} shards "
              f"({rewritten:.0f} of {sum(shard_kb.values()):,.0f} KB) and its week's result and keys files "
              f"(id {ids[(new.group, new.meeting)]}); Pagefind rebuilds everything")
        return 0 if worst <= TARGET_KB else 1


if __name__ == "__main__":
    sys.exit(main())
