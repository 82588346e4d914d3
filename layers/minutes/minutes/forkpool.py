"""The worker processes of `minutes build`: forked once, sharing a queue with the main process.

The workers take items from the front of the queue while the main process, when it waits for
a result, takes them from the back (build._Pool's design, decision 49). A worker that ends
before it has handed back its results (the kernel's out-of-memory killer, `kill -9`, a crash)
stops the pool at once with worker_death.WorkerDied: each worker has its own two pipes, and
only that worker holds the write end of its result pipe, so its end is seen as the end of that
pipe (even in the middle of a result), never waited for.

Not concurrent.futures.ProcessPoolExecutor (used until decision 80): on Python 3.11 a worker
killed while sending a result leaves the executor's thread in os.read for ever (every worker
and the main process hold the write end of the one result pipe, so no end of file comes),
and one killed while the main process had taken items back (Future.cancel) makes that thread
die of InvalidStateError before it stops the other workers; its queues also
share process-wide locks that a killed worker may leave held. multiprocessing.Pool waits for
a lost item for ever (bpo-22393); loky starts fresh interpreters (no fork: each worker would
import everything again, and not share the main process's pages). A worker is os.fork()ed, not
a multiprocessing.Process (decision 87): the pool used nothing else of multiprocessing, whose
import (with socket, selectors' cousins, subprocess) was ~1 MiB of the main process, and whose
start-up code in the worker wrote to pages the worker then had to copy.
"""
from __future__ import annotations

import os
import pickle
import struct
import sys
import threading
import time
from collections import deque

_QUEUED, _SENT, _MINE, _DONE = range(4)
# Items a worker is sent before its first answer is back: it never waits for this process's
# thread, whose turn may come late on a loaded machine (at 2, the worker of a 1,000-meeting
# build sat idle 0.24-0.83 s, at 3 0.09-0.24 s, load ~10). Past the second, only items of the
# map it is on: a later map's are the main process's to take while the worker is busy.
_AHEAD = 3
# But not from the queue's last items: a worker holding two items ahead when the queue runs out
# leaves the main process waiting for both (at 1,000 meetings, ~40 ms after assembly and ~70
# ms at the end of the second phase). From _TAIL queued items per worker on, a worker is sent
# one item ahead of the one it is making (its answer and the next item still cross while it
# works), so the processes end a map within about an item of each other.
_TAIL = _AHEAD + 1
# The last queued item is never sent ahead: the main process, when it ran out of items
# of its own, waited for the one a worker was making and then for that one too (~26 ms, a
# feeds item, at the end of a 1,000-meeting build's second phase, decision 115); left queued,
# it goes to whichever process is free first.
_HEADER = struct.Struct("!Q")


class _Item:
    __slots__ = ("fn", "arg", "batch", "state", "value", "failed")

    def __init__(self, fn, arg, batch: int):
        self.fn, self.arg, self.batch = fn, arg, batch   # batch: which map() queued it
        self.state, self.value, self.failed = _QUEUED, None, None


class _Remote(Exception):
    """The traceback of an exception raised in a worker (its __cause__ in this process)."""

    def __str__(self) -> str:
        return f"\n{self.args[0]}"


class _Worker:
    def __init__(self, others: list):
        tasks_read, self.tasks = os.pipe()
        self.results, results_write = os.pipe()
        self.pid = _fork(tasks_read, results_write, [self.tasks, self.results, *others])
        self.exitcode: int | None = None    # once it has ended and been waited for
        os.close(tasks_read)
        os.close(results_write)
        os.set_blocking(self.tasks, False)
        self.sent: deque[_Item] = deque()   # in the order it answers them
        self.out = bytearray()              # bytes to send it, as its pipe takes them
        self.writing = False                # waiting for its pipe to take them

    def poll(self, wait: bool = False) -> int | None:
        """Its exit code once it has ended (-N: killed by signal N; os.waitstatus_to_exitcode,
        as multiprocessing's), None while it runs."""
        if self.exitcode is None:
            try:
                pid, status = os.waitpid(self.pid, 0 if wait else os.WNOHANG)
            except ChildProcessError:   # waited for already
                return self.exitcode
            if pid:
                self.exitcode = os.waitstatus_to_exitcode(status)
        return self.exitcode

    def ended(self) -> tuple[int, int | None]:
        deadline = time.monotonic() + 2   # its pipe ends a moment before it can be waited for
        while self.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        return self.pid, self.exitcode

    def kill(self) -> None:
        if self.poll() is None:
            import signal   # only once a worker has died
            os.kill(self.pid, signal.SIGKILL)


