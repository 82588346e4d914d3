"""A Ctrl-C at any moment of the `minutes` command gives one line and death by SIGINT (exit
130), never a traceback: one while cli.main made its parser, read the arguments or ended a
finished build was outside its `try` and printed Python's traceback (what made
test_ctrl_c_in_sanitizer.py flaky under load). Decision 111."""
from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

from tests.support.sources import write

# The command sends itself SIGINT as it enters `moment` (a function of cli): the Ctrl-C lands
# there every time.
AT = textwrap.dedent("""
    import os, signal, sys
    from minutes import cli
    moment = sys.argv.pop(1)
    entered = getattr(cli, moment)

    def ctrl_c(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        return entered(*args, **kwargs)
    setattr(cli, moment, ctrl_c)
    sys.exit(cli.main())
""")


@pytest.mark.parametrize("moment", ["_parser", "_file_arguments_problem", "_end_now"])
def test_ctrl_c_outside_the_command_s_work_is_one_line(tmp_path, moment):
    write(tmp_path / "minutes" / "wg" / "2024-01-05-m.md", "# Meeting\n\n- a\n")
    command = ["build", str(tmp_path / "minutes"), "--out", str(tmp_path / "site"), "--no-cache"]
    if moment == "_file_arguments_problem":   # while check looks at its arguments: in its work
        command = ["check", str(tmp_path / "minutes")]
    done = subprocess.run([sys.executable, "-c", AT, moment, *command], capture_output=True,
                          text=True, timeout=60,
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == -signal.SIGINT, done.stderr
    assert done.stderr.rstrip().splitlines()[-1] == f"minutes {command[0]}: stopped by Ctrl-C"


def test_ctrl_c_before_a_command_is_named_is_one_line():
    done = subprocess.run([sys.executable, "-c", AT, "_parser"], capture_output=True, text=True,
                          timeout=60, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert done.returncode == -signal.SIGINT, done.stderr
    assert done.stderr.splitlines() == ["minutes: stopped by Ctrl-C"]
