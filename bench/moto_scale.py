"""A bench-only patch of moto's DynamoDB so that a call's cost in the emulator follows what the call
touches, as in DynamoDB, not the size of the table. For bench/publish_at_scale.py only.

Two places in moto 5 cost the whole table on every call:
- `Table.query` starts from `Table.all_items()`, which lists EVERY item of the table and sorts them
  all by (hash key, range key) with Python comparisons of its DynamoType values, and only then
  keeps the items of the partition asked for (~40,000 Listings items at 10,000 meetings).
- `transact_write_items` deep-copies the whole table once per action of the transaction, before
  running any, to put it back if one fails (the index commits each meeting with a transaction of
  ~10 actions: ten copies of the Listings table, a few seconds each at 1,000 meetings).
DynamoDB reads a Query from its partition's key range, and a transaction costs its items.

`moto_at_scale()` changes only this:
- a Query of the table itself gets from `all_items()` the items of its partition
  (`Table.items[hash_key]`): exactly the subset the original keeps (`item.hash_key == hash_key`),
  which Query then sorts by range key as before. A Query of an index gets every item, unsorted:
  Query keeps the items that have the index's keys and sorts them by (index keys, table hash key,
  table range key), a total order, so the pre-sort `all_items()` did changes only the time.
  Everything after (range conditions, ScanIndexForward, Limit, ExclusiveStartKey, filters,
  projections) is moto's own code.
- a transaction saves the items its actions name (a copy of each, or its absence) instead of
  copying whole tables, and puts those back when moto's own code cancels it; the tables stay the
  same objects. (moto's stream records of a cancelled transaction are not taken back: no table of
  the stack has a stream.)
The hints are per thread (the index makes calls from a few threads at once). Scan, GetItem,
BatchGetItem and the other writes are untouched.

Used ONLY inside the scale bench's own process, never by the product and never by a test of
behaviour. tests/integration/test_moto_scale.py runs the same Queries (table and indexes, key
conditions, ranges, both directions, Limit and ExclusiveStartKey pages, filters, projections) and
the same transactions (committed, cancelled by a condition, refused as invalid) with and without
the patch and asserts identical answers and identical tables. Checked against moto 5.2.5 (pinned
in requirements/constraints.txt); another version is refused until that test is run against it.
"""
from __future__ import annotations

import contextlib
import copy
import inspect
import threading

MOTO_VERSION = "5.2.5"
_hint = threading.local()


def _partition_items(table, hash_key, index_name) -> list:
    """What `all_items()` gives the Query that is running on `table`."""
    if index_name is not None:
        if table.range_key_attr:
            return [item for part in table.items.values() for item in part.values()]
        return list(table.items.values())
    part = table.items.get(hash_key)
    if part is None:
        return []
    return list(part.values()) if table.range_key_attr else [part]


def _touched(backend, transact_items: list[dict]) -> list[tuple]:
    """(table, hash key, range key, the item now or None) for each item the actions name."""
    saved = []
    for action in transact_items:
        try:
            op = next(iter(action.values()))
            table = backend.get_table(op["TableName"])
            if "Item" in op:
                key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = op["Item"][table.range_key_attr]
            else:
                key = op["Key"]
            hash_key, range_key = backend.get_keys_value(table, key)
            saved.append((table, hash_key, range_key,
                           copy.deepcopy(table.get_item(hash_key, range_key))))
        except Exception:   # a malformed action: moto refuses it before it changes anything
            continue
    return saved


def _put_back(saved: list[tuple]) -> None:
    for table, hash_key, range_key, item in reversed(saved):
        if table.range_key_attr:
            if item is None:
                table.items.get(hash_key, {}).pop(range_key, None)
            else:
                table.items[hash_key][range_key] = item
        elif item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item


@contextlib.contextmanager
def moto_at_scale():
    """Within the block, moto's DynamoDB Query and TransactWriteItems cost what they touch."""
    import moto
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table
    if moto.__version__ != MOTO_VERSION:
        raise RuntimeError(f"bench/moto_scale.py was checked against moto {MOTO_VERSION}, not "
                           f"{moto.__version__}: run tests/integration/test_moto_scale.py and "
                           "update MOTO_VERSION")
    original_query, original_all_items = Table.query, Table.all_items
    original_transact = DynamoDBBackend.transact_write_items
    had_deepcopy = "__deepcopy__" in Table.__dict__
    signature = inspect.signature(original_query)

    def query(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        _hint.query = (self, bound.arguments.get("hash_key"), bound.arguments.get("index_name"))
        try:
            return original_query(self, *args, **kwargs)
        finally:
            _hint.query = None

    def all_items(self):
        hint = getattr(_hint, "query", None)
        if hint is None or hint[0] is not self:
            return original_all_items(self)
        return _partition_items(self, hint[1], hint[2])

    def transact_write_items(self, transact_items):
        saved = _touched(self, transact_items)
        _hint.transaction = True   # moto's whole-table "copy" is the table itself...
        try:
            return original_transact(self, transact_items)
        except Exception:
            _put_back(saved)       # ...and what the actions changed is put back here
            raise
        finally:
            _hint.transaction = False

    def table_deepcopy(self, memo):
        if getattr(_hint, "transaction", False):
            return self
        return copy._reconstruct(self, memo, *self.__reduce_ex__(4))   # copy's default

    Table.query, Table.all_items = query, all_items
    DynamoDBBackend.transact_write_items = transact_write_items
    Table.__deepcopy__ = table_deepcopy
    try:
        yield
    finally:
        Table.query, Table.all_items = original_query, original_all_items
        DynamoDBBackend.transact_write_items = original_transact
        if not had_deepcopy:
            del Table.__deepcopy__
