"""The one utility for work in other processes: forked children that answer through pipes."""

from __future__ import annotations

import gc
import json
import logging
import os
from typing import Any, Callable

from digest.errors import DigestError


def can_fork() -> bool:
    """Whether work can go to a forked process running beside this one (on another core)."""
    return hasattr(os, "fork") and (os.cpu_count() or 1) > 1


class InChild:
    """Computations run one after the other in a forked process, each answer sent back
    through a pipe of its own as the text its `encode` makes of it there, as soon as it is
    ready; `result(k, decode)` gives the k-th here (and keeps it), or None if it failed, for
    the caller to do the work itself.

    Objects alive at the fork are frozen out of garbage collection first, so that a
    collection in the child does not copy every page of this process's memory.
    """

    def __init__(self, *tasks: tuple[Callable[[], Any], Callable[[Any], str]]):
        self.values: list[Any] = [None] * len(tasks)
        gc.freeze()
        pipes = [os.pipe() for _ in tasks]
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns
            try:
                for read_end, _ in pipes:
                    os.close(read_end)
                for (compute, encode), (_, write_end) in zip(tasks, pipes):
                    with os.fdopen(write_end, "wb") as fh:
                        try:  # a task that fails answers nothing; the next one still runs
                            fh.write(b"=" + encode(compute()).encode("utf-8", "surrogateescape"))
                        except Exception:  # noqa: BLE001 - the parent does the work instead
                            pass
            finally:
                os._exit(0)
        for _, write_end in pipes:
            os.close(write_end)
        self.fds: list[int | None] = [read_end for read_end, _ in pipes]

    def result(self, k: int, decode: Callable[[str], Any]) -> Any:
        fd = self.fds[k]
        if fd is None:
            return self.values[k]
        with os.fdopen(fd, "rb") as fh:
            data = fh.read()
        self.fds[k] = None
        if data[:1] == b"=":
            self.values[k] = decode(data[1:].decode("utf-8", "surrogateescape"))
        if all(fd is None for fd in self.fds):
            os.waitpid(self.pid, 0)
        return self.values[k]

    def close(self) -> None:
        """Collect the child, whatever answers were not asked for."""
        if any(fd is not None for fd in self.fds):
            for fd in self.fds:
                if fd is not None:
                    os.close(fd)
            self.fds = [None] * len(self.fds)
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:  # (collected already)
                pass


def peak_mib() -> float:
    """The largest resident size so far of this process and of any child it waited for."""
    try:
        import resource  # (not on every system)
    except ImportError:
        return 0.0
    return max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


def parallel(processes: int | None = None) -> int:
    """How many processes page writing may use (1: all in this one)."""
    processes = processes or min(os.cpu_count() or 1, 8)
    return processes if hasattr(os, "fork") else 1


def fork_jobs(jobs: list[tuple], run) -> tuple[int, int]:
    """Run jobs in a forked child; returns (pid, pipe) for `run_jobs` to collect.

    Objects alive now are frozen out of garbage collection first, so that a collection in
    the child does not touch (and so copy) every page of the parent's memory. The child
    reports the warnings it logged through the pipe and leaves without cleanup.
    """
    gc.freeze()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the parent's code, whatever happens
        code = 1
        try:
            os.close(read_end)
            code = 0
            records = _capture_warnings()
            try:
                for job in jobs:
                    run(job)
            except BaseException as exc:  # noqa: BLE001 - reported to the parent
                records.messages.append(f"error: {type(exc).__name__}: {exc}")
                code = 1
            with os.fdopen(write_end, "w", encoding="utf-8") as fh:
                json.dump(records.messages, fh)
        except BaseException:  # noqa: BLE001 - (a parent that stopped listening)
            code = code or 1
        finally:
            os._exit(code)
    os.close(write_end)
    return pid, read_end


def run_jobs(jobs: list[tuple], run, processes: int | None = None,
             started: list[tuple[int, int]] | None = None) -> None:
    """Run page and feed jobs, split over forked processes on a multi-core machine, and wait
    for them and for the children already `started` (`fork_jobs`).

    Rendering is per-page work, so it pays to use every core. Each child reports the warnings
    it logged back through a pipe, and the parent logs them again so that the build still
    fails on any of them; a child that fails makes the whole output fail.
    """
    children = list(started or ())
    processes = parallel(processes)
    if processes < 2 or len(jobs) < 400:  # a small build: its pages here, beside any child
        shares = [jobs]
    else:
        shares = [jobs[i::processes] for i in range(processes)]
    failure = None
    try:
        for share in shares[1:]:
            children.append(fork_jobs(share, run))
        for job in shares[0]:
            run(job)
    except BaseException as exc:
        failure = exc
    logger = logging.getLogger("pelican")
    for pid, read_end in children:
        with os.fdopen(read_end, encoding="utf-8") as fh:
            messages = json.loads(fh.read() or "[]")
        _, status = os.waitpid(pid, 0)
        for message in messages:
            logger.warning("%s", message)
        if os.waitstatus_to_exitcode(status) != 0 and failure is None:
            failure = DigestError("a page-writing process failed: "
                                  + "; ".join(messages[-3:]))
    if failure is not None:
        raise failure


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.levelname.lower()}: {record.getMessage()}")


def _capture_warnings() -> _Records:
    handler = _Records()
    root = logging.getLogger()
    root.handlers = [handler]
    logging.getLogger("pelican").handlers = []
    return handler
