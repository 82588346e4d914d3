"""The build cache's files are replaced whole (buildcache._replacing, which memo_writer,
_atomic_write and _atomic_dump share): the bytes written are the bytes asked for; while they
are written and after a failure the file under its own name holds its old bytes, and no
temporary file is left beside it."""
from __future__ import annotations

import pickle

import pytest

from minutes import buildcache

OLD = b"the old bytes"


class Stop(Exception):
    pass


class Unpicklable:
    def __reduce__(self):
        raise Stop


def _beside(path):
    return sorted(p.name for p in path.parent.iterdir())


def test_a_memo_is_its_entries_pickled_one_after_another(tmp_path):
    path = tmp_path / "memo.pickle"
    path.write_bytes(OLD)
    with buildcache.memo_writer(str(path)) as add:
        add("a", (b"1", b"2"))
        assert path.read_bytes() == OLD   # not yet: the memo is replaced once all are in
        add("b", (b"3", b"4"))
    assert path.read_bytes() == b"".join(
        pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
        for item in [("a", (b"1", b"2")), ("b", (b"3", b"4"))])
    assert _beside(path) == ["memo.pickle"]


def test_a_state_file_is_its_bytes_or_its_pickle(tmp_path):
    path = tmp_path / "state.pickle"
    path.write_bytes(OLD)
    buildcache._atomic_write(path, b"new bytes")
    assert path.read_bytes() == b"new bytes"
    value = {"a": [1, 2, 3], "b": b"x" * 70_000}   # more than one pickle frame
    buildcache._atomic_dump(path, value)
    assert path.read_bytes() == pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    assert _beside(path) == ["state.pickle"]


def _memo_stopped_in_its_block(path):
    with buildcache.memo_writer(str(path)) as add:
        add("a", (b"1" * 100_000, b"2"))
        raise Stop


def _memo_of_an_entry_pickle_refuses(path):
    with buildcache.memo_writer(str(path)) as add:
        add("a", (b"1", b"2"))
        add("b", Unpicklable())


def _state_pickle_refuses_after_a_frame(path):
    buildcache._atomic_dump(path, [b"x" * 200_000, Unpicklable()])


def _state_of_text_not_bytes(path):
    try:
        buildcache._atomic_write(path, "not bytes")
    except TypeError as refused:
        raise Stop from refused


@pytest.mark.parametrize("fail", [_memo_stopped_in_its_block, _memo_of_an_entry_pickle_refuses,
                                  _state_pickle_refuses_after_a_frame, _state_of_text_not_bytes])
def test_a_file_that_fails_half_written_leaves_the_old_one_and_no_temporary_file(tmp_path, fail):
    path = tmp_path / "cached.pickle"
    path.write_bytes(OLD)
    with pytest.raises(Stop):
        fail(path)
    assert path.read_bytes() == OLD
    assert _beside(path) == ["cached.pickle"]
