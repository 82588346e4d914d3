"""The corpus site in headless Chromium: pages render with their stylesheet (served and opened
from disk), search works with JavaScript and explains itself without, and axe-core finds no
serious or critical accessibility violation, in the light and the dark colour scheme."""
from __future__ import annotations

import json
import threading
import urllib.parse
import time

import pytest

MEETING = "/openxla/2022-09-20-community-meeting/"   # attachments, slides, recording, contents
AXE_PAGES = ["/", "/openxla/", MEETING, "/rust-lang/2021-03-02/", "/search/?q=stablehlo", "/404.html"]
BLOCKING = ("serious", "critical")


def text(browser, selector: str) -> str | None:
    return browser.evaluate(f"(e => e && e.textContent.trim())(document.querySelector({json.dumps(selector)}))")


def styled(browser) -> dict:
    """Computed values the stylesheet sets and a browser's defaults do not."""
    return browser.evaluate("""(() => {
        const body = getComputedStyle(document.body);
        let rules = -1;   // a page opened from disk may not read its sheet's rules
        try { rules = document.styleSheets[0].cssRules.length; } catch (e) {}
        return {maxWidth: body.maxWidth, sheets: document.styleSheets.length, rules: rules,
                background: body.backgroundColor};
    })()""")


def test_archive_renders_with_its_stylesheet(browser, site_server):
    browser.color_scheme("light")
    browser.open(site_server("/"))
    assert text(browser, "h1") == "Meeting minutes"
    style = styled(browser)
    assert style["maxWidth"] == "736px" and style["rules"] > 50   # 46rem: the stylesheet applied
    assert browser.evaluate("document.querySelectorAll('.entries .entry').length") == 20
    assert browser.evaluate("document.querySelector('nav.pagination a[rel=next]') !== null")


def test_meeting_page_renders_its_header_contents_and_content(browser, site_server):
    browser.open(site_server(MEETING))
    assert text(browser, "h1") == "SIG OpenXLA Meeting Minutes 09/20 8AM PT"
    assert browser.evaluate("getComputedStyle(document.querySelector('.meeting-meta')).display") == "grid"
    terms = browser.evaluate("[...document.querySelectorAll('.meeting-meta dt')].map(e => e.textContent)")
    assert terms == ["Date", "Slides", "Recording", "Attachments"]
    assert browser.evaluate("document.querySelectorAll('nav.toc a').length") >= 4
    # The attachment link resolves to the published PDF next to the page.
    pdf = browser.evaluate("document.querySelector('.meeting-meta .attachments a').href")
    assert pdf == site_server(MEETING) + "%5BPublic%5D%20SIG%20OpenXLA%20Meeting%202022-09-20.pdf"


def test_the_site_works_opened_from_disk(browser, corpus_site):
    """The demo promise: opening site/index.html in a browser shows the archive."""
    browser.open((corpus_site / "index.html").as_uri())
    assert styled(browser)["maxWidth"] == "736px"
    first = browser.evaluate("document.querySelector('.entries .entry-title a').href")
    assert first.startswith("file://") and first.endswith("/index.html")
    browser.open(first)
    assert styled(browser)["maxWidth"] == "736px"
    group = browser.evaluate("document.querySelector('.meeting-group a').href")
    browser.open(group)
    assert browser.evaluate("document.querySelectorAll('.entries .entry').length") > 0


