"""document.py's cheaper checks (issue 9, decision 69) give what the checks before gave: the
functions as they were are kept here, and the text, the warnings (with their lines) and the
verdicts are compared on random bytes aimed at what each shortcut must not miss."""
from __future__ import annotations

import random

import pytest

from minutes import document
from minutes.problems import Rejected


# --- the way before (as at main 1e3e3b3) ------------------------------------------------------

def _decode_before(data: bytes, max_bytes: int):
    D = document
    if len(data) > max_bytes:
        raise Rejected([])
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text, problems = D._utf16(data)
    elif b"\x00" in data[:8192]:
        raise Rejected([])
    else:
        text, problems = D._utf8(data)
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise Rejected([])
    text, removed = D._without_controls(text)
    problems += removed
    if D._HTML_DOCUMENT.match(text) and (hackmd := D._HACKMD_SOURCE.search(text)):
        text = D.html.unescape(hackmd.group(1)).lstrip("\n")
    elif D._HTML_DOCUMENT.match(text):
        raise Rejected([])
    return text, problems


def _has_lines_before(body: str, count: int) -> bool:
    for line in body.splitlines():
        if line.strip():
            count -= 1
            if not count:
                return True
    return False


def decoded(decode, data: bytes):
    try:
        return decode(data, 1 << 20)
    except Rejected:
        return "rejected"


# Bytes where the shortcut's reasoning could slip: each control (C0, DEL, C1 as UTF-8 and as a
# lone byte), 0xC2 before other bytes, the characters around the ranges, invalid UTF-8 (read
# as Windows-1252 or with U+FFFD), the byte order marks, CR, NUL, form feed, tab.
PIECES = [bytes([b]) for b in [*range(0x20), 0x7f, 0x80, 0x9f, 0xa0, 0xc2, 0xff]] + [
    "\u0080".encode(), "\u0085".encode(), "\u009f".encode(), "\u00a0".encode(), "©".encode(),
    "é".encode(), "中".encode(), "\u2028".encode(), b"\xc2\x7f", b"\xc2\xc2\x80", b"\xef\xbb\xbf",
    b"\xff\xfe", b"\xfe\xff", b"\r\n", b"\n", b"text ", b"# Title\n", b"- item\n", b"caf\xe9 "]


@pytest.mark.parametrize("seed", range(3))
def test_decoding_finds_the_same_text_and_warnings(seed):
    rng = random.Random(seed)
    controls = 0
    for _ in range(3000):
        data = b"".join(rng.choice(PIECES) for _ in range(rng.randint(1, 40)))
        if rng.random() < 0.3:
            data = b"# Notes\n\nSome text.\n" + data
        before = decoded(_decode_before, data)
        assert decoded(document._decode, data) == before, data
        controls += before != "rejected" and any(p.code == "control-char" for p in before[1])
    assert controls > 300   # the generator reaches the warning (and the shortcut: below)


def test_clean_utf8_takes_the_shortcut_and_a_control_does_not():
    assert document._no_controls_in("# Notes\n\n- café, 中, \u00a0©\tend\f\n".encode())
    for char in ("\x00", "\x08", "\x0b", "\x0e", "\x1f", "\x7f", "\x80", "\x85", "\x9f"):
        assert not document._no_controls_in(f"a{char}b".encode()), repr(char)
        assert document._CONTROL.search(char)


@pytest.mark.parametrize("seed", range(2))
def test_counting_lines_gives_the_same_verdict(seed):
    rng = random.Random(seed)
    pieces = ["x", " ", "\n", "\n\n", "\f", "\u2028", "\u00a0", "\t", "word " * 500, " " * 3000,
              "\n" * 2047]
    for _ in range(3000):
        body = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        for count in (1, 3):
            assert document._has_lines(body, count) == _has_lines_before(body, count), body[:80]
