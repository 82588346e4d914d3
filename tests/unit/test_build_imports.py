"""A rebuild imports only what its path uses: `minutes build` after one change assembles and
renders one meeting (the Markdown engine, templates) and remakes its feeds (without feedgen and
lxml: decision 61), but loads nothing for checking (unless a source is rejected), no second
process's machinery (one process does a rebuild's work), and no importlib.metadata (the code
version reads the installed versions from the names of the .dist-info folders). Behaviour, not
time: bench/build_vs_hugo.py measures it."""
from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from minutes import buildcache
from tests.support.sources import write

SITE = "https://minutes.example.org"
NOT_ON_A_REBUILD = {
    "minutes.check": "verdicts (only when a source is rejected)",
    "importlib.metadata": "the installed versions (read from the .dist-info names)",
    "concurrent.futures": "worker processes (a rebuild's work runs in one)",
    "email": "mail (pulled in by importlib.metadata)",
    "multiprocessing": "worker processes",
    "yaml": "front matter (these sources have none; nor group.yaml files)",
    "minutes.running_notes": "running-notes files (every key here is dated: one meeting each)",
    "importlib.resources": "the site's static files (read beside pages.py: no zipfile import)",
    "zipfile": "(what importlib.resources' readers import)",
    "zoneinfo": "time zones (none in these sources' front matter, no group.yaml, no calendar remade)",
    "difflib": "did-you-mean hints (no unknown front-matter key)",
    "html.parser": "a stored record without its resources (resources.find_resources; decision 73)",
}


def imported_by_build(src: Path, out: Path, cache: Path) -> set[str]:
    code = ("import json, sys\nfrom minutes import cli\n"
            f"code = cli.main(['build', {str(src)!r}, '--out', {str(out)!r}, '--base-url', {SITE!r},"
            f" '--cache-dir', {str(cache)!r}])\n"
            "print(json.dumps([code, sorted(sys.modules)]))")
    lines = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                           text=True).stdout.splitlines()
    code, modules = json.loads(lines[-1])
    assert code == 0
    return set(modules)


def loaded(modules: set[str], name: str) -> set[str]:
    return {m for m in modules if m == name or m.startswith(name + ".")}


def test_a_rebuild_imports_only_what_its_path_uses(tmp_path):
    src, out, cache = tmp_path / "src", tmp_path / "site", tmp_path / "cache"
    for day in range(1, 6):
        write(src / "wg" / f"2024-05-0{day}-sync.md", f"# Sync {day}\n\n- item {day}\n- b\n")
    imported_by_build(src, out, cache)   # cold
    unchanged = imported_by_build(src, out, cache)
    feed = (out / "wg" / "feed.xml").read_bytes()
    write(src / "wg" / "2024-05-03-sync.md", "# Sync 3\n\n- item 3\n- b\n- c\n")
    one_change = imported_by_build(src, out, cache)
    for modules in (unchanged, one_change):
        assert {name: loaded(modules, name) for name in NOT_ON_A_REBUILD} == \
               {name: set() for name in NOT_ON_A_REBUILD}
    # The change is in the feeds, made again without feedgen and lxml: feed_xml writes
    # ordinary entries and documents (decision 61). The test sees imports: jinja2 made the page.
    assert (out / "wg" / "feed.xml").read_bytes() != feed
    assert loaded(one_change, "jinja2") and loaded(one_change, "minutes.feed_xml")
    for modules in (unchanged, one_change):
        assert not loaded(modules, "feedgen") and not loaded(modules, "lxml")


def test_a_build_with_a_worker_process_forks_it_without_multiprocessing(tmp_path):
    """Decision 87: the pool forks its workers itself (os.fork); multiprocessing and what it
    pulls in (socket, subprocess) were ~1 MiB of the main process's memory."""
    src, out, cache = tmp_path / "src", tmp_path / "site", tmp_path / "cache"
    for day in range(60):
        write(src / "wg" / f"2024-{1 + day // 28:02d}-{1 + day % 28:02d}-sync.md", f"# Sync {day}\n\n- a\n")
    code = ("import json, os, sys\nfrom minutes import build, cli\nforked = []\n"
            "real = build._Pool._start\n"
            "build._Pool._start = lambda pool: forked.append(pool.workers) or real(pool)\n"
            f"code = cli.main(['build', {str(src)!r}, '--out', {str(out)!r}, '--base-url', {SITE!r},"
            f" '--cache-dir', {str(cache)!r}, '--jobs', '2'])\n"
            "print(json.dumps([code, forked, sorted(sys.modules)]))")
    lines = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                           text=True).stdout.splitlines()
    code, forked, modules = json.loads(lines[-1])
    assert code == 0 and forked == [2]
    assert {name: loaded(set(modules), name) for name in ("multiprocessing", "socket", "subprocess")} \
        == {"multiprocessing": set(), "socket": set(), "subprocess": set()}
    assert len(list(out.glob("wg/2024-*/index.html"))) == 60


