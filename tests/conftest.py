"""Shared fixtures: the built site served on 127.0.0.1 and a Chromium page that records problems.

Browser tests (marker ``browser``) need ``make book`` to have built ``_build/html``; ``make test``
runs them after the build. Chromium is Debian's (``/usr/bin/chromium``), driven by
playwright-python; no browser is ever downloaded.
"""

from __future__ import annotations

import functools
import http.server
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from hypothesis import HealthCheck, settings

# Property tests draw the same examples on every run (a failure reproduces) and never fail for
# being slow on a loaded machine (no deadline, no "too slow" health check).
settings.register_profile(
    "reasonlab", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("reasonlab")

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def toc_pages() -> list[str]:
    """Every page listed in ``_toc.yml``, as paths relative to the repository (no suffix)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "file" in node:
                pages.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc.get("parts", []))
    walk(toc.get("chapters", []))
    return pages


def source_of(page: str) -> Path:
    """The source file (.md or .ipynb) of a toc entry."""
    for suffix in (".ipynb", ".md"):
        path = ROOT / f"{page}{suffix}"
        if path.exists():
            return path
    raise FileNotFoundError(f"_toc.yml lists {page!r} but no {page}.md or {page}.ipynb exists")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib name)
        pass


@pytest.fixture(scope="session")
def site_url() -> str:
    """Serve ``_build/html`` on an ephemeral port of 127.0.0.1 for the whole session."""
    if not (SITE / "index.html").exists():
        pytest.fail(f"{SITE}/index.html is missing: run `make book` before the browser tests")
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install chromium`)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class PageLog:
    """What went wrong while a page was open."""

    foreign: list[str] = field(default_factory=list)  # requests to any host but 127.0.0.1
    failed: list[str] = field(default_factory=list)  # requests that failed or got HTTP >= 400
    js_errors: list[str] = field(default_factory=list)  # uncaught exceptions and console errors

    def problems(self) -> list[str]:
        return (
            [f"request to another host: {u}" for u in self.foreign]
            + [f"failed request: {u}" for u in self.failed]
            + [f"JS error: {e}" for e in self.js_errors]
        )


@pytest.fixture
def page(browser, site_url):
    """A fresh page; ``page.log`` collects foreign requests, failures and JS errors.

    Requests to other hosts are aborted (the site must work offline) and recorded.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    log = PageLog()
    host = urlparse(site_url).netloc

    def route(route):
        url = route.request.url
        parsed = urlparse(url)
        if parsed.scheme in ("data", "blob", "about") or parsed.netloc == host:
            route.continue_()
        else:
            log.foreign.append(url)
            route.abort()

    pg.route("**/*", route)
    pg.on(
        "requestfailed",
        lambda r: r.url not in log.foreign and log.failed.append(f"{r.url} ({r.failure})"),
    )
    pg.on("response", lambda r: r.status >= 400 and log.failed.append(f"{r.url} (HTTP {r.status})"))
    pg.on("pageerror", lambda e: log.js_errors.append(str(e)))
    pg.on("console", lambda m: m.type == "error" and log.js_errors.append(m.text))
    pg.log = log
    yield pg
    context.close()
