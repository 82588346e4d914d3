"""Screenshots for the README: the demo's archive and a meeting page, light and dark, and a
meeting email from the demo's outbox.

    python scripts/screenshots.py [--site demo/site] [--out docs/screenshots]

Runs `minutes demo` first when the site folder does not exist, serves the site with
`minutes serve`'s server, and captures the top of each page in headless Chromium (the same
driver as tests/browser). Each PNG must stay under --max-kb.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from minutes.preview import make_server, url_of  # noqa: E402
from tests.browser.chromium import Chromium  # noqa: E402

PAGES = {"archive": "/", "meeting": "/openxla/2022-09-20-sig-openxla/"}


def _email_html(outbox: Path, site: Path) -> Path:
    """The HTML part of the first meeting email in the outbox, as a page the browser can show
    (what a mail client renders; the .eml itself stays untouched)."""
    import email
    from email import policy
    for path in sorted(outbox.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["List-Unsubscribe"]:
            page = site / "_email-preview.html"
            page.write_text(message.get_body(("html",)).get_content())
            return page
    raise SystemExit(f"no meeting email in {outbox}: run minutes demo first")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "demo" / "site")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--width", type=int, default=1100)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--max-kb", type=int, default=300)
    args = parser.parse_args(argv)
    if not (args.site / "index.html").exists():
        demo = args.site.parent
        print(f"no site in {args.site}: running minutes demo --out {demo}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "minutes.cli", "demo", "--out", str(demo)], check=True)
    args.out.mkdir(parents=True, exist_ok=True)
    server = make_server(args.site, port=0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    too_big = []
    try:
        with Chromium(width=args.width, height=args.height) as browser:
            for scheme in ("light", "dark"):
                browser.color_scheme(scheme)
                for name, path in PAGES.items():
                    browser.open(url_of(server, path))
                    target = args.out / f"{name}-{scheme}.png"
                    size = browser.screenshot(target)
                    print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}"
                          f"  {size // 1024} KB")
                    if size > args.max_kb * 1024:
                        too_big.append(target.name)
            browser.color_scheme("light")
            target = args.out / "email-meeting.png"
            email_page = _email_html(args.site.parent / "outbox", args.site)
            browser.open(url_of(server, "/" + email_page.name))
            size = browser.screenshot(target)
            email_page.unlink()
            print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}  {size // 1024} KB")
    finally:
        server.shutdown()
        server.server_close()
    if too_big:
        print(f"over {args.max_kb} KB: {', '.join(too_big)} (try a smaller --width/--height)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
