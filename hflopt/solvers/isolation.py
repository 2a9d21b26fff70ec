"""Run a solver call in a forked child that can be stopped, and killed, on time.

HiGHS checks its time limit and its interrupt callbacks between phases only:
its presolve (probing above all) can run for tens of seconds past a deadline
(a tight 50 x 300 instance: 5 s asked, 50 s taken), and ``cancelSolve`` does
not reach it either. Pyomo's solver plug-ins are no better. A forked child is
the one thing that can always be ended: :func:`run_isolated` runs ``call`` in
one, passes its progress reports and its result back through a pipe, asks it
to stop at the soft deadline (the child's :func:`~hflopt.solvers._common.interrupted`
becomes true, so HiGHS stops at its next callback with its best solution) and
kills it at the hard one. A killed call returns ``None``: the caller keeps the
best solution it had before.

Fork copies the parent's memory, so nothing is pickled on the way in and the
child starts in milliseconds; only the result travels back.
"""

from __future__ import annotations

import contextlib
import logging
import math
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hflopt.solvers._common import Deadline, Progress, ProgressCallback, interrupted, set_interrupted

__all__ = ["Budget", "fork_available", "run_isolated"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Budget:
    """When an isolated call is asked to stop, and when it is killed.

    The promise is that a solve returns within ``max(1.1 x limit, limit + 1 s)``;
    of that overrun, the call may use ``soft_share`` before it is asked to stop
    and ``hard_share`` before it is killed, leaving the rest to the caller.
    """

    soft_share: float = 0.2
    hard_share: float = 0.4
    #: seconds a call may take to return its best solution after a Ctrl-C before it is killed
    interrupt_grace: float = 2.0

    @staticmethod
    def allowed_overrun(limit: float) -> float:
        return max(0.1 * limit, 1.0)

    def soft(self, deadline: Deadline) -> float:
        """Elapsed seconds (on ``deadline``'s clock) at which the call is asked to stop."""
        if deadline.seconds is None:
            return math.inf
        return deadline.seconds + self.soft_share * self.allowed_overrun(deadline.seconds)

    def hard(self, deadline: Deadline) -> float:
        """Elapsed seconds at which the call is killed."""
        if deadline.seconds is None:
            return math.inf
        return deadline.seconds + self.hard_share * self.allowed_overrun(deadline.seconds)


def fork_available() -> bool:
    """True where ``fork`` exists (Linux, macOS); elsewhere calls run in-process."""
    return "fork" in multiprocessing.get_all_start_methods()


def run_isolated(
    call: Callable[[ProgressCallback], Any],
    *,
    deadline: Deadline,
    budget: Budget = Budget(),
    progress: ProgressCallback | None = None,
) -> tuple[Any, bool]:
    """Run ``call(progress)`` in a forked child; return ``(result, killed)``.

    ``result`` is what ``call`` returned (it must pickle), or None when the
    child was killed at the hard deadline or died. Exceptions raised by
    ``call`` are raised here. Progress reports of the child reach ``progress``
    in this process. A Ctrl-C handled by :func:`~hflopt.solvers._common.interruptible`
    asks the child to stop; a Ctrl-C that raises ``KeyboardInterrupt`` here
    kills the child and propagates.
    """
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    stop = ctx.Event()
    child = ctx.Process(target=_child_main, args=(call, sender, stop), daemon=True)
    child.start()
    sender.close()
    try:
        return _supervise(child, receiver, stop, deadline, budget, progress)
    except BaseException:
        _kill(child)
        raise
    finally:
        receiver.close()
        if child.is_alive():
            child.join(timeout=1.0)  # it sent its result and is exiting
        if child.is_alive():  # pragma: no cover - a child that outlived its result
            _kill(child)


def _supervise(child: Any, receiver: Any, stop: Any, deadline: Deadline, budget: Budget,
               progress: ProgressCallback | None) -> tuple[Any, bool]:
    soft, hard = budget.soft(deadline), budget.hard(deadline)
    asked_at: float | None = None
    while True:
        now = deadline.elapsed()
        if asked_at is None and (now >= soft or interrupted()):
            stop.set()
            asked_at = now
        # killed at the hard deadline, or when a Ctrl-C's stop request goes unanswered
        if now >= hard or (asked_at is not None and interrupted() and now - asked_at > budget.interrupt_grace):
            log.info("solver child killed at %.2f s (it did not stop in time)", now)
            _kill(child)
            return None, True
        wait = 0.05 if math.isinf(hard) else max(0.0, min(0.05, hard - now))
        if receiver.poll(wait):
            try:
                kind, payload = receiver.recv()
            except (EOFError, OSError):
                return None, not child.is_alive()
            if kind == "progress":
                if progress is not None:
                    progress(payload)
                continue
            if kind == "error":
                raise payload
            return payload, False
        if not child.is_alive() and not receiver.poll(0):
            log.warning("solver child ended without a result (exit code %s)", child.exitcode)
            return None, True


def _kill(child: Any) -> None:
    if child.pid is None or not child.is_alive():
        return
    try:
        os.killpg(child.pid, signal.SIGKILL)  # the child and anything it started
    except OSError:
        child.kill()
    # a big child takes a moment to be torn down; multiprocessing reaps it later if need be
    child.join(timeout=0.2)


def _child_main(call: Callable[[ProgressCallback], Any], sender: Any, stop: Any) -> None:
    """In the child: own process group, no Ctrl-C; stop when asked; send the result."""
    os.setpgrp()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_relay_stop, args=(stop,), daemon=True).start()

    def report(p: Progress) -> None:
        with contextlib.suppress(OSError, ValueError):  # the parent is gone: nothing to tell
            sender.send(("progress", p))

    try:
        sender.send(("result", call(report)))
    except BaseException as exc:  # every failure goes back to the parent
        try:
            sender.send(("error", exc))
        except Exception:  # pragma: no cover - an exception that does not pickle
            sender.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
    finally:
        sender.close()
        os._exit(0)


def _relay_stop(stop: Any) -> None:
    stop.wait()
    set_interrupted()
