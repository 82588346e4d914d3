"""Headless Chromium driven over the Chrome DevTools Protocol (websocket-client), no driver binary.

Used by the browser tests and by scripts/screenshots.py. Chromium is Debian's package
(`apt-get install chromium`, scripts/system-deps.sh), started with a throw-away profile.
"""
from __future__ import annotations

import base64
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import websocket

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio", "--remote-debugging-port=0")
HOW_TO_INSTALL = ("Chromium is needed for the browser tests: run `bash scripts/system-deps.sh` "
                  "(apt-get install -y chromium), or set CHROMIUM to a Chromium/Chrome binary.")


class BrowserError(RuntimeError):
    pass


def find_chromium() -> str | None:
    if os.environ.get("CHROMIUM"):
        return os.environ["CHROMIUM"]
    return next((path for name in BROWSER_NAMES if (path := shutil.which(name))), None)


class Chromium:
    """One headless browser with one page (tab). Use as a context manager."""

    def __init__(self, binary: str | None = None, *, width: int = 1280, height: int = 900,
                 timeout: float = 30):
        self.binary = binary or find_chromium()
        if not self.binary:
            raise BrowserError(HOW_TO_INSTALL)
        self.timeout = timeout
        self.size = (width, height)
        self._ids = itertools.count(1)
        self._events: list[dict] = []
        self._profile = tempfile.mkdtemp(prefix="minutes-chromium-")
        self._process: subprocess.Popen | None = None
        self._socket: websocket.WebSocket | None = None
        self._session: str | None = None

    def __enter__(self) -> "Chromium":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        self._process = subprocess.Popen(
            [self.binary, *FLAGS, f"--user-data-dir={self._profile}",
             f"--window-size={self.size[0]},{self.size[1]}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        url = self._devtools_url()
        # suppress_origin: Chromium refuses DevTools connections that carry a foreign Origin.
        self._socket = websocket.create_connection(url, timeout=self.timeout, suppress_origin=True)
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self._session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime"):
            self.call(f"{domain}.enable")
        self.call("Emulation.setDeviceMetricsOverride", {"width": self.size[0], "height": self.size[1],
                                                        "deviceScaleFactor": 1, "mobile": False})

    def _devtools_url(self) -> str:
        deadline = time.monotonic() + self.timeout
        seen = []
        while time.monotonic() < deadline:
            line = self._process.stderr.readline()
            if not line and self._process.poll() is not None:
                break
            seen.append(line)
            match = re.search(r"DevTools listening on (ws://\S+)", line)
            if match:
                return match.group(1)
        self.close()
        raise BrowserError(f"{self.binary} did not start:\n{''.join(seen[-20:])}")

    def close(self) -> None:
        if self._socket is not None:
            try:
                self.send("Browser.close")
            except Exception:
                pass
            self._socket.close()
            self._socket = None
        if self._process is not None:
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)
            self._process.stderr.close()
            self._process = None
        shutil.rmtree(self._profile, ignore_errors=True)

    # -- protocol ------------------------------------------------------------------------

    def send(self, method: str, params: dict | None = None, *, session: str | None = None) -> dict:
        """Send one command and return its result; events that arrive meanwhile are kept."""
        message_id = next(self._ids)
        message = {"id": message_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._socket.send(json.dumps(message))
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            reply = json.loads(self._socket.recv())
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            if "method" in reply:
                self._events.append(reply)
        raise BrowserError(f"{method}: no answer in {self.timeout} s")

    def call(self, method: str, params: dict | None = None) -> dict:
        """A command to the page."""
        return self.send(method, params, session=self._session)

    def wait_for(self, event: str) -> dict:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            for i, item in enumerate(self._events):
                if item.get("method") == event:
                    return self._events.pop(i)
            self._socket.settimeout(max(deadline - time.monotonic(), 0.1))
            try:
                message = json.loads(self._socket.recv())
            except websocket.WebSocketTimeoutException:
                break
            finally:
                self._socket.settimeout(self.timeout)
            if "method" in message:
                self._events.append(message)
        raise BrowserError(f"no {event} in {self.timeout} s")

    # -- what the tests do ---------------------------------------------------------------

    def open(self, url: str) -> None:
        """Navigate and wait for the load event (stylesheets and deferred scripts done)."""
        self._events.clear()
        result = self.call("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise BrowserError(f"{url}: {result['errorText']}")
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str, *, wait: bool = True):
        """The value of a JavaScript expression (a promise is awaited)."""
        result = self.call("Runtime.evaluate", {"expression": expression, "awaitPromise": wait,
                                                "returnByValue": True})
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise BrowserError(f"JavaScript error: {text}")
        return result["result"].get("value")

    def color_scheme(self, scheme: str) -> None:
        """Emulate prefers-color-scheme: "light" or "dark"."""
        self.call("Emulation.setEmulatedMedia",
                  {"features": [{"name": "prefers-color-scheme", "value": scheme}]})

    def screenshot(self, path: Path) -> int:
        data = base64.b64decode(self.call("Page.captureScreenshot", {"format": "png"})["data"])
        Path(path).write_bytes(data)
        return len(data)
