"""A log handler made while one test captured stdout must not write to that closed capture in
a later test (tests/conftest.py's autouse fixture; failed test_differential_pipeline's sync hunt
when it ran after test_sync_refused in one process)."""
import io
import logging
import sys

from tests.conftest import minutes_log_handlers_to


def test_a_minutes_warning_after_an_earlier_tests_capture_closed_is_printed(capsys):
    earlier = io.StringIO()
    handler = logging.StreamHandler(earlier)   # as Powertools' Logger() makes it
    logger = logging.getLogger("minutes")
    logger.addHandler(handler)
    try:
        earlier.close()                        # pytest closed that test's capture
        minutes_log_handlers_to(sys.stdout)    # what the autouse fixture does per test
        logger.warning("stored group.yaml of group 'g' ignored")
        out = capsys.readouterr()
        assert "Logging error" not in out.err
        assert "stored group.yaml of group 'g' ignored" in out.out
    finally:
        logger.removeHandler(handler)