def wait_for(browser, expression: str, timeout: float = 10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = browser.evaluate(expression)
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {expression}")


def test_search_finds_meetings_and_links_to_them(browser, site_server):
    browser.open(site_server("/search/?q=stablehlo"))
    assert browser.evaluate("document.querySelector('form.search').hidden") is False
    assert browser.evaluate("document.querySelector('.search-fallback').hidden") is True
    count = wait_for(browser, "document.querySelectorAll('.search-results .entry').length")
    assert count >= 3
    assert "match" in text(browser, ".search-status")
    first = browser.evaluate("document.querySelector('.search-results a').href")
    browser.open(first)
    assert "stablehlo" in browser.evaluate("document.body.textContent.toLowerCase()")
    browser.open(site_server("/search/?q=zzzznotaword"))
    wait_for(browser, "document.querySelector('.search-status').textContent.includes('No meeting')")


def test_search_page_without_javascript_points_to_the_archive(browser, site_server):
    browser.call("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        browser.open(site_server("/search/"))
        assert browser.evaluate("getComputedStyle(document.querySelector('form.search')).display") == "none"
        assert "Search needs JavaScript" in text(browser, ".search-fallback")
    finally:
        browser.call("Emulation.setScriptExecutionDisabled", {"value": False})


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_or_critical_violations(browser, site_server, axe_source, scheme):
    browser.color_scheme(scheme)
    problems = []
    try:
        for path in AXE_PAGES:
            browser.open(site_server(path))
            if path.startswith("/search/"):
                wait_for(browser, "document.querySelectorAll('.search-results .entry').length")
            if scheme == "dark":   # the dark scheme is really in force
                assert styled(browser)["background"] == "rgb(18, 18, 18)"
            browser.evaluate(axe_source + "\n;0", wait=False)
            found = browser.evaluate("""axe.run(document, {resultTypes: ["violations"]}).then(r =>
                r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                        nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))})))""")
            problems += [f"{path} [{v['impact']}] {v['id']}: {v['help']} at {v['nodes']}"
                         for v in found if v["impact"] in BLOCKING]
    finally:
        browser.color_scheme("light")
    assert not problems, "\n".join(problems)


def _count(site) -> int:
    """How many term files the built index has (its meta.json)."""
    from minutes.search import meta_count
    return meta_count((site / "search" / "meta.json").read_bytes())


def _expected_hits(site, query_terms: list[str]) -> set[int]:
    """The ids a query must find, read from the built index files as search.js reads them."""
    from minutes.search import word_path
    found = None
    for term in query_terms:
        path = site / word_path(term, _count(site)).lstrip("/")
        shard = json.loads(path.read_bytes())["w"] if path.exists() else {}
        ids = set()
        for word, deltas in shard.items():
            if word == term or (len(term) >= 3 and word.startswith(term)):
                total = 0
                for delta in deltas:
                    total += delta
                    ids.add(total // 2)
        found = ids if found is None else found & ids
    return found or set()


def test_a_query_fetches_one_shard_per_word_and_finds_what_the_index_holds(browser, site_server, corpus_site):
    """The corpus index has one term file per ~10 listed meetings (meta.json says how many); a
    three-word query (one of them a prefix, one a short whole word) loads meta.json, exactly its
    words' term files and the week files of the results it shows, and shows every result it
    found (each read out of its week's file)."""
    from minutes.search import doc_path, shard_count, word_path
    query = ["meeting", "roadm", "xla"]
    expected = _expected_hits(corpus_site, query)
    assert 3 <= len(expected) <= 50
    files = _count(corpus_site)
    listed = sum(len(json.loads(p.read_bytes())) for p in (corpus_site / "search" / "d").iterdir())
    assert files == shard_count(listed) >= 16 and len({word_path(t, files) for t in query}) == 3
    assert sum(1 for _ in (corpus_site / "search" / "t").iterdir()) == files
    browser.open(site_server("/search/?q=" + "+".join(query)))
    count = wait_for(browser, "document.querySelectorAll('.search-results .entry').length")
    assert count == len(expected)
    assert text(browser, ".search-status") == f"{len(expected)} meetings match."
    fetched = browser.evaluate("performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)")
    shards = sorted(p for p in fetched if p.startswith("/search/t/"))
    assert shards == sorted(word_path(t, files) for t in query)
    assert [p for p in fetched if p == "/search/meta.json"] == ["/search/meta.json"]
    weeks = sorted(p for p in fetched if p.startswith("/search/d/"))
    assert weeks == sorted({doc_path(doc_id) for doc_id in expected})   # each result's week, once
    shown = browser.evaluate("Array.from(document.querySelectorAll('.search-results .entry-title a'))"
                             ".map(a => decodeURI(new URL(a.href).pathname))")
    paths = [json.loads((corpus_site / doc_path(i).lstrip("/")).read_bytes())[str(i)]["path"] for i in expected]
    assert sorted(shown) == sorted(p + "index.html" for p in paths)


QUERY = "Straße 日本語 ünïcode v1.2 c++ k8s δοκιμή x 2024-01-01 émoji🙂"


def _fetched_term_files(browser, url: str) -> list[str]:
    from minutes.search import words
    browser.open(url + "?q=" + urllib.parse.quote_plus(" ".join(words(QUERY))))
    wait_for(browser, "/match/.test(document.querySelector('.search-status').textContent)")
    fetched = browser.evaluate("performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)")
    return sorted(p for p in fetched if p.startswith("/search/t/"))


def test_the_script_names_each_word_s_shard_as_the_index_does(browser, site_server, corpus_site, tmp_path,
                                                              monkeypatch):
    """search.js hashes a word's prefix (its UTF-8) to its shard as search.shard_key does, then
    takes it modulo the count meta.json gives: words of several scripts, digits and joiners each
    fetch the file the index put them in (a file that does not exist is fetched too, and matches
    nothing), on the corpus site and on a site of SHARDS term files (a hash's every bit)."""
    from minutes import search
    from minutes.build import build
    from minutes.preview import make_server, url_of
    query = search.words(QUERY)
    assert _fetched_term_files(browser, site_server("/search/")) == sorted(
        {search.word_path(t, _count(corpus_site)) for t in query})
    src = tmp_path / "src" / "polyglot"
    src.mkdir(parents=True)
    (src / "2024-01-01-sync.md").write_text(f"# Sync\n\n{QUERY}\n", "utf-8")
    monkeypatch.setattr(search, "PER_SHARD", 0)   # SHARDS term files, however few the meetings
    build(tmp_path / "src", tmp_path / "site", site_url="https://minutes.example.org", workers=1)
    assert _count(tmp_path / "site") == search.SHARDS
    server = make_server(tmp_path / "site", port=0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert _fetched_term_files(browser, url_of(server, "/search/")) == sorted(
            {search.word_path(t, search.SHARDS) for t in query})
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_search_on_a_page_open_across_a_re_shard_asks_for_the_count_again_and_finds_moved_words(browser, tmp_path):
    """search.js reads meta.json once a page; the index may re-shard meanwhile (decision 64).
    Growing, the word's old file is still there without it; shrinking, its file is gone (404):
    either way the term matches nothing, so the script asks for the count again (once a query)
    and finds the word in its file of the new count."""
    from minutes import search
    from minutes.build import build
    from minutes.preview import make_server, url_of
    animals = ["quokka", "zebrafish", "marmot", "ocelot", "narwhal", "axolotl", "pangolin", "tapir",
               "okapi", "dugong", "wombat", "gecko"]
    stay = next(w for w in animals if search.word_path(w, 2) == "/search/t/000.json")
    moved = next(w for w in animals if search.word_path(w, 2) == "/search/t/001.json")
    src = tmp_path / "src" / "zoo"
    src.mkdir(parents=True)
    for n in range(search.PER_SHARD):                      # one term file
        (src / f"2024-01-{n + 1:02d}-sync.md").write_text(f"# Sync {n}\n\n{stay} {moved} day{n}\n", "utf-8")
    site = tmp_path / "site"
    build(tmp_path / "src", site, site_url="https://minutes.example.org", workers=1)
    assert _count(site) == 1

    def re_shard(listed: int) -> None:   # what the index writes, step by step, to the served files
        terms = {f"/search/t/{p.name}": p.read_bytes() for p in (site / "search" / "t").iterdir()}
        for step in search.reshard_steps(terms, listed, meta=(site / "search" / "meta.json").read_bytes()):
            for path, body in step:
                target = site / path.lstrip("/")
                target.unlink() if body is None else target.write_bytes(body)

    def query(word: str) -> str:
        browser.evaluate(f"""(() => {{ const i = document.querySelector("input[name=q]");
            i.value = {json.dumps(word)}; i.form.requestSubmit(); return 1; }})()""")
        wait_for(browser, f"/“{word}”|match/.test(document.querySelector('.search-status').textContent)"
                          f" && !/Searching/.test(document.querySelector('.search-status').textContent)")
        return text(browser, ".search-status")

    server = make_server(site, port=0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        browser.open(url_of(server, "/search/"))
        assert query(stay) == f"{search.PER_SHARD} meetings match."     # the count (1) is read
        re_shard(search.PER_SHARD + 1)                                 # 2 files: `moved` left 000
        assert _count(site) == 2 and moved.encode() not in (site / "search/t/000.json").read_bytes()
        assert query(moved) == f"{search.PER_SHARD} meetings match."
        browser.open(url_of(server, "/search/"))
        assert query(stay) == f"{search.PER_SHARD} meetings match."     # the count (2) is read
        re_shard(search.PER_SHARD)                                     # 1 file: 001 is gone
        assert not (site / "search/t/001.json").exists()
        assert query(moved) == f"{search.PER_SHARD} meetings match."
        assert query("nowhere") == "No meeting matches “nowhere”."
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
