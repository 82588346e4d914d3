"""The `minutes` command: check, build, demo, serve, subscribers, doctor."""
from __future__ import annotations

import argparse
import functools
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def _talks_to_aws(name: str, *, refused: int = EXIT_USAGE, hint: str = ""):
    """Every command that calls AWS says what AWS (or the stack lookup) refused, in one line and
    with an exit code, never a traceback."""
    def wrap(run):
        @functools.wraps(run)
        def guarded(args) -> int:
            from .aws.clients import errors as aws_errors
            from .problems import ConfigError
            try:
                return run(args)
            except ConfigError as problem:
                print(f"{name}: {problem}", file=sys.stderr)
                return EXIT_USAGE
            except aws_errors() as problem:
                print(f"{name}: AWS said: {problem}{hint}", file=sys.stderr)
                return refused
        return guarded
    return wrap


def _file_arguments_problem(name: str, args) -> str | None:
    """What is wrong with FILE arguments and --key, shared by check and upload."""
    unreachable = [f"{_q(p)} ({failed.strerror})" for p in args.files if (failed := _unreachable(p))]
    if unreachable:   # a folder on its path can be listed, not entered (chmod 644): no traceback
        return (f"{name}: cannot look at {', '.join(unreachable)}: give yourself permission to "
                "enter each folder on its path (chmod u+x), or move it elsewhere")
    if args.key and (len(args.files) != 1 or args.files[0].is_dir()):
        return f"{name}: --key needs exactly one FILE (not a folder)"
    missing = [_q(p) for p in args.files if not p.exists()]
    if missing:
        return f"{name}: no such file: {', '.join(missing)}"
    return None


def _q(path) -> str:
    """A path as printed: one line, as git prints it (quoting.one_line; decision 118)."""
    from .quoting import one_line
    return one_line(str(path))


def _unreachable(path: Path) -> OSError | None:
    """What the system said when asked about `path` (os.stat), if it refused; one that is not
    there is `missing`."""
    try:
        path.exists()
    except OSError as failed:
        return failed
    return None


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < 3600:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds between 0 and 3600")
    return value


def main(argv: list[str] | None = None) -> int:
    program = argv is None   # run as the `minutes` command, not called with arguments
    argv = sys.argv[1:] if argv is None else argv
    for stream in (sys.stdout, sys.stderr):
        # A file name not in UTF-8 (its bytes lone surrogates) is printed escaped, not a
        # crash; stdout is strict under a UTF-8 locale such as en_US.UTF-8.
        if callable(getattr(stream, "reconfigure", None)):
            stream.reconfigure(errors="backslashreplace")
    if not program:
        return _run(argv, program, [])
    from .interrupts import note_ctrl_c   # Ctrl-C noted as well as raised: native code may
    note_ctrl_c()                         # swallow its exception
    running: list = []   # the command's arguments while it runs (a Ctrl-C then stopped it midway)
    try:   # all of it: a Ctrl-C while the parser is made printed a traceback
        return _run(argv, program, running)
    except BrokenPipeError:
        _reader_gone()
    except KeyboardInterrupt as stopped:
        _stopped_by_ctrl_c(running[0] if running else None,
                           argv[0] if argv and argv[0] in _COMMANDS else "",
                           getattr(stopped, "signum", None))


def _run(argv: list[str], program: bool, running: list) -> int:
    parser = _parser(argv[0] if argv and argv[0] in _COMMANDS else None)
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return EXIT_USAGE
    if program and args.run is _build:   # SIGTERM, SIGHUP: cleaned up after as Ctrl-C is
        from .interrupts import stop_on_termination
        stop_on_termination()
    running.append(args)
    code = args.run(args)
    running.clear()
    if program:
        sys.stdout.flush()
    if program and args.run is _build:
        _end_now(code)
    return code


