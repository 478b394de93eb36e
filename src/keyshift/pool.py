"""The one way keyshift spreads work over processes: ``imap``.

Every stage that fans out (scan, fix, sweep, image layers, history, trail) has the same needs,
and each used to meet them with its own pool and its own threshold:

- a worker count from ``--jobs`` (0 = one per core);
- small work runs inline, because forking workers costs more than it saves: the caller says how
  much work pays for a pool (``inline_below``, in its own unit: files, bytes, chunks) and the
  items are read lazily until that much is seen, so a stream (a walk, ``git cat-file``) is never
  read whole just to decide;
- a bounded window of items in flight, so memory stays flat however long the stream;
- results in completion order (``FIRST_COMPLETED``: progress bars, merges) or in submission
  order (output that must not depend on timing), as the caller asks;
- workers forked from the warm parent (they inherit loaded detectors and libcst tables and need
  no importable ``__main__``), spawned where fork does not exist;
- a clean Ctrl-C: workers ignore SIGINT, the parent cancels what is queued and stops the
  workers, and only the parent's ``KeyboardInterrupt`` surfaces (one message, no traceback per
  worker);
- no orphans: SIGTERM in the parent (``migrate``, ``scan``... stopped by a supervisor, ``timeout``
  or CI) becomes ``errors.Terminated`` while a pool runs, so the same clean-up stops the workers;
  every exception does too; and a worker whose parent died anyway (SIGKILL) exits within a second;
- a worker that dies (out of memory, killed) loses the items in the pool with it; ``lost`` lets
  the caller decide what such an item becomes (run inline, an error outcome, a retry list),
  otherwise ``BrokenProcessPool`` is raised;
- progress from inside a long item (history pass 1 reads gigabytes in a few items): ``fn`` calls
  ``report(amount)`` wherever it runs, and the caller's ``progress`` receives the amounts in this
  process, at least every ``tick`` seconds while items are in flight (a counter shared with the
  workers; inline, ``report`` calls ``progress`` directly).
"""

from __future__ import annotations

import itertools
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor
    from multiprocessing.context import BaseContext

T = TypeVar("T")
R = TypeVar("R")

#: In which order ``imap`` yields results.
Order = Literal["completion", "submission"]


def workers(jobs: int) -> int:
    """The worker count for ``--jobs``: ``jobs`` itself, or one per core for 0 (or less); never
    more than four per core (``jobs = 100000`` in a scanned repository's settings forked away)."""
    cores = os.cpu_count() or 1
    return min(jobs, MAX_PER_CORE * cores) if jobs > 0 else cores


MAX_PER_CORE = 4


def context() -> BaseContext:
    """fork where it exists (workers start warm, no importable ``__main__`` needed), else spawn."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _quiet_worker() -> None:
    """Workers leave Ctrl-C to the parent, which cancels the work and stops them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _one(_: object) -> int:
    return 1


#: where ``report`` sends amounts in this process: the caller's ``progress`` while an inline item
#: runs, the pool's shared counter in a worker, nothing otherwise
_report_to: Callable[[int], None] | None = None


def report(amount: int) -> None:
    """Count ``amount`` of progress from inside an item (see ``imap``'s ``progress``)."""
    if amount and _report_to is not None:
        _report_to(amount)


#: True in a pool's worker: a nested pool (a sweep task's scan) leaves SIGTERM at its default
_in_worker = False


def _orphan_watch(parent: int) -> None:
    """A worker outlives its parent only if the parent was killed outright: then it exits."""
    while os.getppid() == parent:
        time.sleep(_ORPHAN_POLL)
    os._exit(1)


_ORPHAN_POLL = 0.5


def _init_worker(counter: Any) -> None:
    """A worker: Ctrl-C is the parent's, SIGTERM kills it (never the parent's handler, inherited
    by fork), it exits if orphaned; ``report`` adds to the counter the parent polls."""
    global _report_to, _in_worker
    _quiet_worker()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _in_worker = True
    threading.Thread(target=_orphan_watch, args=(os.getppid(),), daemon=True).start()
    _report_to = None  # never a callback inherited from the forking parent

    def add(amount: int) -> None:
        with counter.get_lock():
            counter.value += amount

    if counter is not None:
        _report_to = add


def _inline(fn: Callable[[T], R], items: Iterable[T], progress: Callable[[int], None] | None) -> Iterator[R]:
    global _report_to
    for item in items:
        before, _report_to = _report_to, progress
        try:
            result = fn(item)
        finally:
            _report_to = before
        yield result


def imap(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    jobs: int,
    inline_below: int = 2,
    weight: Callable[[T], int] = _one,
    window: int = 0,
    order: Order = "completion",
    lost: Callable[[T], R] | None = None,
    warm: Callable[[], object] | None = None,
    isolate: bool = False,
    progress: Callable[[int], None] | None = None,
    tick: float = 0.25,
) -> Iterator[R]:
    """``fn`` over ``items``, inline or on a process pool; results are yielded as they come.

    Inline (in this process, in order) when there is one worker or the items' total ``weight``
    stays below ``inline_below``; items are read only until that much weight is seen. Otherwise a
    pool of ``workers(jobs)`` processes runs them with at most ``window`` (default: two per
    worker) in flight. ``warm`` runs once in this process before the workers fork, so each starts
    with it done. ``isolate`` uses a pool even for one worker (an item that may kill its process).
    ``fn`` and the items must pickle; ``fn`` must be a module-level function. ``progress`` gets,
    in this process, what ``fn`` passes to ``report``: every ``tick`` seconds from a pool.

    Close the iterator (or consume it) to release the pool; leaving early cancels what is queued.
    """
    count = workers(jobs)
    it = iter(items)
    head: list[T] = []
    if count <= 1 and not isolate:
        yield from _inline(fn, it, progress)
        return
    seen = 0
    for item in it:
        head.append(item)
        seen += weight(item)
        if seen >= inline_below:
            break
    else:
        if not isolate or not head:
            yield from _inline(fn, head, progress)
            return
    if warm is not None:
        warm()
    yield from _pooled(fn, head, it, count, window or 2 * count, order, lost, _Ticker(progress, tick))


