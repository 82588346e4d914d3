"""Ctrl-C that native code swallowed, raised again.

nh3 calls sanitize's attribute filter from Rust, and when the filter raises it prints
"Exception ignored in: (tag, attr, value)" and keeps the value (PyO3's write_unraisable). A
Ctrl-C that arrives while nh3 runs is raised as KeyboardInterrupt at the filter's next call,
even on its first line (before any `try`), so it was lost: the build went on, left that link
unresolved and exited 0 (1 run in 9 with SIGINT sent mid-build, decision 89). The `minutes`
command's SIGINT handler notes each Ctrl-C before it raises KeyboardInterrupt as Python's own
does; render.sanitize raises it again once nh3 is done. A note cannot be swallowed: it is made
in the handler, before anything is raised.
"""
from __future__ import annotations

import os
import sys

_seen = False         # a Ctrl-C stopped the command (only the first stop signal counts)
_stopped_by = 0       # the signal that stopped the command (Stopped), once one has
_main_pid = 0         # the process whose handler raises Stopped (a forked worker's does not)


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP (`kill`, a service manager, the terminal closed): raised as Ctrl-C is,
    so that what a command cleans up on Ctrl-C it cleans up on these too (a build's temporary
    cache folder: killed by them, it was left in the temporary folder for good)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _on_sigint(signum, frame):
    global _seen
    if _seen or _stopped_by:   # already stopping: see _on_stop
        return
    _seen = True
    raise KeyboardInterrupt


def _on_stop(signum, frame):
    global _stopped_by
    if os.getpid() != _main_pid:   # a forked worker: killed by it, as before (its pool says so)
        import signal
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    if _seen or _stopped_by:
        # Already stopping, by the first signal: raised again, this one cut short the
        # clean-up of the first (a build's temporary store left) or its one line (a
        # traceback, exit 1): 3 runs in 20 of a Ctrl-C then `kill` (decision 111). The
        # command ends as the first signal says; SIGKILL still ends it at once.
        return
    _stopped_by = signum
    raise Stopped(signum)


def stop_on_termination() -> None:
    """From now on SIGTERM and SIGHUP raise Stopped in this process, noted as Ctrl-C is, where
    they are handled by default (not ignored, as under nohup)."""
    import signal
    global _main_pid
    _main_pid = os.getpid()
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) is signal.SIG_DFL:
            signal.signal(signum, _on_stop)


def note_ctrl_c() -> None:
    """From now on SIGINT is noted, then raises KeyboardInterrupt as Python's handler does;
    nothing changes where SIGINT is handled otherwise (ignored, as in a background job).
    `signal` is imported here: render imports this module on publish's path, which never
    handles a signal (decision 100)."""
    import signal
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _on_sigint)
        sys.unraisablehook = _quiet_about_ctrl_c(sys.unraisablehook)


def _quiet_about_ctrl_c(hook):
    """nh3 hands the swallowed KeyboardInterrupt to sys.unraisablehook, which printed
    "Exception ignored in: ('a', 'href', ...)" and a traceback above the command's one line
    about Ctrl-C: that one is noted and raised again, so it is not printed. Anything else
    unraisable is printed as before."""
    def unraisable(info):
        if not ((_seen or _stopped_by) and isinstance(info.exc_value, KeyboardInterrupt)):
            hook(info)
    return unraisable


def raise_if_swallowed() -> None:
    """KeyboardInterrupt if a Ctrl-C came, Stopped if SIGTERM or SIGHUP did (native code may
    have swallowed its exception)."""
    if _stopped_by:
        raise Stopped(_stopped_by)
    if _seen:
        raise KeyboardInterrupt