def _reader_gone() -> None:
    """The reader of this command's output went away (`minutes check | head -1`): end as a Unix
    tool does, killed by SIGPIPE, with nothing more printed (Python ignores SIGPIPE and raises
    BrokenPipeError instead, and would print a traceback, then another when it flushes stdout
    at exit). Standard output and error are pointed at /dev/null first: nothing is left to
    write to the closed pipe."""
    import signal
    null = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        try:
            os.dup2(null, stream.fileno())
        except (OSError, ValueError):   # not a real file (a test's capture)
            pass
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGPIPE)


def _stopped_by_ctrl_c(args, command: str, signum: int | None = None) -> None:
    """Ctrl-C (or `signum`, SIGTERM or SIGHUP: interrupts.Stopped): one line saying what was
    stopped and what to do, not a traceback through whatever the command was running; then the
    process ends killed by that signal, as the shell and make expect of an interrupted command
    (exit status 130 for SIGINT). A build remembers what it may have left half-written
    (decision 80), so running it again is the whole fix. `args` None: the command was not
    running (its arguments still being read, or it had finished)."""
    import signal
    signum = signum or signal.SIGINT
    by = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
    command = f"minutes {command}" if command else "minutes"
    if args is not None and args.run is _build:
        what = (f"stopped by {by}; {args.out} may hold a mix of old and new files until the "
                "next build: run `minutes build` again to finish it")
    else:
        what = f"stopped by {by}"
    try:
        fresh_line = "\n" if sys.stderr.isatty() else ""   # after a progress bar's \r
        print(f"{fresh_line}{command}: {what}", file=sys.stderr, flush=True)
    except OSError:   # no terminal left to say it on (SIGHUP: it was closed)
        pass
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    os._exit(128 + signum)   # not reached unless the signal is blocked


def _end_now(code: int):
    """End the process without taking the interpreter down object by object: a build leaves
    tens of MiB of objects (records, memos, frozen imports) whose freeing took 14-28 ms of a
    cold build's ~2 s, and a one-shot rebuild's share is larger; the kernel takes the pages
    back at once (4 ms). What the command printed is flushed first; nothing else is pending
    (the build has saved its cache and stopped its workers)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line; with `command`, only that command's parser is made: the other nine
    cost a one-shot `minutes build` ~5 ms of CPU (argparse asks gettext, which looks for a
    translation file, for each of their help texts)."""
    parser = argparse.ArgumentParser(prog="minutes", description="Publish meeting minutes.")
    sub = parser.add_subparsers(metavar="COMMAND")
    for name, add in _COMMANDS.items():
        if command in (None, name):
            add(sub)
    return parser


def _add_check(sub) -> None:
    check = sub.add_parser("check", help="check minutes files before uploading them")
    check.add_argument("files", nargs="+", type=Path, metavar="FILE",
                       help="a minutes file, or a folder: every meeting in it")
    check.add_argument("--key", help="the bucket key to check FILE as (one FILE only); by "
                       "default the key comes from the path (.../minutes/<group>/...), else "
                       "minutes/<folder>/<file>")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--verbose", "-v", action="store_true",
                       help="also show infos: things noticed that need no fixing (an empty "
                       "section, a tag-like word shown as text, an unused front-matter key)")
    check.add_argument("--max-bytes", type=int, default=1024 * 1024,
                       help="the size limit the bucket enforces (default: 1 MiB)")
    check.add_argument("--jobs", type=int, default=None,
                       help="processes (default: one per core; one below 16 meetings)")
    check.set_defaults(run=_check)


def _add_upload(sub) -> None:
    upload = sub.add_parser("upload", help="check, upload and wait for the verdict",
                            description="Check the files as publish would (nothing invalid is "
                            "uploaded), upload them to MinutesBucket, wait for each verdict "
                            "(reports/<key>.json) and print it. Exit codes as for check.")
    upload.add_argument("files", nargs="+", type=Path, metavar="FILE",
                        help="a minutes file, or a folder: every meeting in it")
    upload.add_argument("--key", help="the bucket key for FILE (one FILE only); by default as "
                        "`minutes check` derives it")
    _bucket_options(upload)
    upload.set_defaults(run=_upload)


