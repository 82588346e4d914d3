"""The digests a build keeps to tell what changed: of each source file's bytes, of each file it
wrote, of a page's or a meeting's inputs, of the code. None is published, so none need be
sha256: they are BLAKE2b of 32 bytes, which hashlib takes from Python's own _blake2 module
whether OpenSSL is there or not. Python's own sha256 would cost a cold build of 1,000 meetings
~0.2 s more (3.3 ms per MB; it hashes ~72 MB: 10 of sources, 62 of site), BLAKE2b ~15 ms more
than OpenSSL's sha256 (50 against 35 ms for those bytes, CPU's SHA instructions), and without
OpenSSL the `minutes build` process maps no libcrypto: 3.4 MiB less resident memory and ~2 ms
less start (decision 82; cli._build). The sha256 digests that are part of the site (asset file
names, iCalendar UIDs) are unchanged: Python's own sha256 gives the same bytes."""
from __future__ import annotations

import hashlib


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=32).hexdigest()


def new_digest():
    """A digest given its data piece by piece (update; hashlib.file_digest)."""
    return hashlib.blake2b(digest_size=32)