def test_a_correction_that_keeps_the_front_matter_imports_no_yaml(tmp_path):
    """The build cache remembers each meeting's parsed front matter by its text (decision 60):
    a rebuild after a correction of the minutes alone reads it from there; a change to the
    front matter itself is read by PyYAML again."""
    src, out, cache = tmp_path / "src", tmp_path / "site", tmp_path / "cache"
    for day in range(1, 6):
        write(src / "wg" / f"2024-05-0{day}-sync.md",
              f"---\ntitle: Sync {day}\ntags: [a, b]\n---\n\n- item {day}\n- b\n")
    assert loaded(imported_by_build(src, out, cache), "yaml")   # cold: every meeting's is read
    write(src / "wg" / "2024-05-03-sync.md", "---\ntitle: Sync 3\ntags: [a, b]\n---\n\n- item 3\n- b\n- c\n")
    assert not loaded(imported_by_build(src, out, cache), "yaml")
    write(src / "wg" / "2024-05-04-sync.md", "---\ntitle: Sync four\ntags: [a, b]\n---\n\n- item 4\n- b\n")
    assert loaded(imported_by_build(src, out, cache), "yaml")
    page = (out / "wg" / "2024-05-04-sync" / "index.html").read_text("utf-8")
    assert "Sync four" in page


def test_one_commands_parser_reads_its_arguments_as_the_whole_command_line_does():
    """`minutes <command>` makes only that command's parser (argparse's others cost a one-shot
    build ~5 ms): the same arguments give the same values, and the same help."""
    from minutes import cli
    lines = [["build", "src", "--out", "site", "--jobs", "2", "--no-cache"],
             ["check", "a.md", "--format", "json", "-v"], ["upload", "a.md", "--bucket", "b"],
             ["sync", "d", "--bucket", "b", "--delete"], ["demo"], ["serve", "site", "--port", "9"],
             ["reindex", "--stack", "s"], ["subscribers", "list", "--group", "g"],
             ["doctor", "--stack", "s", "--strict"], ["dlq", "replay", "--limit", "3"]]
    assert sorted(argv[0] for argv in lines) == sorted(cli._COMMANDS)
    for argv in lines:
        one, every = cli._parser(argv[0]), cli._parser()
        assert vars(one.parse_args(argv)) == vars(every.parse_args(argv))
        assert one._subparsers._group_actions[0].choices[argv[0]].format_help() == \
            every._subparsers._group_actions[0].choices[argv[0]].format_help()


def test_the_code_version_reads_the_versions_importlib_metadata_gives():
    found = buildcache.installed_versions()
    for name in buildcache._DEPENDENCIES:
        assert found.get(buildcache._normal(name)) == importlib.metadata.version(name)


def test_the_bench_runs_the_package_from_fresh_bytecode_that_leaves_the_build_cache_valid():
    """bench.build_vs_hugo times `minutes build` as an installed package runs: its modules'
    bytecode written (as pip does), not compiled from source on every run (decision 51). The
    bytecode is no part of the code version, so writing it reuses every cached meeting."""
    from bench.bytecode import compile_package

    def fresh_version() -> str:   # read and hashed again, past both of the process's memos
        return buildcache._hashed.__wrapped__(buildcache._PACKAGE)["version"]
    before = fresh_version()
    started = time.time_ns()
    package = compile_package()
    sources = sorted(package.rglob("*.py"))
    assert len(sources) > 30
    for source in sources:
        cached = Path(importlib.util.cache_from_source(str(source)))
        header = cached.read_bytes()[:16]
        assert header[:4] == importlib.util.MAGIC_NUMBER, source
        assert int.from_bytes(header[8:12], "little") == int(source.stat().st_mtime) & 0xFFFFFFFF, source
        assert int.from_bytes(header[12:16], "little") == source.stat().st_size & 0xFFFFFFFF, source
    compiled = list((package / "templates" / "__pycache__").glob("site-*.cache"))
    assert len(compiled) == len(list((package / "templates" / "site").glob("*.j2")))
    assert all(path.stat().st_mtime_ns >= started for path in compiled)     # compiled by it
    assert fresh_version() == before      # nor are the compiled templates (compiled_templates.py)