def _pooled(
    fn: Callable[[T], R],
    head: list[T],
    rest: Iterator[T],
    count: int,
    window: int,
    order: Order,
    lost: Callable[[T], R] | None,
    ticker: _Ticker,
) -> Iterator[R]:
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    ctx = context()
    counter = ticker.start(ctx)
    restore = _terminate_raises()
    pool = ProcessPoolExecutor(
        max_workers=count, mp_context=ctx, initializer=_init_worker, initargs=(counter,)
    )
    queue: deque[Future[R]] = deque()  # submission order
    items: dict[Future[R], T] = {}
    clean = False

    def result(future: Future[R]) -> R:
        item = items.pop(future)
        try:
            return future.result()
        except BrokenProcessPool:
            if lost is None:
                raise
            return lost(item)

    try:
        source = itertools.chain(head, rest)
        exhausted = False
        while True:
            while not exhausted and len(items) < window:
                try:
                    item = next(source)
                except StopIteration:
                    exhausted = True
                    break
                future = _submit(pool, fn, item)
                if future is None:  # the pool broke while submitting
                    if lost is None:
                        raise BrokenProcessPool("a worker process died")
                    yield lost(item)
                    continue
                items[future] = item
                if order == "submission":
                    queue.append(future)
            if not items:
                break
            if order == "submission":
                while not wait([queue[0]], timeout=ticker.every).done:
                    ticker.poll()
                ticker.poll()
                yield result(queue.popleft())
            else:
                done, _ = wait(list(items), timeout=ticker.every, return_when=FIRST_COMPLETED)
                ticker.poll()
                for future in done:
                    yield result(future)
        clean = True
    finally:
        try:
            _shutdown(pool, clean)
        finally:
            restore()


def _terminate_raises() -> Callable[[], None]:
    """While a pool runs, SIGTERM raises ``Terminated`` in this process (when it is the main
    thread of a process that left SIGTERM at its default), so ``_shutdown`` stops the workers;
    returns what puts the previous handler back."""
    from keyshift.errors import raise_terminated

    if _in_worker or threading.current_thread() is not threading.main_thread():
        return _nothing
    if signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        return _nothing  # the CLI's own handler (or the embedding program's) already decides
    signal.signal(signal.SIGTERM, raise_terminated)
    return _default_terminate


def _default_terminate() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _nothing() -> None:
    return None


class _Ticker:
    """The parent's side of ``report``: a counter shared with the workers, polled every ``every``
    seconds while items are in flight; the growth since the last poll goes to ``progress``."""

    def __init__(self, progress: Callable[[int], None] | None, every: float) -> None:
        self.progress = progress
        self.every: float | None = every if progress is not None else None
        self.counter: Any = None
        self.seen = 0

    def start(self, ctx: BaseContext) -> Any:
        if self.progress is not None:
            self.counter = ctx.Value("q", 0)
        return self.counter

    def poll(self) -> None:
        if self.progress is None or self.counter is None:
            return
        total = int(self.counter.value)
        if total != self.seen:
            self.progress(total - self.seen)
            self.seen = total


def _submit(pool: ProcessPoolExecutor, fn: Callable[[T], R], item: T) -> Future[R] | None:
    from concurrent.futures.process import BrokenProcessPool

    try:
        return pool.submit(fn, item)
    except BrokenProcessPool:
        return None


def _shutdown(pool: ProcessPoolExecutor, clean: bool) -> None:
    """Wait for idle workers after a clean run; after Ctrl-C, an error or an early close, cancel
    the queue and stop the workers now (they ignore SIGINT, so they are terminated)."""
    if clean:
        pool.shutdown(wait=True)
        return
    processes = list(getattr(pool, "_processes", {}).values())  # private, but the only handles
    manager = getattr(pool, "_executor_manager_thread", None)
    with _signals_held():  # a second Ctrl-C or SIGTERM must not cut the clean-up short
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():  # SIGTERM not honoured in time: no worker outlives its pool
                process.kill()
                process.join(timeout=5)
        if manager is not None:
            _forget(manager)


def _forget(manager: threading.Thread) -> None:
    """Let the executor's manager thread see its workers gone, then drop it from the exit hook.

    Python 3.11's exit hook wakes every manager it knows through a pipe the manager already
    closed when its workers were stopped, and prints an ``OSError`` traceback at exit.
    """
    from concurrent.futures import process as futures_process

    manager.join(timeout=5)
    if not manager.is_alive():
        getattr(futures_process, "_threads_wakeups", {}).pop(manager, None)


@contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM ignored in the main thread for the block (a few seconds at most)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)
