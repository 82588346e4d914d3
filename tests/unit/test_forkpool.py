"""The worker processes of `minutes build` (minutes/forkpool.py): results in order, a worker's
exception handed back, and a worker that ends in the middle of the work stops the pool with
WorkerDied at once, never a hang (decision 80). Each death is run in a process of its own,
with a time limit: a hang fails the test instead of stopping the suite."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from minutes.forkpool import ForkPool


def _double(item: int) -> tuple[int, int]:
    time.sleep(0.01)   # long enough for the worker to take its share
    return item * 2, os.getpid()


def _fail_first(item: int) -> int:
    if item == 0:
        raise ValueError(f"no {item}")
    time.sleep(0.2)   # the main process's item, while the worker fails the first
    return item


def test_results_come_back_in_order_from_both_processes():
    with ForkPool(2) as pool:
        first = list(pool.map(_double, list(range(40))))
        second = list(pool.map(_double, [5]))   # one item, once started: to the worker too
    assert [value for value, _ in first] == [i * 2 for i in range(40)]
    assert second[0][0] == 10
    assert len({pid for _, pid in first + second}) == 2


def test_an_exception_raised_in_a_worker_reaches_the_caller_with_its_traceback():
    with ForkPool(2) as pool:
        with pytest.raises(ValueError, match="no 0") as raised:
            list(pool.map(_fail_first, [0, 1]))   # the worker takes the first
    assert "_fail" in str(raised.value.__cause__)   # the worker's traceback


_made_here: list[int] = []   # appended to by whichever process makes an item: its own copy


def _noted_double(item: int) -> tuple[int, int]:
    _made_here.append(item)
    return _double(item)


@pytest.mark.parametrize("workers", [1, 2])
def test_as_made_yields_each_result_once_and_only_after_this_process_made_its_share(workers):
    """Decision 115: the main process makes what is queued (from the back) before it is handed
    any result, so a build can unpack its meetings after all of its own assembling while the
    worker finishes; `seen` hears of every item once."""
    _made_here.clear()
    seen, results, made_before_first = [], {}, None
    with ForkPool(workers) as pool:
        for at, (value, pid) in pool.as_made(_noted_double, list(range(40)), seen.append):
            if made_before_first is None:
                made_before_first = list(_made_here)
            results[at] = value, pid
    assert results.keys() == set(range(40)) and sorted(seen) == list(range(40))
    assert all(value == at * 2 for at, (value, _) in results.items())
    mine = sorted(at for at, (_, pid) in results.items() if pid == os.getpid())
    assert sorted(made_before_first) == sorted(_made_here) == mine
    if workers == 2:
        assert 0 < len(mine) < 40 and mine[-1] == 39   # taken from the back


def run_script(body: str) -> subprocess.CompletedProcess:
    """`body` run by a new Python (the pool forks it), killed if it takes over 60 s."""
    code = textwrap.dedent("""\
        import os, signal, sys, time
        from minutes.forkpool import ForkPool
        from minutes.worker_death import WorkerDied
        """) + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_a_worker_killed_in_the_middle_of_sending_a_result_stops_the_pool_at_once():
    """What made a build hang in os.read: a worker that dies after the start of a result
    (here it writes half of one, through its real result pipe, then kills itself)."""
    done = run_script("""
        def half_then_die(item):
            if item == 0:   # the worker's first item
                results = sys._getframe(1).f_locals["results"]   # forkpool._serve's pipe
                os.write(results, (1_000_000).to_bytes(8, "big") + b"x" * 1000)
                os.kill(os.getpid(), signal.SIGKILL)
            time.sleep(0.05)
            return item
        pool = ForkPool(2, site="/tmp/site", doing=lambda fn: "testing")
        try:
            with pool:
                list(pool.map(half_then_die, list(range(8))))
        except WorkerDied as died:
            print(died)
        print("exit codes:", [w.exitcode for w in pool._workers] or "all reaped")
        """)
    assert done.returncode == 0, done.stderr
    assert "was killed by SIGKILL" in done.stdout and "while testing" in done.stdout
    assert "/tmp/site may now hold" in done.stdout
    assert "exit codes: all reaped" in done.stdout
    assert "Traceback" not in done.stderr


def test_a_worker_killed_from_outside_is_named_with_its_signal_and_the_others_stopped():
    done = run_script("""
        def wait_or_not(item):
            time.sleep(30 if item == 0 else 0)   # the first worker's item: until it is killed
            return item
        pool = ForkPool(3)   # two workers
        try:
            with pool:
                results = pool.map(wait_or_not, [0, 1])
                workers = list(pool._workers)
                time.sleep(0.3)
                os.kill(workers[0].pid, signal.SIGKILL)
                print("killed", workers[0].pid, flush=True)
                list(results)
        except WorkerDied as died:
            print(died)
        print("ended:", [w.exitcode for w in workers])
        """)
    assert done.returncode == 0, done.stderr
    killed = next(line.split()[1] for line in done.stdout.splitlines() if line.startswith("killed"))
    assert f"worker process {killed} was killed by SIGKILL" in done.stdout
    assert "ended: [-9, -9]" in done.stdout   # the other one stopped too, not left running
    assert "Traceback" not in done.stderr


def test_how_a_worker_ended_in_words():
    from minutes.worker_death import how_it_ended
    assert how_it_ended(-signal.SIGKILL).startswith("was killed by SIGKILL (the signal the kernel's")
    assert how_it_ended(-signal.SIGSEGV) == "was killed by SIGSEGV (it crashed)"
    assert how_it_ended(3) == "exited with code 3"


def test_a_worker_is_sent_three_items_ahead_but_never_a_later_maps_item_as_its_third():
    """forkpool._hand_out, on its own (no process, no thread: nothing to race): a worker is
    sent up to three items ahead of its answers (f95e616), but past the second only items of
    the map it is on; a later map's stay queued for the main process, which takes from the
    back while it waits (test_build_memory's test_the_main_process_takes_an_item... shows why,
    but through a race it can lose: the reviewer's surviving mutation, the batch rule removed,
    passed it). And no third once the queue is down to its tail (_TAIL items a worker), so
    the main process is not left waiting for two items a worker holds when the queue runs out."""
    from collections import deque
    from types import SimpleNamespace

    from minutes.forkpool import _DONE, _QUEUED, _SENT, _TAIL, _Item
    pool = ForkPool(2)
    worker = SimpleNamespace(sent=deque(), out=bytearray())
    pool._workers = [worker]
    tail = _TAIL

    def queue(items):
        pool._queue.extend(items)
        pool._queued += len(items)

    try:
        first = [_Item(_double, i, 1) for i in range(2)]
        second = [_Item(_double, i, 2) for i in range(tail + 3)]
        queue(first + second)
        pool._hand_out()
        assert list(worker.sent) == first and [i.state for i in first] == [_SENT] * 2
        assert list(pool._queue) == second and [i.state for i in second] == [_QUEUED] * len(second)
        # Within one map: three ahead, and no more.
        worker.sent.clear()
        pool._hand_out()
        assert list(worker.sent) == second[:3] and list(pool._queue) == second[3:]
        assert len(worker.out) > 0   # what the dispatcher writes to the worker's pipe
        # The tail: two ahead, the rest left for whichever process is free first.
        worker.sent.clear()
        pool._hand_out()
        assert list(worker.sent) == second[3:5] and list(pool._queue) == second[5:]
        assert pool._queued == tail - 2
        third = [_Item(_double, i, 3) for i in range(tail + 1)]
        pool._queue.clear()
        pool._queued = 0
        worker.sent.clear()
        queue(third)
        pool._hand_out()
        assert list(worker.sent) == third[:2] and list(pool._queue) == third[2:]
        # Items the main process takes (from the back, as it waits) are counted out.
        fourth = [_Item(_double, i, 4) for i in range(3)]
        queue(fourth)
        assert pool._queued == len(third) - 2 + 3
        assert next(pool._results(fourth)) == (0, os.getpid())   # made here
        assert [i.state for i in fourth] == [_DONE] * 3 and pool._queued == len(third) - 2
    finally:
        pool._workers = []


def _fake_worker_pool(workers: int):
    """A pool whose _hand_out is run on its own: `workers` stand-ins for forked workers (no
    process, no thread: nothing to race)."""
    from collections import deque
    from types import SimpleNamespace
    pool = ForkPool(workers + 1)
    fakes = [SimpleNamespace(sent=deque(), out=bytearray()) for _ in range(workers)]
    pool._workers = fakes
    return pool, fakes


def _queue(pool: ForkPool, count: int, batch: int = 1) -> list:
    from minutes.forkpool import _Item
    items = [_Item(_double, i, batch) for i in range(count)]
    pool._queue.extend(items)
    pool._queued += len(items)
    return items


@pytest.mark.parametrize("workers", [1, 2])
def test_the_last_queued_item_is_never_sent_ahead(workers):
    """Decision 115: a worker making an item is never sent the queue's last one as well (the
    main process, out of items, waited for both); a worker with nothing to make is."""
    pool, fakes = _fake_worker_pool(workers)
    try:
        items = _queue(pool, workers + 1)
        pool._hand_out()
        assert [list(f.sent) for f in fakes] == [[item] for item in items[:workers]]
        assert list(pool._queue) == items[workers:] and pool._queued == 1
        fakes[-1].sent.clear()   # one answered
        pool._hand_out()
        assert list(fakes[-1].sent) == items[workers:] and pool._queued == 0
    finally:
        pool._workers = []


@pytest.mark.parametrize("workers", [1, 2])
def test_the_tail_rule_starts_at_exactly_tail_items_queued_a_worker(workers):
    """forkpool._TAIL: once the items still queued are down to _TAIL a worker, each worker is
    sent one item ahead of the one it makes, never a third; one more queued, and it is."""
    from minutes.forkpool import _TAIL
    tail = _TAIL * workers
    pool, fakes = _fake_worker_pool(workers)
    try:
        # Two each handed out first, then tail left queued: no third for any worker.
        items = _queue(pool, 2 * workers + tail)
        pool._hand_out()
        assert [len(f.sent) for f in fakes] == [2] * workers
        assert pool._queued == tail and list(pool._queue) == items[2 * workers:]
        # One more queued: the first worker is sent its third, which brings the queue to tail.
        for fake in fakes:
            fake.sent.clear()
        pool._queue.clear()
        pool._queued = 0
        items = _queue(pool, 2 * workers + tail + 1)
        pool._hand_out()
        assert [len(f.sent) for f in fakes] == [3] + [2] * (workers - 1)
        assert pool._queued == tail
    finally:
        pool._workers = []


def _slow(item: int) -> int:
    time.sleep(0.01)
    return item


def test_a_map_after_close_counts_only_its_own_items_for_the_tail():
    """close() drops what is still queued (a map whose results were never asked for, as when
    a build stops on an error); the pool starts again at its next map(), whose tail rule must
    count that map's items alone, not the dropped ones too."""
    from minutes.forkpool import _TAIL
    pool = ForkPool(2)
    pool.map(_slow, list(range(30)))   # queued at once; never asked for
    pool.close()
    assert not pool.started
    assert list(pool.map(_slow, list(range(10)))) == list(range(10))   # started again
    assert pool.started
    pool.close()
    # The tail rule on the next map's items: tail of them left queued, no third item.
    pool._workers = [fake] = _fake_worker_pool(1)[1]
    try:
        _queue(pool, 2 + _TAIL)
        pool._hand_out()
        assert len(fake.sent) == 2 and pool._queued == _TAIL
    finally:
        pool._workers = []


def test_ctrl_c_while_close_waits_for_the_workers_then_close_again_is_quiet(monkeypatch):
    """Ctrl-C landing while close() waits for the workers (they ignore SIGINT and finish):
    build's `except BaseException` closes the pool once more (early.close()); that second
    close closed the pipes closed by the first, and OSError EBADF replaced the
    KeyboardInterrupt ("Bad file descriptor", exit 2, not decision 90's line and 130)."""
    from minutes import forkpool
    pool = ForkPool(2)
    list(pool.map(_double, list(range(8))))
    waited = forkpool._Worker.poll

    def interrupted(self, wait=False):
        if wait:
            monkeypatch.setattr(forkpool._Worker, "poll", waited)
            raise KeyboardInterrupt
        return waited(self, wait)

    monkeypatch.setattr(forkpool._Worker, "poll", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pool.close()
    pool.close()   # what build's except clause does; then nothing left to close
    pool.close()
    assert not pool.started
