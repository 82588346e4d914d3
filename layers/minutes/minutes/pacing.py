"""Keep a sender within a rate (messages per second) read when first needed."""
from __future__ import annotations

from collections.abc import Callable


class Pacer:
    def __init__(self, rate: Callable[[], float], *, sleep: Callable[[float], None],
                 monotonic: Callable[[], float]):
        self._rate, self._sleep, self._monotonic = rate, sleep, monotonic
        self._interval: float | None = None
        self._last = float("-inf")

    def wait(self) -> None:
        """Return when the next send may go (sleeping if the last one was too recent)."""
        if self._interval is None:
            self._interval = 1.0 / max(self._rate(), 0.1)
        wait = self._last + self._interval - self._monotonic()
        if wait > 0:
            self._sleep(wait)
        self._last = self._monotonic()
