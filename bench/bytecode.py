"""The bytecode of the package a benchmark times, templates included (the tests use it: no bench
-only imports)."""
from __future__ import annotations

import compileall
import importlib.util
from pathlib import Path


def compile_package() -> Path:
    """Write the bytecode of the `minutes` package the bench runs, as `pip install` does for an
    installed package (and Python on first import, unless PYTHONDONTWRITEBYTECODE is set, as it
    is in some shells and CI): without it every run compiles the ~45 modules a build imports from source again,
    ~0.1 s of CPU, a sixth of a one-shot rebuild at 1,000 meetings (decision 51). A source edited
    afterwards only makes its bytecode stale: Python checks the source's mtime and size."""
    package = Path(importlib.util.find_spec("minutes").submodule_search_locations[0])
    if not compileall.compile_dir(str(package), quiet=1):
        raise SystemExit(f"could not compile {package}")
    from minutes.compiled_templates import compile_all
    compile_all()                   # and its templates, as `make` does when it installs them
    return package
