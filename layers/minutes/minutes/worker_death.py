"""A worker process of `minutes build` that ends in the middle of a build (killed from
outside: the kernel's out-of-memory killer, `kill -9`; or a crash): what the build says, and
how its pool is stopped without waiting forever for a result the worker will never send."""
from __future__ import annotations

import signal

from .problems import MinutesError

# What a signal that ends a worker usually means.
_CAUSES = {
    signal.SIGKILL: "the signal the kernel's out-of-memory killer sends when memory runs out, "
                    "as does `kill -9`",
    signal.SIGTERM: "someone or something asked it to stop",
    signal.SIGSEGV: "it crashed",
    signal.SIGBUS: "it crashed",
    signal.SIGABRT: "it crashed",
}


def how_it_ended(exitcode: int) -> str:
    """A worker's exit code in words (os.waitstatus_to_exitcode's: -N is death by signal N)."""
    if exitcode >= 0:
        return f"exited with code {exitcode}"
    try:
        name = signal.Signals(-exitcode).name
    except ValueError:
        name = f"signal {-exitcode}"
    cause = _CAUSES.get(-exitcode)
    return f"was killed by {name}" + (f" ({cause})" if cause else "")


class WorkerDied(MinutesError):
    """A worker process ended before it handed back its results: the build stops (it does
    not finish the worker's share in the main process: decision 80)."""

    def __init__(self, ended: list[tuple[int, int | None]], doing: str, site: str | None):
        self.ended = ended      # (pid, exit code or None when not known) of each worker that ended
        self.doing = doing      # what the build was doing, in words
        self.site = site        # the site folder it was writing
        super().__init__()

    @classmethod
    def of(cls, ended: list[tuple[int, int | None]], doing: str, site: str | None) -> "WorkerDied":
        """The executor ends the other workers with SIGTERM once it notices one has ended:
        those are named only when no other ended."""
        first = [(pid, code) for pid, code in ended if code != -signal.SIGTERM]
        return cls(first or ended, doing, site)

    def who(self) -> str:
        return "; ".join(f"worker process {pid} " + (how_it_ended(code) if code is not None
                                                     else "ended abruptly")
                         for pid, code in self.ended) or "a worker process ended abruptly"

    def __str__(self) -> str:
        who = self.who()
        site = self.site or "the site folder"
        return (f"{who}, while {self.doing}. The build stopped.\n"
                f"  {site} may now hold some files of this build beside the last build's: "
                "do not publish it as it is. The build cache is as the last finished build "
                "left it.\n"
                "  Run the same command again: it builds the whole site. If memory ran out, "
                "add --jobs 1 (one process: less memory, slower).")


class CheckWorkerDied(WorkerDied):
    """The same for `minutes check`, which writes nothing: only the advice differs."""

    def __str__(self) -> str:
        return (f"{self.who()}, while {self.doing}. The check stopped: no file was judged, and "
                "nothing was changed.\n"
                "  Run the same command again. If memory ran out, add --jobs 1 (one process: "
                "less memory, slower).")
