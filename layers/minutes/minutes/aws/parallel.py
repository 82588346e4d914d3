"""A few AWS calls in flight at once: the adapters' one way to hide a call's latency."""
from __future__ import annotations

# boto3 clients are thread-safe (resources are not: concurrent callers use a resource's client);
# a few calls in flight hide S3's and DynamoDB's latency (~5-20 ms a call) without exceeding a
# client's pool of 10 connections.
IN_FLIGHT = 8


def concurrently(call, items: list) -> list:
    """call(item) for every item, a few at a time; the results in the items' order. Every call
    has finished (or failed) before this returns or raises the first failure."""
    if len(items) <= 1:
        return [call(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor, wait
    with ThreadPoolExecutor(max_workers=min(IN_FLIGHT, len(items))) as pool:
        futures = [pool.submit(call, item) for item in items]
        wait(futures)
    return [future.result() for future in futures]