def _add_sync(sub) -> None:
    sync = sub.add_parser("sync", help="mirror a folder of minutes into the bucket",
                          description="Upload what changed (MD5 against the object's ETag) in "
                          "DIR, laid out like the bucket's minutes/ (<group>/<date>-<topic>.md); "
                          "check first; wait for the verdicts; print a summary.")
    sync.add_argument("dir", type=Path, metavar="DIR")
    sync.add_argument("--delete", action="store_true",
                      help="also delete bucket keys under minutes/ that DIR no longer has")
    _bucket_options(sync)
    sync.set_defaults(run=_sync)


def _add_build(sub) -> None:
    build = sub.add_parser("build", help="render a folder of minutes to a static site")
    build.add_argument("src", type=Path, metavar="SRC", help="folder laid out like minutes/: <group>/<date>-<slug>.md")
    build.add_argument("--out", type=Path, required=True, metavar="SITE")
    build.add_argument("--base-url", default="http://localhost:8000")
    build.add_argument("--jobs", type=int, default=None,
                       help="processes (default: one when fewer than 50 meetings are to be "
                            "assembled, as in most rebuilds, else one per core)")
    build.add_argument("--subscribe-url", default=None, metavar="URL",
                       help="the subscriptions API (SUBSCRIPTIONS_URL), to show the subscribe form "
                            "exactly as the deployed site does")
    build.add_argument("--cache-dir", type=Path, default=None, metavar="DIR",
                       help="what a rebuild reuses, keyed by content hash (default: "
                       "$XDG_CACHE_HOME/minutes/build-<hash of SITE>; safe to delete)")
    build.add_argument("--no-cache", action="store_true", help="build everything from scratch")
    build.add_argument("--watch", action="store_true",
                       help="stay running: build again whenever a file under SRC changes (Ctrl-C stops)")
    build.add_argument("--interval", type=_positive_seconds, default=0.5, metavar="SECONDS",
                       help="with --watch: how often SRC is checked for changes (default 0.5)")
    build.set_defaults(run=_build)


def _add_demo(sub) -> None:
    demo = sub.add_parser("demo", help="run the whole pipeline on AWS emulated in-process")
    demo.add_argument("--out", type=Path, default=Path("demo"))
    demo.set_defaults(run=_demo)


def _add_serve(sub) -> None:
    serve = sub.add_parser("serve", help="preview a built site on localhost")
    serve.add_argument("site", type=Path, metavar="SITE")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(run=_serve)


def _add_reindex(sub) -> None:
    reindex = sub.add_parser(
        "reindex", help="rebuild the deployed site and its listings from the Meetings table",
        description="Rebuild ListingsTable and every site file from MeetingsTable (AWS credentials "
                    "needed). Run it once after deploying a version that adds ListingsTable onto "
                    "existing meetings, while no uploads are being published; it reads the whole "
                    "archive, a publish never does.")
    reindex.add_argument("--stack", default="minutes-pipeline",
                         help="read table, bucket and site URL from this stack's outputs (default: %(default)s)")
    reindex.add_argument("--region", help="AWS region (default: your AWS configuration's)")
    reindex.set_defaults(run=_reindex)


