"""Feed parsing in worker processes: hard limits, and the machine's other cores.

feedparser is pure Python, so in one process every parse holds the GIL: on a cold poll
it is most of the CPU time, and the rest of the pipeline waits behind it. A
`ParserPool` runs `parse_feed` in a few worker processes instead:

- parses run in parallel with each other and with the caller's own work;
- each worker's address space is capped (`memory_limit`), so a feed that would need
  gigabytes fails alone with a `ParseError` instead of swapping the daemon out;
- the CPU budget of `parse_feed` still applies inside the worker, and a worker that
  stays silent past `hard_timeout` (stuck in C code) is killed and the pool rebuilt;
- workers are replaced after `max_tasks_per_child` parses, so fragmentation and leaks
  cannot grow without bound.

Call `parse()` from several threads (the fetch threads, say) to keep every worker busy.
Every failure reaches the caller as `ParseError` with a one-line message.
"""
from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from pathlib import Path
from typing import Callable, Mapping, Sequence

from monitor.models import ParsedFeed
from monitor.parse.parser import DEFAULT_LIMITS, ParseError, ParseLimits, parse_feed

GiB = 1024**3

# (name, lexicon path, seed paths, threshold): how a worker loads the topics it matches.
TopicSpec = tuple[str, Path, Sequence[Path], "float | None"]

_worker_topics: list = []  # the topics, loaded once per worker process


def _init_worker(memory_limit: int | None, topic_specs: Sequence[TopicSpec] = ()) -> None:
    if memory_limit:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    if topic_specs:
        from monitor.topic.match import load_topic

        _worker_topics[:] = [load_topic(name, lexicon, list(seeds), threshold)
                             for name, lexicon, seeds, threshold in topic_specs]


def _parse_in_worker(content: bytes, headers: dict[str, str], url: str, limits: ParseLimits) -> ParsedFeed:
    try:
        return parse_feed(content, headers, url, limits)
    except MemoryError:
        raise ParseError("not parsed: ran out of memory") from None


def _prepare_in_worker(content: bytes, headers: dict[str, str], url: str, limits: ParseLimits, now: datetime,
                       implies: tuple[str, ...] = ()):
    from monitor.parse.prepare import prepare_feed

    try:
        return prepare_feed(content, headers, url, _worker_topics, now, limits, implies)
    except MemoryError:
        raise ParseError("not parsed: ran out of memory") from None


class ParserPool:
    """`parse_feed` on worker processes. Thread-safe; call `close()` when done."""

    def __init__(
        self,
        workers: int = 2,
        *,
        limits: ParseLimits = DEFAULT_LIMITS,
        memory_limit: int | None = 1 * GiB,
        max_tasks_per_child: int = 1000,
        hard_timeout: float | None = None,
        topic_specs: Sequence[TopicSpec] = (),
    ) -> None:
        self.workers = max(1, workers)
        self.topic_specs = tuple(topic_specs)
        self.limits = limits
        self.memory_limit = memory_limit
        self.max_tasks_per_child = max_tasks_per_child
        # Past the parse's own wall-clock budget, the worker is stuck where the
        # in-process stop cannot reach it.
        # A task may wait behind one other per worker (see _slots), so twice the budget.
        self.hard_timeout = hard_timeout or 2 * limits.max_parse_wall_seconds + 10
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        # At most two tasks per worker in the pool (one running, one ready, so a worker
        # never idles for the round trip): `hard_timeout` then covers a parse and at most
        # one wait, not the queue of every fetch thread's body (which would kill healthy
        # workers on a busy cold poll).
        self._slots = threading.BoundedSemaphore(2 * self.workers)

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                # spawn: forking a process that runs fetch threads could copy a held lock.
                self._executor = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_init_worker,
                    initargs=(self.memory_limit, self.topic_specs),
                    max_tasks_per_child=self.max_tasks_per_child,
                )
            return self._executor

    def _rebuild(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is not broken:
                return  # another thread already did it
            self._executor = None
        # Kill the workers: one of them is stuck or dead, and waiting would hang.
        for process in list(getattr(broken, "_processes", {}).values()):
            process.kill()
        broken.shutdown(wait=False, cancel_futures=True)

    def parse(self, content: bytes, headers: Mapping[str, str], url: str) -> ParsedFeed:
        """Parse in a worker and wait. Raises only `ParseError`."""
        if not content or not content.strip():
            # Cheap and common: not worth a round trip.
            return parse_feed(content, headers, url, self.limits)
        return self._run(_parse_in_worker, content, dict(headers), url, self.limits)

    def prepare(self, content: bytes, headers: Mapping[str, str], url: str, now: datetime,
                implies: tuple[str, ...] = ()):
        """`monitor.parse.prepare.prepare_feed` in a worker, with the pool's topics. Raises only `ParseError`."""
        return self._run(_prepare_in_worker, content, dict(headers), url, self.limits, now, tuple(implies))

    def _run(self, task: Callable, *args):
        with self._slots:
            return self._run_now(task, *args)

    def _run_now(self, task: Callable, *args):
        pool = self._pool()
        try:
            future = pool.submit(task, *args)
        except (BrokenProcessPool, RuntimeError):
            self._rebuild(pool)
            pool = self._pool()
            future = pool.submit(task, *args)
        try:
            return future.result(timeout=self.hard_timeout)
        except ParseError:
            raise
        except FutureTimeout:
            self._rebuild(pool)
            raise ParseError(f"not parsed: parser stuck for {self.hard_timeout:g}s and was stopped") from None
        except BrokenProcessPool:
            self._rebuild(pool)
            raise ParseError("not parsed: the parser process died (out of memory?)") from None
        except MemoryError:
            raise ParseError("not parsed: ran out of memory") from None
        except Exception as exc:  # noqa: BLE001 - the contract is "only ParseError"
            raise ParseError(f"not parsed: {type(exc).__name__}: {exc}".splitlines()[0][:300]) from None

    def worker_pids(self) -> list[int]:
        """Process ids of the live workers (for monitoring and benchmarks)."""
        with self._lock:
            executor = self._executor
        processes = getattr(executor, "_processes", None) or {}
        return [p.pid for p in list(processes.values()) if p.pid is not None]

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ParserPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
