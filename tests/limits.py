"""A time limit for one test step: SIGALRM interrupts it (a blocking open() included)."""

from __future__ import annotations

import signal
from contextlib import contextmanager


class TookTooLong(AssertionError):
    """The step did not finish within its time limit."""


@contextmanager
def within(seconds: float, what: str = "step"):
    """Fail with TookTooLong if the body runs longer than ``seconds`` (main thread only)."""

    def expire(signum, frame):
        raise TookTooLong(f"{what} took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
