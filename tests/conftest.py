"""Fixtures shared by the integration and end-to-end tests (the unit tests need none), and the
test processes' setup: one botocore model loader, a settled heap."""
from __future__ import annotations

import contextlib
import gc
import os

import pytest

FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                    "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_NAMESPACE": "MinutesPipeline"}


def _stop_signals_as_at_a_terminal() -> None:
    """Started under `nohup` or as a background job of a script, this process ignores SIGHUP
    or SIGINT, every command a test runs inherits that, and `minutes build` rightly keeps an
    ignored signal ignored: the tests that stop a build with one would see it finish (exit 0).
    Give the test processes, and so their children, what a terminal gives."""
    import signal
    for signum in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
        if signal.getsignal(signum) is signal.SIG_IGN:
            signal.signal(signum, signal.default_int_handler if signum == signal.SIGINT
                          else signal.SIG_DFL)


def pytest_configure(config):
    _stop_signals_as_at_a_terminal()
    # Powertools warns when a handler ran without adding a metric (index with no change).
    config.addinivalue_line("filterwarnings", "ignore:No application metrics to publish")
    from tests.support.models import share_models_in_default_sessions
    share_models_in_default_sessions()   # each emulated stack's fresh session parsed them again


@contextlib.contextmanager
def fake_aws_environment():
    """Fake credentials, no real endpoint or profile; os.environ restored afterwards (the local
    runner sets each function's environment variables, as Lambda would)."""
    saved = dict(os.environ)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE",
                 "AWS_SHARED_CREDENTIALS_FILE"):
        os.environ.pop(name, None)
    os.environ.update(FAKE_CREDENTIALS)
    try:
        yield
    finally:
        from minutes import runtime
        runtime.reset()
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture
def aws_environment():
    with fake_aws_environment():
        yield


def pytest_collection_finish(session):
    """What the process imported and collected stays (gc.freeze), and young objects are
    collected less often, as `minutes build` settles its heap (decision 49): an integration
    test's heap holds ~250,000 objects (moto, botocore, the stack), and the default thresholds
    (700, 10, 10) walked all of it thousands of times per file (decision 77)."""
    gc.freeze()
    gc.set_threshold(5_000, 10, 10)



def minutes_log_handlers_to(stream) -> None:
    """Powertools' Logger() (functions/*/app.py, service "minutes") adds a StreamHandler on the
    sys.stdout of the moment the module is first imported: inside a capsys test, a capture
    stream pytest closes after that test, and a later "minutes" warning (dynamo's stored
    group.yaml) printed '--- Logging error ---' (ValueError: I/O operation on closed file)
    into whatever a later test captured (seen: test_sync_refused, then the pipeline hunt)."""
    import logging
    for handler in logging.getLogger("minutes").handlers:
        if type(handler) is logging.StreamHandler:
            handler.stream = stream   # not setStream(): it flushes the old, maybe closed, one


@pytest.fixture(autouse=True)
def _log_handlers_on_this_tests_stdout():
    """Each test's "minutes" log handlers write to that test's own stdout."""
    import sys
    minutes_log_handlers_to(sys.stdout)
    yield


@pytest.fixture(scope="session", autouse=True)
def _temporary_folder(tmp_path_factory):
    """The tests' temporary files, their subprocesses' too, go under pytest's own folder (which
    it prunes), not /tmp: it held 207 `minutes-build-*` folders after a day of test runs."""
    import tempfile
    folder = tmp_path_factory.mktemp("tmp", numbered=False)
    saved = os.environ.get("TMPDIR")
    os.environ["TMPDIR"], tempfile.tempdir = str(folder), None
    yield folder
    if saved is None:
        os.environ.pop("TMPDIR", None)
    else:
        os.environ["TMPDIR"] = saved
    tempfile.tempdir = None


@pytest.fixture(autouse=True)
def _no_build_store_left(_temporary_folder):
    """A build's temporary store goes however the build ends, short of SIGKILL (decision 108):
    a test that leaves one fails (one that kills a build with SIGKILL removes it itself)."""
    yield
    left = [p.name for p in _temporary_folder.iterdir() if p.name.startswith("minutes-build-")]
    for name in left:
        import shutil
        shutil.rmtree(_temporary_folder / name, ignore_errors=True)
    assert not left, f"a build's temporary store was left behind: {left}"