class ForkPool:
    """`workers` processes in all: the main process and workers - 1 forked worker processes,
    started by the first map with work for two."""

    def __init__(self, workers: int, *, site: str | None = None, doing=None, died=None):
        self.workers = workers
        self.site = site          # the site folder being written (WorkerDied names it)
        self.doing = doing or (lambda fn: "building")   # fn -> what the build is doing, in words
        self.died = died          # the WorkerDied class to raise (default: build's)
        self._workers: list[_Worker] = []
        self._queue: deque[_Item] = deque()
        self._queued = 0          # items in the queue still _QUEUED (neither sent nor taken)
        self._maps = 0            # map() calls with work for the workers so far
        self._lock = threading.Condition()
        # (ended workers: (pid, exit code), fn being made) once one ended, or what failed here
        self._died = None
        self._closing = False
        self._thread = None
        self._wake = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def started(self) -> bool:
        return bool(self._workers)

    def start(self) -> None:
        """Fork the workers now rather than at the first map with work for two (forked before
        the main process makes state they never use, they do not share its pages)."""
        if self.workers > 1 and not self._workers:
            self._start()

    def map(self, fn, items: list):
        """fn(item) of each item, in order. The items are queued at once; the main process
        helps when it asks for the results. One item alone goes to a worker only when the
        workers are already started."""
        if self.workers <= 1 or len(items) < (1 if self._workers else 2):
            return map(fn, items)
        return self._results(self._queued_items(fn, items))

    def as_made(self, fn, items: list, seen=None):
        """(index, fn(item)) of each item, in the order they are made. The items are queued at
        once; when asked for the first result, the main process makes what is still queued
        (from the back) and only then yields, the results made by then first: what it does
        with them (a build unpacks its assembled meetings, decision 92) comes after all of its
        own making, while the workers finish theirs. `seen(index)`: called here for each item
        once it is known to be made, as early as between the items this process makes (a
        progress bar)."""
        seen = seen or (lambda at: None)
        if self.workers <= 1 or len(items) < (1 if self._workers else 2):
            return _all_then(fn, items, seen)
        return self._as_made(self._queued_items(fn, items), seen)

    def _queued_items(self, fn, items: list) -> list[_Item]:
        if not self._workers:
            self._start()
        self._maps += 1
        queued = [_Item(fn, item, self._maps) for item in items]
        with self._lock:
            self._raise_if_died()
            self._queue.extend(queued)
            self._queued += len(queued)
        self._poke()
        return queued

    def _as_made(self, items: list[_Item], seen):
        told = [False] * len(items)

        def tell() -> None:
            for at, item in enumerate(items):
                if not told[at] and item.state == _DONE:
                    told[at] = True
                    seen(at)
        for last in reversed(items):
            with self._lock:
                if last.state != _QUEUED:   # a worker has it, so every item before it too
                    break
                last.state = _MINE
                self._queued -= 1
            last.value, last.state = last.fn(last.arg), _DONE
            last.arg = None
            tell()
        left = list(range(len(items)))
        while left:
            with self._lock:
                while not any(items[at].state == _DONE for at in left) and self._died is None:
                    self._lock.wait()
                self._raise_if_died()
                made = [at for at in left if items[at].state == _DONE]
            tell()
            left = [at for at in left if at not in made]
            for at in made:
                yield at, self._value(items[at])

    def _results(self, items: list[_Item]):
        end = len(items)   # items from `end` on are taken by the main process or sent
        for at, item in enumerate(items):
            # Down to the item awaited itself: one still queued (behind another queue's items,
            # say) is made here rather than waited for.
            while end > at and item.state != _DONE:
                last = items[end - 1]
                with self._lock:
                    if last.state != _QUEUED:   # a worker has it, so every item before it too
                        end = at + 1
                        break
                    last.state = _MINE
                    self._queued -= 1
                end -= 1
                last.value, last.state = last.fn(last.arg), _DONE
                last.arg = None   # as a worker's item once sent: its argument is freed once made
            yield self._await(item)

    def _await(self, item: _Item):
        """The item's result, once made (by a worker or here)."""
        with self._lock:
            while item.state != _DONE and self._died is None:
                self._lock.wait()
            self._raise_if_died()
        return self._value(item)

    @staticmethod
    def _value(item: _Item):
        if item.failed is not None:
            raise item.failed
        value, item.value = item.value, None
        return value

    def _raise_if_died(self) -> None:
        if isinstance(self._died, BaseException):
            raise self._died
        if self._died is not None:
            from .worker_death import WorkerDied   # imported only when one has ended
            ended, fn = self._died
            raise (self.died or WorkerDied).of(ended, self.doing(fn), self.site)

    def _start(self) -> None:
        for _ in range(self.workers - 1):   # each closes the pipes of those forked before it
            self._workers.append(_Worker([fd for w in self._workers for fd in (w.tasks, w.results)]))
        self._wake = os.pipe()
        os.set_blocking(self._wake[1], False)
        self._thread = threading.Thread(target=self._dispatch, name="minutes-forkpool", daemon=True)
        self._thread.start()

    def _poke(self) -> None:
        try:
            os.write(self._wake[1], b"!")
        except BlockingIOError:   # already woken
            pass

    def _dispatch(self) -> None:
        """This process's thread that sends the queued items to the workers and takes their
        results: until close(), or until a worker ends (its result pipe ends)."""
        import selectors   # not imported by a build that starts no worker
        selector = selectors.DefaultSelector()
        selector.register(self._wake[0], selectors.EVENT_READ)
        for worker in self._workers:
            selector.register(worker.results, selectors.EVENT_READ, worker)
        worker = None
        try:
            while True:
                with self._lock:
                    if self._closing and not any(w.sent for w in self._workers):
                        return
                    self._hand_out()
                for each in self._workers:
                    if each.out and not each.writing:
                        selector.register(each.tasks, selectors.EVENT_WRITE, each)
                        each.writing = True
                for key, _ in selector.select():
                    worker = key.data
                    if worker is None:
                        os.read(self._wake[0], 4096)
                    elif key.fd == worker.tasks:
                        try:
                            del worker.out[:os.write(worker.tasks, worker.out)]
                        except BlockingIOError:   # full again: when it can take more
                            pass
                        if not worker.out:
                            selector.unregister(worker.tasks)
                            worker.writing = False
                    else:
                        self._took(worker, _read_framed(worker.results))
                    worker = None
        except (EOFError, BrokenPipeError) as ended:   # a worker ended: its pipes did
            if worker is None:
                self._stopped(failed=ended)
            else:
                self._stopped(ended=[worker.ended()])
        except BaseException as failed:   # noqa: BLE001 - told to the main process, not lost here
            self._stopped(failed=failed)
        finally:
            selector.close()

    def _hand_out(self) -> None:
        """Queued items to the workers, one each in turn, until each has _AHEAD to answer,
        or two once the queue is down to its tail, or one for the last item (under the lock)."""
        tail = _TAIL * len(self._workers)
        for ahead in range(1, _AHEAD + 1):
            for worker in self._workers:
                while len(worker.sent) < ahead and self._queue:
                    item = self._queue[0]
                    if ahead > 2 and item.batch != worker.sent[-1].batch:
                        break
                    if ahead > 2 and self._queued <= tail and item.state == _QUEUED:
                        return
                    if ahead > 1 and self._queued <= 1 and item.state == _QUEUED:
                        return   # the last one: for whichever process is free first
                    self._queue.popleft()
                    if item.state != _QUEUED:   # the main process took it
                        continue
                    self._queued -= 1
                    item.state = _SENT
                    worker.sent.append(item)
                    worker.out += _framed(_dumps((item.fn, item.arg)))
                    item.arg = None

    def _took(self, worker: _Worker, answer: bytes) -> None:
        try:
            failed, value = pickle.loads(answer)
        except Exception as unreadable:   # noqa: BLE001 - that item's failure
            failed, value = True, (unreadable, "")
        if failed:
            value, text = value
            value.__cause__ = _Remote(text) if text else value.__cause__
        with self._lock:
            item = worker.sent.popleft()
            item.state = _DONE
            if failed:
                item.failed = value
            else:
                item.value = value
            self._lock.notify_all()

    def _stopped(self, *, ended: list | None = None, failed: BaseException | None = None) -> None:
        """The pool cannot go on: a worker ended (every worker that has, with how), or this
        thread failed; the main process raises it at its next wait."""
        with self._lock:
            if ended is not None:
                ended += [w.ended() for w in self._workers
                          if w.poll() is not None and w.pid != ended[0][0]]
                fn = next((item.fn for w in self._workers for item in w.sent), None)
                self._died = (ended, fn)
            else:
                self._died = failed
            self._lock.notify_all()

    def close(self) -> None:
        """Stop the workers: each finishes what it was sent (all of it ended when one has)."""
        if not self._workers:
            return
        with self._lock:
            self._closing = True
            for item in self._queue:
                if item.state == _QUEUED:
                    item.state = _MINE   # never made
            self._queue.clear()
            self._queued = 0
            poke = self._wake is not None
        if poke:
            self._poke()
        self._thread.join()
        # Each descriptor forgotten before it is closed: a Ctrl-C may land anywhere in here
        # (most likely while waiting for the workers), and build's except clause then closes
        # the pool again, which must go on from there, never close a descriptor twice (EBADF).
        for worker in self._workers:
            if self._died is not None:
                worker.kill()
            for name in ("tasks", "results"):
                fd = getattr(worker, name)
                if fd >= 0:
                    setattr(worker, name, -1)
                    os.close(fd)   # a worker reads the end of its tasks pipe as the order to stop
        for worker in self._workers:
            worker.poll(wait=True)
        wake, self._wake = self._wake, None
        if wake is not None:
            for fd in wake:
                os.close(fd)
        self._workers = []


