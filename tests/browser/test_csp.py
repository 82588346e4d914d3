"""Every page type under the Content-Security-Policy that CloudFront sends (read from
template.yaml, the one source of truth): headless Chromium reports no violation, the search
script still searches, and the policy is really enforced (an injected inline script is blocked)."""
from __future__ import annotations

import re
import threading
import urllib.request

import pytest

from minutes.preview import make_server, url_of
from tests.browser.test_chromium import MEETING, wait_for
from tests.support.edge import security_headers

# Installed before any page script runs; DevTools-injected code is exempt from the page's CSP.
_RECORDER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push({directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample,
                     source: e.sourceFile, line: e.lineNumber});
});
"""


@pytest.fixture(scope="module")
def headers() -> dict[str, str]:
    return security_headers()


@pytest.fixture(scope="module")
def csp_server(corpus_site, headers):
    server = make_server(corpus_site, port=0, quiet=True, headers=headers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield lambda path="/": url_of(server, path)
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture(scope="module")
def recording(browser):
    script = browser.call("Page.addScriptToEvaluateOnNewDocument", {"source": _RECORDER})["identifier"]
    yield browser
    browser.call("Page.removeScriptToEvaluateOnNewDocument", {"identifier": script})


def page_types(site) -> dict[str, str]:
    """One page of each kind the site has, found in the build (not a fixed list of samples)."""
    files = sorted("/" + p.relative_to(site).as_posix() for p in site.rglob("index.html"))

    def first(pattern: str) -> str:
        return next(f for f in files if re.fullmatch(pattern, f)).removesuffix("index.html")

    return {
        "archive": "/", "archive page": first(r"/page/\d+/index\.html"),
        "group": "/openxla/", "group page": first(r"/[^/]+/page/\d+/index\.html"),
        "year": first(r"/\d{4}/index\.html"), "group year": first(r"/[^/]+/\d{4}/index\.html"),
        "meeting with attachments": MEETING, "meeting": "/rust-lang/2021-03-02/",
        "search": "/search/?q=stablehlo", "404": "/404.html", "missing path": "/no/such/page/",
    }


def test_the_pages_are_served_with_the_templates_headers(csp_server, headers):
    with urllib.request.urlopen(csp_server("/")) as response:
        for name, value in headers.items():
            assert response.headers[name] == value, name


def test_no_page_type_violates_the_content_security_policy(recording, csp_server, corpus_site):
    violations = {}
    for kind, path in page_types(corpus_site).items():
        recording.open(csp_server(path))
        if kind == "search":
            # The search script ran (script-src) and fetched its index (connect-src).
            assert wait_for(recording, "document.querySelectorAll('.search-results .entry').length") >= 3
        recording.evaluate("new Promise(r => setTimeout(r, 100))")   # violation events are async
        found = recording.evaluate("window.__csp")
        assert found is not None, f"{kind}: the recorder did not run"
        if found:
            violations[f"{kind} {path}"] = found
        # The stylesheet applied (style-src 'self' lets the hashed asset through).
        assert recording.evaluate("getComputedStyle(document.body).maxWidth") == "736px", kind
    assert not violations, violations


def test_the_policy_is_enforced(recording, csp_server):
    """A check that cannot fail proves nothing: an inline script must be blocked and reported."""
    recording.open(csp_server("/"))
    recording.evaluate("""(() => { const s = document.createElement('script');
        s.textContent = 'window.__ran = true'; document.body.appendChild(s); })()""")
    found = wait_for(recording, "window.__csp.length && window.__csp")
    assert found[0]["directive"].startswith("script-src")
    assert recording.evaluate("window.__ran === undefined") is True


# ---------------------------------------------------------------- the API's pages, same domain


@pytest.fixture(scope="module")
def api_pages():
    """The subscription pages as the distribution serves them under /api: status, the origin's
    headers combined with the edge's, body."""
    import datetime as dt

    from moto import mock_aws

    from minutes import runtime
    from minutes.aws.emulated import LocalCloud
    from tests.conftest import fake_aws_environment
    from tests.support.aws import PARAMETERS, REPO, Harness
    from tests.support.edge import at_the_edge
    from tests.support.subscriptions import body_of, call, subscribers, token

    pages = {}
    with fake_aws_environment(), mock_aws():
        runtime.reset()
        harness = Harness(LocalCloud(REPO, parameters=PARAMETERS).create())
        subscribers(harness).add_confirmed("ada@example.org", ["openxla"], when=dt.datetime.now(dt.timezone.utc))
        requests = {
            "unsubscribe": ("GET", "/unsubscribe", {"query": {"token": token(harness, "unsubscribe", "ada@example.org")}}),
            "preferences": ("GET", "/preferences", {"query": {"token": token(harness, "unsubscribe", "ada@example.org")}}),
            "confirm": ("GET", "/confirm", {"query": {"token": token(harness, "confirm", "ada@example.org")}}),
            "bad link": ("GET", "/unsubscribe", {"query": {"token": "forged"}}),
            "subscribed": ("POST", "/subscriptions", {"form": {"email": "grace@example.org", "groups": "openxla"}}),
        }
        for kind, (method, path, options) in requests.items():
            response = call(harness.cloud, method, path, **options)
            pages[kind] = (response["statusCode"], at_the_edge(response.get("headers", {})),
                           body_of(response).encode())
        runtime.reset()
    assert {kind: status for kind, (status, _, _) in pages.items()} == {
        "unsubscribe": 200, "preferences": 200, "confirm": 200, "bad link": 400, "subscribed": 202}
    return pages


def test_the_subscription_pages_keep_their_own_policy_and_violate_nothing(recording, api_pages):
    import http.server

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            status, headers, body = api_pages[urllib.parse.unquote(self.path.strip("/"))]
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    import urllib.parse
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        violations = {}
        for kind, (status, headers, _) in api_pages.items():
            # The API's own policy wins (Override false); HSTS and nosniff come from the edge.
            assert "form-action" in headers["Content-Security-Policy"] and headers["X-Content-Type-Options"] == "nosniff"
            assert headers["Referrer-Policy"] == "no-referrer", kind
            recording.open(f"http://127.0.0.1:{server.server_address[1]}/{urllib.parse.quote(kind)}")
            assert recording.evaluate("document.querySelector('h1') !== null"), kind
            recording.evaluate("new Promise(r => setTimeout(r, 100))")
            found = recording.evaluate("window.__csp")
            assert found is not None, kind
            if found:
                violations[kind] = found
        assert not violations, violations
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
