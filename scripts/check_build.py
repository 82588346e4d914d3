"""After `sam build`: each function's handler imports from the built layer alone, in a clean
interpreter (no site-packages, no user environment), and the layer's size is reported against
Lambda's limit. Run by `make build`; exits non-zero when a handler does not import.

    python3.11 scripts/check_build.py [.aws-sam/build]
"""
from __future__ import annotations

import subprocess
import sys
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
"""


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(build: Path) -> int:
    layer = build / "MinutesLayer" / "python"
    if not layer.is_dir():
        print(f"check_build: no layer at {layer}: run sam build first", file=sys.stderr)
        return 2
    failed = 0
    for function in sorted(p for p in build.iterdir() if (p / "app.py").is_file()):
        done = subprocess.run([sys.executable, "-I", "-S", "-c", _IMPORT.format(function=str(function),
                                                                                layer=str(layer))],
                              capture_output=True, text=True, env=ENVIRONMENT, timeout=120, check=False)
        if done.returncode:
            failed += 1
            print(f"FAIL {function.name}: {done.stderr.strip().splitlines()[-1] if done.stderr else done.returncode}")
        else:
            print(f"ok   {function.name}: its handler and every minutes module import from the layer alone "
                  "(python -I -S)")
    total = size(layer)
    packages = sorted(((size(p), p.name) for p in layer.iterdir() if p.is_dir() and not p.name.endswith("-info")),
                      reverse=True)
    print(f"layer: {total / 2**20:.1f} MiB unzipped ({total / LAMBDA_UNZIPPED_LIMIT:.0%} of Lambda's 250 MiB); "
          "largest: " + ", ".join(f"{name} {bytes_ / 2**20:.1f}" for bytes_, name in packages[:6]))
    if total > LAMBDA_UNZIPPED_LIMIT:
        print("FAIL layer exceeds Lambda's unzipped limit")
        failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else ".aws-sam/build")))
