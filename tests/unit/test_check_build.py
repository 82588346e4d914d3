"""scripts/check_build.py's bytecode check: a layer module Lambda would compile on every cold
start (no .pyc, or one that checks its source) fails `make build` (decision 54)."""
from __future__ import annotations

import compileall
import importlib.util
import py_compile
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("check_build", REPO / "scripts" / "check_build.py")
check_build = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_build)


def layer(tmp_path: Path) -> Path:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    for name in ("top.py", "pkg/__init__.py", "pkg/sub/mod.py"):
        (tmp_path / name).write_text("VALUE = 1\n")
    return tmp_path


def test_unchecked_hash_bytecode_for_every_module_passes(tmp_path):
    root = layer(tmp_path)
    assert compileall.compile_dir(root, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    assert check_build.without_bytecode(root) == []


def test_missing_or_source_checking_bytecode_is_named(tmp_path):
    root = layer(tmp_path)
    assert check_build.without_bytecode(root) == ["pkg/__init__.py", "pkg/sub/mod.py", "top.py"]
    compileall.compile_dir(root, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
    assert len(check_build.without_bytecode(root)) == 3     # it would stat every source
    compileall.compile_dir(root, quiet=1, force=True,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    (root / "pkg" / "sub" / "__pycache__" / f"mod.{sys.implementation.cache_tag}.pyc").unlink()
    assert check_build.without_bytecode(root) == ["pkg/sub/mod.py"]


def test_the_zipped_size_is_measured(tmp_path):
    root = layer(tmp_path)
    (root / "big.txt").write_text("minutes " * 10_000)
    assert 0 < check_build.zipped_size(root) < check_build.size(root)