def test_the_remembered_code_version_is_the_code_version_until_a_package_file_changes(tmp_path, monkeypatch):
    """A rebuild takes the code version from the cache folder (decision 73) while the package's
    files keep their stat: it is the digest code_version() makes, made again when a file
    changes (its stat: here the same size and mtime, another ctime), when one was changed within
    the racy window, or when the installed versions differ; a process that builds into many
    cache folders reads the package once."""
    package = tmp_path / "package"
    for name, text in [("a.py", "A = 1\n"), ("templates/page.html", "<p>{{ x }}</p>\n"),
                       ("__pycache__/a.cpython-311.pyc", "bytecode: not part of it")]:
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text)
    made, digest = [], buildcache._code_digest
    monkeypatch.setattr(buildcache, "_code_digest", lambda *args: made.append(args) or digest(*args))
    monkeypatch.setattr(buildcache, "_RACY_NS", 0)
    memo = tmp_path / "code.pickle"

    def remembered() -> str:
        return buildcache.remembered_code_version.__wrapped__(memo, str(package))

    def hashed() -> str:
        return digest(str(package), ["a.py", os.path.join("templates", "page.html")],
                      buildcache.installed_versions())

    first = remembered()
    assert (first, len(made)) == (hashed(), 1)
    assert (remembered(), len(made)) == (first, 1)                   # from the memo
    elsewhere = buildcache.remembered_code_version.__wrapped__(tmp_path / "other.pickle", str(package))
    assert (elsewhere, len(made)) == (first, 1)      # another cache folder: this process's digest
    stat = (package / "a.py").stat()
    (package / "a.py").write_text("A = 2\n")
    os.utime(package / "a.py", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    second = remembered()
    assert (second, len(made)) == (hashed(), 2) and second != first
    assert (remembered(), len(made)) == (second, 2)
    monkeypatch.setattr(buildcache, "_RACY_NS", 10**18)              # every file "just changed"
    assert (remembered(), len(made)) == (second, 3)
    monkeypatch.setattr(buildcache, "installed_versions", lambda: {"jinja2": "0.0"})
    assert remembered() != second and len(made) == 4


def test_the_build_command_loads_no_openssl_and_publishes_the_same_sha256(tmp_path):
    """`minutes build` imports hashlib without OpenSSL (decision 82: libcrypto was 3.4 MiB of
    the build's resident memory): no _hashlib, no libcrypto mapped, in a cold build with two
    processes. The sha256 digests the site shows (asset file names, calendar UIDs) are Python's
    own then: the site is byte for byte the one this process (OpenSSL loaded) builds."""
    from minutes.build import build
    src, out, cache = tmp_path / "src", tmp_path / "site", tmp_path / "cache"
    for day in range(1, 10):
        write(src / ("wg" if day % 2 else "tf") / f"2024-05-0{day}-sync.md",
              f"# Sync {day}\n\n- item {day}\n- [link](https://example.org/{day})\n")
    code = ("import json, sys\nfrom minutes import cli\n"
            f"code = cli.main(['build', {str(src)!r}, '--out', {str(out)!r}, '--base-url', {SITE!r},"
            f" '--cache-dir', {str(cache)!r}, '--jobs', '2'])\n"
            "maps = open('/proc/self/maps').read()\n"
            "print(json.dumps([code, sys.modules.get('_hashlib') is None, 'libcrypto' in maps,"
            " 'hashlib' in sys.modules]))")
    lines = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                           text=True).stdout.splitlines()
    assert json.loads(lines[-1]) == [0, True, False, True]
    import _hashlib   # noqa: F401 (this process has OpenSSL's digests, as the reference)
    build(src, tmp_path / "reference", site_url=SITE, workers=1)
    assert site_files(out) == site_files(tmp_path / "reference")
    assert any(".ics" in name for name in site_files(out))


def site_files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
