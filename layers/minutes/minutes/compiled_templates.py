"""Templates compiled once where the code is installed, as Python compiles its own modules.

jinja2 turns a template's source into Python code and that into bytecode: ~30 ms of CPU for the
site's templates in every process that renders a page (each Lambda cold start; the main process
of every cold `minutes build`). Its bytecode cache keeps the result. This one looks in two
folders, in order:

- the build cache's `templates/` (written by a build: a rebuild loads what it compiled);
- `templates/__pycache__/` beside the templates, written when the package is installed
  (`python -m minutes.compiled_templates`: `make` runs it for the virtual environment and the
  layer's Makefile for Lambda, whose /opt is read-only; decision 83).

A compiled template is used only when its source's checksum and Python's version match (jinja2's
Bucket checks them) and so do jinja2's version and the environment's options (in the key), so an
edited template or a changed environment is compiled afresh, never served stale; a damaged file
is compiled afresh too. Keys are jinja2's version, the environment's options and the template's
name, not its path: jinja2's default key is the name and the file's absolute path, and the layer
is compiled in one folder and run from another (/opt/python).
"""
from __future__ import annotations

import hashlib
import os
import sys

import jinja2

SHIPPED = os.path.join(os.path.dirname(__file__), "templates", "__pycache__")


class CompiledTemplates(jinja2.BytecodeCache):
    def __init__(self, label: str, writable: str | None = None, shipped: str | None = SHIPPED):
        self.label = label                # names the files: one label per environment
        self.folders = [f for f in (writable, shipped) if f]
        self.writable = writable

    def get_bucket(self, environment: jinja2.Environment, name: str, filename: str | None,
                   source: str) -> jinja2.bccache.Bucket:
        """As jinja2's, but keyed by what shapes the compiled code besides the source (which
        the bucket checks): jinja2's own version (its Bucket checks only its bytecode format's
        number and Python's), the environment's options, and the template's name; not its path."""
        bucket = jinja2.bccache.Bucket(environment, _key(environment, name),
                                       self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def _path(self, folder: str, bucket: jinja2.bccache.Bucket) -> str:
        return os.path.join(folder, f"{self.label}-{bucket.key}.cache")

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        for folder in self.folders:
            try:
                with open(self._path(folder, bucket), "rb") as handle:
                    bucket.load_bytecode(handle)    # resets the bucket on any mismatch
            except (FileNotFoundError, NotADirectoryError, PermissionError):
                continue
            except Exception:       # damaged (cut short, overwritten): compiled afresh instead
                bucket.reset()
                continue
            if bucket.code is not None:
                return

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if self.writable:
            write_atomically(self._path(self.writable, bucket), bucket)


# What an Environment's compiled code depends on besides the template's source (jinja2 3.1:
# Environment.__init__'s syntax and compiler options; autoescape may depend on the name).
_OPTIONS = ("block_start_string", "block_end_string", "variable_start_string",
            "variable_end_string", "comment_start_string", "comment_end_string",
            "line_statement_prefix", "line_comment_prefix", "trim_blocks", "lstrip_blocks",
            "newline_sequence", "keep_trailing_newline", "optimized", "is_async")


def _key(environment: jinja2.Environment, name: str) -> str:
    escape = environment.autoescape
    options = [getattr(environment, option) for option in _OPTIONS]
    finalize = environment.finalize   # the compiler calls it in the code it makes
    options += [escape(name) if callable(escape) else escape, sorted(environment.extensions),
                sorted(environment.filters), sorted(environment.tests),
                getattr(finalize, "__qualname__", finalize), jinja2.__version__, name]
    return hashlib.sha1(repr(options).encode()).hexdigest()


def write_atomically(path: str, bucket: jinja2.bccache.Bucket) -> None:
    """Another process may read the file meanwhile (a build's workers; two builds sharing a
    cache): it sees the old file or the whole new one."""
    import tempfile                 # only a process that compiles: not a Lambda's cold start
    folder = os.path.dirname(path)
    handle = tempfile.NamedTemporaryFile("wb", dir=folder, prefix=".", suffix=".tmp", delete=False)
    try:
        with handle:
            bucket.write_bytecode(handle)
        os.replace(handle.name, path)
    except BaseException:
        os.unlink(handle.name)
        raise


def load_all(writable: str | None = None, shipped: str | None = SHIPPED) -> int:
    """Load every template of every environment, compiling (into `writable`) those without a
    compiled form; returns how many."""
    from minutes import mail, pages, subscription_web
    count = 0
    for env, prefix in ((pages.environment(writable, shipped), "site/"),
                        (mail.environment(writable, shipped), "email/"),
                        (subscription_web.environment(writable, shipped), "subscriptions/")):
        for name in env.list_templates(filter_func=lambda n: n.startswith(prefix) and n.endswith(".j2")):
            env.get_template(name)
            count += 1
    return count


def compile_all(folder: str = SHIPPED) -> int:
    """Compile every template into `folder` (where an installed package keeps them), afresh:
    the folder then holds exactly the current templates' compiled forms."""
    os.makedirs(folder, exist_ok=True)
    for entry in os.scandir(folder):
        if entry.name.endswith(".cache"):
            os.unlink(entry.path)
    return load_all(writable=folder, shipped=None)


if __name__ == "__main__":
    where = sys.argv[1] if len(sys.argv) > 1 else SHIPPED
    print(f"compiled {compile_all(where)} templates into {where}")