def _add_subscribers(sub) -> None:
    subscribers = sub.add_parser("subscribers", help="list, add, import, remove or export subscribers",
                                 description="Manage the deployed Subscribers table (AWS credentials needed).")
    where = subscribers.add_mutually_exclusive_group()
    where.add_argument("--table", help="the Subscribers table's name")
    where.add_argument("--stack", default="minutes-pipeline",
                       help="read the table name from this stack's outputs (default: %(default)s)")
    subscribers.add_argument("--region", help="AWS region (default: your AWS configuration's)")
    action = subscribers.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = action.add_parser("list", help="one line per (address, group)")
    listing.add_argument("--group")
    listing.add_argument("--status", choices=("pending", "confirmed", "unsubscribed", "suppressed"))
    for name, text in (("add", "add an address, confirmed (it opted in elsewhere)"),
                       ("import", "add every row of a CSV file (email[,groups[,mode]]), confirmed")):
        adding = action.add_parser(name, help=text)
        adding.add_argument("source", metavar="EMAIL" if name == "add" else "CSV")
        adding.add_argument("--group", action="append", dest="groups", metavar="GROUP",
                            help="a group (repeat for more; default: every group)")
        adding.add_argument("--mode", choices=("each", "digest"), default="each")
        if name == "import":
            adding.add_argument("--dry-run", action="store_true", help="check the file, change nothing")
    removing = action.add_parser("remove", help="delete an address (or one group of it)")
    removing.add_argument("source", metavar="EMAIL")
    removing.add_argument("--group")
    exporting = action.add_parser("export", help="every subscription as CSV")
    exporting.add_argument("--out", type=Path, help="file to write (default: standard output)")
    subscribers.set_defaults(run=_subscribers)


def _add_doctor(sub) -> None:
    doctor = sub.add_parser("doctor", help="check a deployed stack and say what to fix",
                            description="Check a deployed stack: SES identity and sandbox, send quota, "
                                        "topic subscribers, buckets, the CloudFront distribution, alarms. "
                                        "Exit 0: ready; 1: something to fix; 2: could not check.")
    doctor.add_argument("--stack", required=True, help="the CloudFormation stack name (sam deploy's)")
    doctor.add_argument("--region", help="the stack's region (default: the AWS configuration's)")
    doctor.add_argument("--strict", action="store_true", help="warnings count as something to fix (exit 1)")
    doctor.add_argument("--format", choices=("text", "json"), default="text")
    doctor.set_defaults(run=_doctor)


def _add_dlq(sub) -> None:
    dlq = sub.add_parser("dlq", help="list or replay the dead-letter queues",
                         description="What failed for good (every dead-letter queue and failure "
                         "destination of the stack), and replay it: a queue message goes back "
                         "to its queue, a failed invocation is invoked again. Replaying is safe: "
                         "every function is idempotent.")
    dlq.add_argument("action", choices=("list", "replay"))
    queues = dlq.add_mutually_exclusive_group()
    queues.add_argument("--queue", action="append", dest="queues", metavar="URL",
                        help="a dead-letter queue's URL (repeat for more)")
    queues.add_argument("--stack", default="minutes-pipeline",
                        help="every dead-letter queue of this stack (default: %(default)s)")
    dlq.add_argument("--region", help="AWS region (default: your AWS configuration's)")
    dlq.add_argument("--limit", type=int, default=None, help="at most this many messages per queue")
    dlq.set_defaults(run=_dlq)


_COMMANDS = {"check": _add_check, "upload": _add_upload, "sync": _add_sync, "build": _add_build,
             "demo": _add_demo, "serve": _add_serve, "reindex": _add_reindex,
             "subscribers": _add_subscribers, "doctor": _add_doctor, "dlq": _add_dlq}


def _check(args) -> int:
    from .check import check_paths, format_json, format_text
    problem = _file_arguments_problem("minutes check", args)
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_USAGE
    if args.max_bytes <= 0:
        print("minutes check: --max-bytes must be positive", file=sys.stderr)
        return EXIT_USAGE
    if args.jobs is not None and args.jobs < 1:
        print("minutes check: --jobs must be 1 or more", file=sys.stderr)
        return EXIT_USAGE
    from .problems import MinutesError
    empty: list[Path] = []
    try:
        verdicts = check_paths(args.files, key=args.key, max_bytes=args.max_bytes,
                               workers=args.jobs, empty=empty)
    except MinutesError as problem:   # a worker process died (no traceback)
        print(f"minutes check: {problem}", file=sys.stderr)
        return EXIT_USAGE
    for folder in empty:   # not an error: `minutes build` of it is a site with no meetings
        print(_nothing_in("minutes check", "check", folder), file=sys.stderr)
    if args.format == "json":
        print(format_json(verdicts, args.verbose))
    else:
        for verdict in verdicts:
            print(format_text(verdict, args.verbose))
    return EXIT_OK if all(v.valid for v in verdicts) else EXIT_INVALID


