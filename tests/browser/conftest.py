"""Browser tests: Playwright drives Debian's Chromium against Django's live server.

Each test gets a fresh browser context, saves a full-page screenshot of its final page (and
of a few pages on the way) to ``tests/artifacts/``, and can run axe-core on a page. See
docs/testing.md.

The live server needs ``transactional_db``: each of these tests ends by flushing the
database. pytest-django runs them after every test that uses the rolled-back database with
the session's seeds, so nothing after them depends on the seeds; each of them loads the
seeds again itself (``site``).
"""

import contextlib
import json
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urljoin

import pytest
from django.contrib.auth import get_user_model
from django.db import connections

from articles.permissions import ensure_editors_group
from articles.seeds import load_seeds

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # the runtime requirements alone do not install it
    sync_playwright = None

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEVICES = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    },
}
# Impacts that fail a test; the others are written to the artifacts for a person to read.
AXE_FAILING_IMPACTS = {"serious", "critical"}
EDITOR_PASSWORD = "browser-editor-pass-1"


def missing_tool() -> str:
    if sync_playwright is None:
        return "Playwright is not installed (pip install -r requirements-dev.txt)"
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).is_file()):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium; `make test` does it)"
    if not AXE_JS.is_file():
        return f"no {AXE_JS.relative_to(ROOT)} (npm ci; `make test` does it)"
    return ""


def pytest_collection_modifyitems(config, items):
    """Without the tools, skip loudly; under CI=true, run and fail: CI must run them."""
    reason = missing_tool()
    if not reason or os.environ.get("CI", "").lower() == "true":
        return
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.skip(reason=f"*** browser test SKIPPED: {reason} ***"))


@pytest.fixture
def site(live_server, transactional_db):
    """The live server, with the curated seeds and the Editors group in its database."""
    load_seeds()  # a no-op when the session's seeds are still there; ~20 s after a flush
    ensure_editors_group()
    return live_server


@pytest.fixture
def editor_account(site):
    user = get_user_model().objects.create_user(
        "browser-editor", password=EDITOR_PASSWORD, is_staff=True
    )
    user.groups.add(ensure_editors_group())
    return user


class Browsing:
    """One user's visit: a page on a device, its screenshots and accessibility results."""

    def __init__(self, browser, base_url: str, name: str, device: str):
        self.base_url = base_url
        self.name = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")
        # bypass_csp: axe is injected as a script, and a strict CSP will be added later.
        self.context = browser.new_context(
            base_url=base_url, bypass_csp=True, locale="en-US", **DEVICES[device]
        )
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.failed_responses = []
        self.page.on(
            "response",
            lambda response: (
                self.failed_responses.append(f"{response.status} {response.url}")
                if response.status >= 400 and "/favicon.ico" not in response.url
                else None
            ),
        )
        self.accessibility = {}

    def go(self, path: str):
        response = self.page.goto(urljoin(self.base_url, path))
        assert response.ok, (path, response.status)
        return response

    def path(self) -> str:
        return self.page.url.removeprefix(self.base_url)

    def screenshot(self, label: str = "") -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / (f"{self.name}-{label}.png" if label else f"{self.name}.png")
        self.page.screenshot(path=path, full_page=True)
        return path

    def assert_styled(self):
        """The stylesheet loaded: the live server serves static files."""
        expect(self.page.locator("body")).to_have_css("margin", "0px")
        expect(self.page.locator(".site-header")).to_have_css("display", "flex")

    def check_accessibility(self, label: str):
        """Run axe-core on the current page; fail on serious or critical violations."""
        self.page.add_script_tag(path=str(AXE_JS))
        violations = self.page.evaluate(
            """async () => {
              const results = await axe.run(document, {resultTypes: ["violations"]});
              return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target, html: n.html.slice(0, 300),
                                          summary: n.failureSummary}))
              }));
            }"""
        )
        self.accessibility[label] = {"url": self.path(), "violations": violations}
        failing = [v for v in violations if v["impact"] in AXE_FAILING_IMPACTS]
        assert not failing, f"axe on {label} ({self.path()}):\n" + "\n".join(
            f"- {v['impact']} {v['id']}: {v['help']} ({v['helpUrl']})\n"
            + "\n".join(f"    {node['target']}: {node['html']}" for node in v["nodes"][:5])
            for v in failing
        )

    def close(self):
        # The final page, also when the test failed (it reports its own error).
        with contextlib.suppress(PlaywrightError):
            self.screenshot()
        if self.accessibility:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS / f"{self.name}-axe.json").write_text(
                json.dumps(self.accessibility, indent=2, ensure_ascii=False)
            )
        self.context.close()


@pytest.fixture
def browse(site, request, monkeypatch):
    """``browse(device)``: a new visit on ``desktop`` or ``phone`` in headless Chromium; its
    final page is saved to tests/artifacts/<test name>.png whether the test passes or fails.

    Chromium starts at the first visit, after the test's fixtures wrote their records.
    Playwright's synchronous API then runs an event loop in this thread: Django refuses
    database calls under a running loop unless told that it is safe, as it is here (one
    thing runs at a time), and asgiref keeps the connections opened meanwhile apart from
    the thread's own, so they are closed before the loop stops (else PostgreSQL could not
    drop the test database)."""
    if reason := missing_tool():
        pytest.fail(reason)
    running = {}
    visits = []

    def open_visit(device: str = "desktop") -> Browsing:
        if not running:
            monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
            running["playwright"] = sync_playwright().start()
            running["browser"] = running["playwright"].chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_FLAGS
            )
        name = request.node.name if not visits else f"{request.node.name}-{len(visits) + 1}"
        visit = Browsing(running["browser"], site.url, name, device)
        visits.append(visit)
        return visit

    yield open_visit
    try:
        for visit in visits:
            visit.close()
        if running:
            running["browser"].close()
    finally:
        if running:
            connections.close_all()
            running["playwright"].stop()
