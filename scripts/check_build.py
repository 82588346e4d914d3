"""After `sam build`: each function's handler imports from the built layer alone, in a clean
interpreter (no site-packages, no user environment), every module and template of the layer
has the bytecode Lambda will load (its /opt is read-only: a module without it is compiled again on
every cold start; layers/minutes/Makefile), and the layer's size is reported against Lambda's
limit, unzipped and zipped. Run by `make build`; exits non-zero when a check fails.

    python3.11 scripts/check_build.py [.aws-sam/build]
"""
from __future__ import annotations

import importlib.util
import io
import subprocess
import sys
import zipfile
from pathlib import Path

LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024     # function code + all layers, unzipped
# What Lambda sets; the handlers read their own settings lazily, on the first event.
ENVIRONMENT = {"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "LANG": "C.UTF-8",
               "POWERTOOLS_SERVICE_NAME": "minutes", "POWERTOOLS_TRACE_DISABLED": "true"}
_IMPORT = """
import sys
sys.path[:0] = [{function!r}, {layer!r}]
import app
assert callable(app.lambda_handler)
import importlib, pkgutil, minutes   # every module of the library, not only what app imports first
for module in pkgutil.walk_packages(minutes.__path__, "minutes."):
    importlib.import_module(module.name)
leaked = sorted(m.__file__ for m in list(sys.modules.values())
                if getattr(m, "__file__", None) and "site-packages" in m.__file__)
assert not leaked, leaked
import jinja2                        # and every template is loaded compiled, as the layer ships it
def refuse(self, source, name=None, *args, **kwargs):
    raise SystemExit(f"template {{name}} has no compiled form in the layer (layers/minutes/Makefile)")
jinja2.Environment.compile = refuse
from minutes.compiled_templates import load_all
assert load_all() >= 19
"""


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def zipped_size(path: Path) -> int:
    """Bytes of the folder as one deflated zip (what `sam deploy` uploads, roughly)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            archive.write(file, file.relative_to(path))
    return buffer.tell()


UNCHECKED_HASH = 0b01   # PEP 552 flags: hash-based, source not checked


def without_bytecode(layer: Path) -> list[str]:
    """The layer's modules that this Python (the runtime's version) would compile at import:
    no .pyc of its cache tag, another magic number, or one that checks its source (a
    timestamp or checked-hash .pyc costs a stat or a read and hash of the source)."""
    tag, magic = sys.implementation.cache_tag, importlib.util.MAGIC_NUMBER
    missing = []
    for source in sorted(layer.rglob("*.py")):
        compiled = source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"
        head = compiled.read_bytes()[:8] if compiled.is_file() else b""
        if head[:4] != magic or int.from_bytes(head[4:8], "little") != UNCHECKED_HASH:
            missing.append(str(source.relative_to(layer)))
    return missing


def main(build: Path) -> int:
    layer = build / "MinutesLayer" / "python"
    if not layer.is_dir():
        print(f"check_build: no layer at {layer}: run sam build first", file=sys.stderr)
        return 2
    failed = 0
    for function in sorted(p for p in build.iterdir() if (p / "app.py").is_file()):
        # -B: the check must not leave bytecode of its own in what gets deployed.
        done = subprocess.run([sys.executable, "-I", "-S", "-B", "-c", _IMPORT.format(function=str(function),
                                                                                layer=str(layer))],
                              capture_output=True, text=True, env=ENVIRONMENT, timeout=120, check=False)
        if done.returncode:
            failed += 1
            print(f"FAIL {function.name}: {done.stderr.strip().splitlines()[-1] if done.stderr else done.returncode}")
        else:
            print(f"ok   {function.name}: its handler, every minutes module and every compiled template load from the layer alone "
                  "(python -I -S)")
    missing = without_bytecode(layer)
    if missing:
        failed += 1
        print(f"FAIL {len(missing)} modules without unchecked-hash bytecode for "
              f"{sys.implementation.cache_tag}, first: {missing[:3]} (layers/minutes/Makefile)")
    else:
        print(f"ok   every module of the layer has unchecked-hash bytecode ({sys.implementation.cache_tag})")
    total = size(layer)
    packages = sorted(((size(p), p.name) for p in layer.iterdir() if p.is_dir() and not p.name.endswith("-info")),
                      reverse=True)
    print(f"layer: {total / 2**20:.1f} MiB unzipped ({total / LAMBDA_UNZIPPED_LIMIT:.0%} of Lambda's 250 MiB), "
          f"{zipped_size(layer) / 2**20:.1f} MiB zipped; "
          "largest: " + ", ".join(f"{name} {bytes_ / 2**20:.1f}" for bytes_, name in packages[:6]))
    if total > LAMBDA_UNZIPPED_LIMIT:
        print("FAIL layer exceeds Lambda's unzipped limit")
        failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else ".aws-sam/build")))