def _nothing_in(name: str, verb: str, folder: Path) -> str:
    """What check and upload say of a folder holding nothing they read: not an error, as
    `minutes build` of it is a site with no meetings (decisions 108, 118)."""
    from .quoting import one_line
    return (f"{name}: nothing to {verb} in {one_line(str(folder))}: no .md file, group.yaml or "
            "meeting folder under it (the wrong folder?)")


def _bucket_options(parser) -> None:
    parser.add_argument("--bucket", required=True, help="MinutesBucket's name (a stack output)")
    parser.add_argument("--region", help="AWS region (default: your AWS configuration's)")
    parser.add_argument("--wait", type=float, default=300, metavar="SECONDS",
                        help="how long to wait for the verdicts (default: %(default)s; 0: not at all)")


def scribe_bucket(args):
    """The bucket the scribe's tools write to (tests replace this with the emulated one)."""
    from .aws.clients import in_region
    from .aws.s3 import ScribeBucket
    return ScribeBucket(in_region("s3", args.region), args.bucket)


def _upload(args) -> int:
    from .services.upload import LocalScan, scan_paths
    problem = _file_arguments_problem("minutes upload", args)
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_USAGE
    scan = LocalScan({args.key: args.files[0]}) if args.key else scan_paths(args.files)
    for folder in scan.empty:
        print(_nothing_in("minutes upload", "upload", folder), file=sys.stderr)
    if not scan.files and not scan.refused and not scan.named:   # only such folders were given
        return EXIT_OK   # nothing sent, so no bucket asked, as check of them asks nothing
    return _run_scribe_tool("minutes upload", args,
                            lambda up: up.upload(scan.files, scan.refused, scan.named))


def _sync(args) -> int:
    if not args.dir.is_dir():
        print(f"minutes sync: {_q(args.dir)} is not a folder", file=sys.stderr)
        return EXIT_USAGE
    return _run_scribe_tool("minutes sync", args,
                            lambda up: up.sync(args.dir, delete=args.delete), summary=True)


def _run_scribe_tool(name: str, args, work, *, summary: bool = False) -> int:
    from .aws.clients import errors as aws_errors
    from .check import format_text
    from .quoting import one_line as q
    from .services.upload import Uploader, unanswered
    if args.wait < 0:
        print(f"{name}: --wait must be 0 or more", file=sys.stderr)
        return EXIT_USAGE
    try:
        outcome = work(Uploader(scribe_bucket(args), wait_seconds=args.wait))
    except aws_errors() as problem:
        print(f"{name}: {problem}", file=sys.stderr)
        return EXIT_INVALID
    for verdict in outcome.rejected_locally:
        print(format_text(verdict))
        print(f"{q(verdict.file)}: not uploaded")
    for path, why in outcome.held_back:   # publish would not publish it (decision 93)
        print(f"{q(str(path))}:1:1: {why.severity.value} {why.code}: {why.message}\n    hint: {why.hint}")
        print(f"{q(str(path))}: not uploaded")
        if any(sent.key == why.file and sent.removed for sent in outcome.sent):   # decision 100
            print(f"{q(why.file)}: its older copy is deleted from the bucket (--delete), so the "
                  "site leaves the file out, as `minutes build` of this folder does")
        elif why.file in outcome.outdated:
            print(f"{q(why.file)}: an older copy is in the bucket, and published, while `minutes "
                  "build` of this folder leaves the file out: kept, as sync deletes nothing "
                  "without --delete (run `minutes sync --delete` to remove it from the site)")
    for sent in outcome.sent:
        if sent.verdict is not None:
            print(sent.verdict.text())
        elif args.wait and sent in outcome.waiting:
            print(f"{q(sent.key)}: {'deleted' if sent.removed else 'uploaded'}, no verdict within "
                  f"{args.wait:g} s (see s3://{args.bucket}/reports/{sent.key}.txt)\n")
        elif sent in outcome.waiting:
            print(f"{q(sent.key)}: {'deleted' if sent.removed else 'uploaded'}")
        elif unanswered(sent.key):   # publish writes no verdict on it: none awaited
            print(f"{q(sent.key)}: {'deleted' if sent.removed else 'uploaded'} (part of no "
                  "meeting, published nowhere: no verdict to wait for)")
    if summary or outcome.waiting:
        print(outcome.summary())
    if not args.wait:
        return EXIT_INVALID if outcome.rejected_locally else EXIT_OK
    return EXIT_OK if outcome.ok else EXIT_INVALID


