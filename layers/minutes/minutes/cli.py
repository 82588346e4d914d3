"""The `minutes` command: check, build, demo, serve."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return EXIT_USAGE
    return args.run(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="minutes", description="Publish meeting minutes.")
    sub = parser.add_subparsers(metavar="COMMAND")

    check = sub.add_parser("check", help="check minutes files before uploading them")
    check.add_argument("files", nargs="+", type=Path, metavar="FILE",
                       help="a minutes file, or a folder: every meeting in it")
    check.add_argument("--key", help="the bucket key to check FILE as (one FILE only); by "
                       "default the key comes from the path (.../minutes/<group>/...), else "
                       "minutes/<folder>/<file>")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--max-bytes", type=int, default=1024 * 1024,
                       help="the size limit the bucket enforces (default: 1 MiB)")
    check.set_defaults(run=_check)

    build = sub.add_parser("build", help="render a folder of minutes to a static site")
    build.add_argument("src", type=Path, metavar="SRC", help="folder laid out like minutes/: <group>/<date>-<slug>.md")
    build.add_argument("--out", type=Path, required=True, metavar="SITE")
    build.add_argument("--base-url", default="http://localhost:8000")
    build.add_argument("--jobs", type=int, default=None, help="worker processes (default: every core)")
    build.set_defaults(run=_build)

    demo = sub.add_parser("demo", help="run the whole pipeline on AWS emulated in-process")
    demo.add_argument("--out", type=Path, default=Path("demo"))
    demo.set_defaults(run=_demo)

    serve = sub.add_parser("serve", help="preview a built site on localhost")
    serve.add_argument("site", type=Path, metavar="SITE")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(run=_serve)
    return parser


def _check(args) -> int:
    from .check import check_paths, expand, format_json, format_text
    if args.key and (len(args.files) != 1 or args.files[0].is_dir()):
        print("minutes check: --key needs exactly one FILE (not a folder)", file=sys.stderr)
        return EXIT_USAGE
    missing = [str(p) for p in args.files if not p.exists()]
    if missing:
        print(f"minutes check: no such file: {', '.join(missing)}", file=sys.stderr)
        return EXIT_USAGE
    empty = [str(p) for p in args.files if p.is_dir() and not expand([p])]
    if empty:
        print(f"minutes check: no .md files in: {', '.join(empty)}", file=sys.stderr)
        return EXIT_USAGE
    if args.max_bytes <= 0:
        print("minutes check: --max-bytes must be positive", file=sys.stderr)
        return EXIT_USAGE
    verdicts = check_paths(args.files, key=args.key, max_bytes=args.max_bytes)
    if args.format == "json":
        print(format_json(verdicts))
    else:
        for verdict in verdicts:
            print(format_text(verdict))
    return EXIT_OK if all(v.valid for v in verdicts) else EXIT_INVALID


def _build(args) -> int:
    from .build import build, print_progress
    from .check import format_text, Verdict
    if not args.src.is_dir():
        print(f"minutes build: {args.src} is not a folder", file=sys.stderr)
        return EXIT_USAGE
    result = build(args.src, args.out, site_url=args.base_url, workers=args.jobs,
                   progress=print_progress)
    for name, problems in sorted(result.rejected.items()):
        print(format_text(Verdict(name, name, tuple(problems), None)), file=sys.stderr)
    print(f"built {len(result.records)} meetings, {result.written} files in {args.out}"
          f" ({len(result.rejected)} rejected, {len(result.warnings)} with warnings)")
    return EXIT_OK if not result.rejected else EXIT_INVALID


def _demo(args) -> int:
    from .local.demo import run_demo
    return run_demo(args.out)


def _serve(args) -> int:
    import functools
    import http.server
    if not (args.site / "index.html").exists():
        print(f"minutes serve: {args.site} has no index.html; run minutes build first", file=sys.stderr)
        return EXIT_USAGE
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(args.site))
    with http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler) as server:
        print(f"serving {args.site} at http://127.0.0.1:{args.port}/ (Ctrl-C stops)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