def _all_then(fn, items: list, seen):
    """as_made in one process: every item made before the first result is yielded."""
    made = []
    for at, item in enumerate(items):
        made.append(fn(item))
        seen(at)
    yield from enumerate(made)


def _dumps(value) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _framed(data: bytes) -> bytes:
    return _HEADER.pack(len(data)) + data


def _read_exactly(fd: int, size: int) -> bytes:
    parts, left = [], size
    while left:
        part = os.read(fd, min(left, 1 << 20))
        if not part:
            raise EOFError
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _read_framed(fd: int) -> bytes:
    (size,) = _HEADER.unpack(_read_exactly(fd, _HEADER.size))
    return _read_exactly(fd, size)


def _fork(tasks: int, results: int, inherited: list[int]) -> int:
    """Fork a worker process that serves `tasks` until their end (_serve); its pid."""
    for stream in (sys.stdout, sys.stderr):   # what is buffered here is written once, by this process
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):   # None, closed, a closed pipe
            pass
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        _serve(tasks, results, inherited)
        code = 0
    except BaseException:   # noqa: BLE001 - an unexpected failure of the worker itself, told as multiprocessing told it
        import traceback
        print(f"worker process {os.getpid()}:", file=sys.stderr)
        traceback.print_exc()
    finally:
        try:
            sys.stderr.flush()
        finally:
            os._exit(code)   # never back into the main process's stack; no atexit handlers


def _serve(tasks: int, results: int, inherited: list[int]) -> None:
    """A worker: fn(arg) of each item read from `tasks`, written to `results` as (failed,
    value), until the end of `tasks`."""
    import signal
    # Ctrl-C is the main process's to handle: it stops the build once the workers have
    # answered what they were sent (each ends when its tasks pipe does).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for fd in inherited:   # the main process's ends: the end of `tasks` is seen when it closes
        os.close(fd)
    while True:
        try:
            fn, arg = pickle.loads(_read_framed(tasks))
        except EOFError:
            return
        try:
            answer = _dumps((False, fn(arg)))
        except BaseException as failed:   # handed back as it is, with its traceback
            answer = _failure(failed)
        view, done = memoryview(_framed(answer)), 0
        try:
            while done < len(view):
                done += os.write(results, view[done:])
        except BrokenPipeError:   # the main process is gone (killed): nobody to answer
            return


def _failure(failed: BaseException) -> bytes:
    import traceback
    text = "".join(traceback.format_exception(failed))
    try:
        return _dumps((True, (failed, text)))
    except Exception:   # not picklable: its type and text
        return _dumps((True, (RuntimeError(f"{type(failed).__name__}: {failed}"), text)))
