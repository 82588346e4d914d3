"""`minutes serve SITE`: a built site on localhost, served the way the site bucket serves it.

Directory URLs get their index.html, every file the Content-Type the bucket gives it
(site.content_type: feeds as RSS/Atom, calendars as text/calendar), and a missing path the
site's own 404.html with status 404. For previews only: it binds to 127.0.0.1.
"""
from __future__ import annotations

import functools
import http.server
import mimetypes
from pathlib import Path

from .site import content_type


class _Handler(http.server.SimpleHTTPRequestHandler):
    def guess_type(self, path) -> str:
        known = content_type(str(path))
        if known != "application/octet-stream":
            return known
        return mimetypes.guess_type(str(path))[0] or known

    def send_error(self, code, message=None, explain=None) -> None:
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", content_type("/404.html"))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def end_headers(self) -> None:
        # A preview shows the latest build: no stale pages after `minutes build` again.
        self.send_header("Cache-Control", "no-store")
        for name, value in getattr(self.server, "extra_headers", {}).items():
            self.send_header(name, value)
        super().end_headers()

    def log_message(self, format, *args) -> None:  # quieter than the default: path and status
        if not getattr(self.server, "quiet", False):
            super().log_message(format, *args)


def make_server(site: Path, *, port: int = 8000, host: str = "127.0.0.1",
                quiet: bool = False, headers: dict[str, str] | None = None) -> http.server.ThreadingHTTPServer:
    """A server for `site` (port 0: any free port; see server.server_address). `headers` go on
    every response, as the CloudFront response headers policy adds them (the CSP tests)."""
    handler = functools.partial(_Handler, directory=str(Path(site).resolve()))
    server = http.server.ThreadingHTTPServer((host, port), handler)
    server.quiet = quiet
    server.extra_headers = dict(headers or {})
    return server


def url_of(server: http.server.HTTPServer, path: str = "/") -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}/{path.lstrip('/')}"
