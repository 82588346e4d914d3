"""Print the fastest CPython 3.11 on this machine that can make a virtual environment.

`make` builds .venv with it (decision 120). Interpreters of the same version differ in how
they were compiled: a distribution's python3.11 (profile-guided, link-time optimised, libpython
linked into the executable) ran a cold `minutes build` in ~10% fewer instructions and ~20-25%
less time than a pyenv build without `--enable-optimizations` on the same machine. So every
`python3.11` and `python3` on PATH (and in /usr/bin, /usr/local/bin) is asked for its version,
whether `venv` and `ensurepip` import, and how long a small pure-Python workload takes (best of
three); the fastest that qualifies is printed. Runs on any Python 3; prints `python3` when none
qualifies, so `make` fails as it did before, with venv's own message.
"""
from __future__ import annotations

import os
import subprocess
import sys

WANTED = (3, 11)
NAMES = ("python3.11", "python3")
ALSO = ("/usr/bin", "/usr/local/bin")

# Run by each candidate: what the build's own time goes to (dict and str work, attribute access,
# small objects), ~50-100 ms; the best of three is its figure.
PROBE = r"""
import sys, time
ok = True
try:
    import venv, ensurepip
except Exception:
    ok = False
class Node:
    __slots__ = ("a", "b")
    def __init__(self, a, b):
        self.a = a; self.b = b
def work():
    counts = {}
    for i in range(60000):
        word = "w%d" % (i % 500)
        counts[word] = counts.get(word, 0) + 1
    html = "".join(f"<li>{k}: {v}</li>" for k, v in sorted(counts.items()))
    total = 0
    for i in range(80000):
        n = Node(i, i + 1)
        total += n.a * n.b % 7
    return len(html) + total
best = float("inf")
for _ in range(3):
    started = time.perf_counter()
    work()
    best = min(best, time.perf_counter() - started)
print(sys.version_info[0], sys.version_info[1], int(ok), best, sys.executable)
"""


def candidates() -> list[str]:
    seen, found = set(), []
    for folder in os.environ.get("PATH", "").split(os.pathsep) + list(ALSO):
        for name in NAMES:
            path = os.path.join(folder, name)
            if os.path.isfile(path) and os.access(path, os.X_OK):
                real = os.path.realpath(path)
                if real not in seen:
                    seen.add(real)
                    found.append(path)
    return found


def probe(path: str) -> tuple[float, str] | None:
    """(seconds, executable) when `path` is a CPython 3.11 that can make a venv, else None."""
    try:
        out = subprocess.run([path, "-I", "-c", PROBE], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    try:
        major, minor, ok, seconds, executable = out.stdout.split(maxsplit=4)
    except ValueError:
        return None
    if (int(major), int(minor)) != WANTED or ok != "1":
        return None
    return float(seconds), os.path.realpath(executable.strip())


def main() -> int:
    timed = {}
    for path in candidates():
        result = probe(path)
        if result is not None:
            timed.setdefault(result[1], result[0])   # shims and links: one entry per executable
    if not timed:
        print("python3")
        return 0
    chosen = min(timed, key=timed.get)
    if len(timed) > 1:
        others = ", ".join(f"{p} {s * 1000:.0f} ms" for p, s in sorted(timed.items(), key=lambda i: i[1])
                           if p != chosen)
        print(f"pick_python: {chosen} ({timed[chosen] * 1000:.0f} ms on the probe; also {others})",
              file=sys.stderr)
    print(chosen)
    return 0


if __name__ == "__main__":
    sys.exit(main())