def _build(args) -> int:
    _hashlib_without_openssl()
    from .build import build, default_cache_dir, print_progress, settle_heap
    settle_heap()
    if not args.src.is_dir():
        print(f"minutes build: {_q(args.src)} is not a folder", file=sys.stderr)
        return EXIT_USAGE
    if args.watch and args.no_cache:
        print("minutes build: --watch rebuilds from its cache folder; leave out --no-cache", file=sys.stderr)
        return EXIT_USAGE
    from .problems import MinutesError
    cache = None if args.no_cache else (args.cache_dir or default_cache_dir(args.out))
    options = dict(site_url=args.base_url, workers=args.jobs, subscribe_url=args.subscribe_url,
                   cache_dir=cache)
    if args.watch:
        from .build import inside_src
        problem = inside_src(args.src, args.out, cache)
        if problem:   # refused once, not by each build the watch would start
            print(f"minutes build: {problem}", file=sys.stderr)
            return EXIT_USAGE
        return _watch(args, options)
    try:
        result = build(args.src, args.out, progress=print_progress, **options)
    except MinutesError as problem:   # the site folder cannot take the site (no traceback)
        print(f"minutes build: {problem}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as failed:   # SRC, SITE or the cache folder refused (permissions, space)
        from .build import os_problem
        print(f"minutes build: {os_problem(failed)}", file=sys.stderr)
        return EXIT_USAGE
    _print_build(result, args.out)
    return EXIT_OK if not result.rejected else EXIT_INVALID


def _hashlib_without_openssl() -> None:
    """hashlib, imported by this process from here on, takes Python's own digests (_sha256,
    _blake2, ...), not OpenSSL's: a build's digests are BLAKE2b (minutes.hashes), its sha256
    only of a few short texts, and OpenSSL's libcrypto, once loaded, was 3.4 MiB of the build's
    resident memory, ~2 ms of its start (decision 82). None in sys.modules makes `import
    _hashlib` fail as on a Python built without OpenSSL (hashlib and hmac fall back). Nothing
    changes where hashlib is imported already (a caller's process, the tests)."""
    if "hashlib" not in sys.modules:
        sys.modules.setdefault("_hashlib", None)


def _print_build(result, out: Path, took: str = "") -> None:
    if result.rejected:
        from .check import format_text, Verdict
    for name, problems in sorted(result.rejected.items()):
        print(format_text(Verdict(name, name, tuple(problems), None)), file=sys.stderr)
    print(f"built {len(result.records)} meetings ({result.reused} unchanged), {result.files} files"
          f" ({result.written} written) in {_q(out)}{took}"
          f" ({len(result.rejected)} rejected, {len(result.warnings)} with warnings)", flush=True)


def _watch(args, options: dict) -> int:
    from .problems import MinutesError
    from .watch import watch

    def report(outcome, seconds: float) -> None:
        if isinstance(outcome, MinutesError):
            print(f"minutes build: {outcome}", file=sys.stderr, flush=True)
        else:
            _print_build(outcome, args.out, f" in {seconds:.2f} s")

    running = [False]   # whether a build is running (a Ctrl-C then may leave a mix)

    def building(now: bool) -> None:
        running[0] = now

    print(f"watching {_q(args.src)} (every {args.interval:g} s; Ctrl-C stops)", flush=True)
    try:
        watch(args.src, args.out, report=report, interval=args.interval, building=building,
              **options)
    except KeyboardInterrupt:
        if running[0]:   # as a one-shot build stopped: the note, and death by SIGINT (main)
            raise
    return EXIT_OK   # stopped between builds: the site is the last build's, whole


def _demo(args) -> int:
    from .local.demo import run_demo
    return run_demo(args.out)


def _serve(args) -> int:
    from .preview import make_server, url_of
    if not (args.site / "index.html").exists():
        print(f"minutes serve: {_q(args.site)} has no index.html; run minutes build first", file=sys.stderr)
        return EXIT_USAGE
    try:
        server = make_server(args.site, port=args.port)
    except OSError as problem:
        print(f"minutes serve: cannot listen on port {args.port} ({problem.strerror}); "
              "try --port with another number", file=sys.stderr)
        return EXIT_USAGE
    with server:
        print(f"serving {_q(args.site)} at {url_of(server)} (Ctrl-C stops)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return EXIT_OK



@_talks_to_aws("minutes reindex")
def _reindex(args) -> int:
    from .aws import stack
    from .aws.clients import in_region
    from .aws.dynamo import MeetingsTable
    from .aws.listings import ListingsTable
    from .aws.s3 import SiteStore
    from .pages import PageRenderer, SiteConfig
    from .services.index import Indexer
    names = {key: stack.output(args.stack, key, region=args.region) for key in
             ("MeetingsTableName", "ListingsTableName", "SiteBucketName", "SiteUrl",
              "SubscriptionsBaseUrl")}
    indexer = Indexer(meetings=MeetingsTable(stack.table(names["MeetingsTableName"], region=args.region)),
                      listings=ListingsTable(stack.table(names["ListingsTableName"], region=args.region)),
                      site=SiteStore(in_region("s3", args.region), names["SiteBucketName"]),
                      renderer=PageRenderer(SiteConfig(site_url=names["SiteUrl"],
                                                       subscribe_url=names["SubscriptionsBaseUrl"])))
    result = indexer.rebuild()
    print(f"reindexed: {result.written} files written, {result.unchanged} unchanged, "
          f"{result.deleted} stale listing files deleted")
    return EXIT_OK


@_talks_to_aws("minutes subscribers")
def _subscribers(args) -> int:
    """`minutes subscribers ACTION`: the operator's list, against the real table."""
    from .aws import stack
    from .aws.dynamo import SubscribersTable
    from .services.roster import Roster
    from .subscriptions import EVERY_GROUP, InvalidInput, choose_groups, normalise_email, read_import_csv
    name = "minutes subscribers"
    try:
        table_name = args.table or stack.output(args.stack, "SubscribersTableName", region=args.region)
        roster = Roster(SubscribersTable(stack.table(table_name, region=args.region)))
        groups = choose_groups(getattr(args, "groups", None) or [EVERY_GROUP])
        if args.action == "list":
            for item in roster.entries(group=args.group, status=args.status):
                print(f"{item['email']}\t{item['group']}\t{item.get('status', '')}\t{item.get('mode', 'each')}")
            return EXIT_OK
        if args.action == "export":
            if args.out:
                with open(args.out, "w", newline="", encoding="utf-8") as out:
                    count = roster.export(out)
                print(f"exported {count} subscriptions to {args.out}", file=sys.stderr)
            else:
                roster.export(sys.stdout)
            return EXIT_OK
        if args.action == "remove":
            removed = roster.remove(normalise_email(args.source), group=args.group)
            print(f"removed {removed} item(s) of {args.source}" if removed else f"{name}: {args.source} is not on the list",
                  file=sys.stdout if removed else sys.stderr)
            return EXIT_OK if removed else EXIT_INVALID
        if args.action == "add":
            text, label = f"{args.source},{' '.join(groups)},{args.mode}", "the address"
        else:
            text, label = Path(args.source).read_text(encoding="utf-8-sig"), args.source
        found = read_import_csv(text, groups=groups, mode=args.mode)
        for problem in found.bad:
            where = f"{label}:{problem.line}: " if args.action == "import" else ""
            print(f"{name}: {where}{problem.text!r}: {problem.message}", file=sys.stderr)
        ignored = f", ignored {found.ignored} rows not confirmed" if found.ignored else ""
        if args.action == "import" and args.dry_run:
            print(f"{len(found.rows)} addresses would be added, {len(found.bad)} bad rows{ignored}")
            return EXIT_INVALID if found.bad else EXIT_OK
        result = roster.add(found.rows)
        for email in result.suppressed:
            print(f"{name}: {email} is suppressed (bounced or complained); not added", file=sys.stderr)
        print(f"added {len(result.added)}, skipped {len(result.suppressed)} suppressed, "
              f"{len(found.bad)} bad rows{ignored}")
        return EXIT_INVALID if found.bad or result.suppressed else EXIT_OK
    except InvalidInput as problem:
        print(f"{name}: {problem.message}", file=sys.stderr)
        return EXIT_INVALID
    except OSError as problem:
        print(f"{name}: {problem}", file=sys.stderr)
        return EXIT_USAGE


# doctor's "cannot check" exit (2) is the same number as every command's usage exit.
@_talks_to_aws("minutes doctor", hint=" (credentials for the stack's account and region?)")
def _doctor(args) -> int:
    import json
    from .aws.doctor import StackInspector
    from .doctor import diagnose, exit_code, format_text
    facts = StackInspector(region=args.region).gather(args.stack)
    findings = diagnose(facts)
    if args.format == "json":
        print(json.dumps([{"code": f.code, "level": f.level.value, "message": f.message, "fix": f.fix}
                          for f in findings], indent=2))
    else:
        print(format_text(findings))
    return exit_code(findings, strict=args.strict)

@_talks_to_aws("minutes dlq")
def _dlq(args) -> int:
    """`minutes dlq list|replay`: what failed for good, and send it round again."""
    import json

    from .aws.clients import in_region
    from .aws import stack
    from .aws.deadletters import DeadLetterQueues

    def invoke(function_arn: str, payload: dict) -> None:
        in_region("lambda", args.region).invoke(
            FunctionName=function_arn, InvocationType="Event", Payload=json.dumps(payload).encode())

    try:
        urls = args.queues or stack.dead_letter_queues(args.stack, region=args.region)
        queues = DeadLetterQueues(in_region("sqs", args.region), invoke=invoke)
        total = 0
        for url in urls:
            name = url.rsplit("/", 1)[-1]
            if args.action == "list":
                depth = queues.depth(url)
                total += depth
                print(f"{name}: {depth} message(s)")
                for letter in queues.peek(url, limit=args.limit or 100):
                    print(f"  {letter.message_id}  {letter.about()}\n    {letter.reason()}")
            else:
                replayed = queues.replay(url, limit=args.limit)
                total += len(replayed)
                print(f"{name}: replayed {len(replayed)}")
        if args.action == "list":
            print(f"{total} message(s) in {len(urls)} queue(s)")
        return EXIT_OK
    except LookupError as problem:
        print(f"minutes dlq: {problem}", file=sys.stderr)
        return EXIT_INVALID


if __name__ == "__main__":
    sys.exit(main())
