"""The console in a real browser (Debian's Chromium driven by Playwright): a supervisor's and an auditor's day, a
grid worker refused, and not one request leaving 127.0.0.1. Screenshots of every page are kept in the run's
output folder (`<basetemp>/.../console-screens/`) for a reviewer."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import openpyxl
import pytest

from tests.conftest import require_service
from tests.e2e.conftest import PASSWORD
from tests.e2e.console.conftest import ConsoleWorld

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.access(CHROMIUM, os.X_OK):
        require_service("Chromium", f"{CHROMIUM} is missing (apt-get install chromium; `make test` does it as root)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_service("Playwright", "the playwright package is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield launched
        launched.close()


class Session:
    """One browser context, every request it makes noted, and screenshots saved under a name."""

    def __init__(self, browser: Any, console: ConsoleWorld, screens: Path) -> None:
        self.context = browser.new_context(locale="zh-CN", accept_downloads=True, viewport={"width": 1280, "height": 900})
        self.requests: list[str] = []
        self.context.on("request", lambda request: self.requests.append(request.url))

        self.page = self.context.new_page()
        self.complaints: list[str] = []  # what the browser logged as an error: a CSP violation would be one
        self.page.on("console", lambda m: self.complaints.append(m.text) if m.type == "error" else None)
        self.base = console.base
        self.screens = screens

    def sign_in(self, username: str) -> None:
        self.page.goto(self.base + "/console/")
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("密码").fill(PASSWORD)
        self.page.get_by_role("button", name="登录").click()
        self.page.wait_for_load_state()

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(self.screens / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def screens(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("console-screens")


def only_loopback(requests: list[str], base: str, complaints: list[str] | None = None) -> None:
    """Every request went to the server under test, and the browser logged no error (no CSP violation either)."""
    assert complaints == [] or complaints is None, complaints
    assert requests, "the listener saw no requests"
    outside = [url for url in requests if urlsplit(url).hostname != "127.0.0.1" and not url.startswith("data:")]
    assert outside == [], f"requests left 127.0.0.1: {outside}"
    assert all(url.startswith(base) or url.startswith("data:") for url in requests)


def test_a_supervisor_follows_a_red_child_back_in_time_and_downloads_the_statistics(
    browser: Any, console: ConsoleWorld, screens: Path
) -> None:
    from playwright.sync_api import expect

    s = Session(browser, console, screens)
    s.sign_in("supervisor")
    page = s.page
    expect(page.get_by_role("heading", name="工作清单")).to_be_visible()
    red_list = page.locator("section[aria-labelledby=red]")
    expect(red_list.get_by_role("link", name="红儿")).to_be_visible()
    s.shot("01-worklist")

    red_list.get_by_role("link", name="红儿").click()
    expect(page.locator("section[aria-labelledby=status] .level")).to_have_text("红")
    photo = page.locator(".photos li").first
    expect(photo.locator(".tag.flag")).to_have_text("photo_time_mismatch")
    thumbnail = photo.locator("img")
    expect(thumbnail).to_be_visible()
    assert thumbnail.evaluate("img => img.complete && img.naturalWidth") > 0
    expect(page.locator("svg.plot")).to_be_visible()
    s.shot("02-child-file")

    page.get_by_label("日期").fill(console.before_red().isoformat())
    page.get_by_label("依据").select_option("occurred")
    page.get_by_role("button", name="显示").click()
    expect(page.locator("#as-of-result .level")).to_have_text("黄")
    s.shot("03-child-as-of-before-red")

    page.get_by_label("依据").select_option("recorded")
    page.get_by_role("button", name="显示").click()
    expect(page.locator("#as-of-result")).to_contain_text("该日期尚未登记")  # everything was recorded today

    page.get_by_role("link", name="转介").click()
    s.shot("04-referrals")
    page.get_by_role("link", name="统计").click()
    expect(page.locator("svg.chart").first).to_be_visible()
    s.shot("05-stats")
    with page.expect_download() as fetched:
        page.locator("#download-xlsx").click()
    saved = fetched.value.path()
    book = openpyxl.load_workbook(io.BytesIO(Path(saved).read_bytes()))
    assert book.worksheets[0].max_row > 1

    page.goto(console.base + "/console/?lang=en")
    expect(page.get_by_role("heading", name="Worklist")).to_be_visible()
    s.shot("06-worklist-english")
    page.goto(console.base + "/console/?lang=zh")
    only_loopback(s.requests, console.base, s.complaints)
    s.close()


def test_an_auditor_verifies_the_chains_and_reads_the_access_log(
    browser: Any, console: ConsoleWorld, screens: Path
) -> None:
    from playwright.sync_api import expect

    s = Session(browser, console, screens)
    s.sign_in("auditor")
    page = s.page
    page.get_by_role("link", name="链校验").click()
    page.get_by_role("button", name="执行").click()
    expect(page.locator("#verify-result h2")).to_have_text("所有哈希链完整")
    s.shot("07-verify")

    page.goto(f"{console.base}/console/children/{console.sealed}")
    expect(page.locator("section[aria-labelledby=status]")).to_contain_text("有严重不良行为未成年人")
    s.shot("08-sealed-child-as-auditor")
    page.get_by_role("link", name="查阅记录").click()
    page.get_by_label("儿童编号").fill(console.sealed)
    page.get_by_role("button", name="显示").click()
    expect(page.locator("#access-entries")).to_contain_text("console.childFile")
    s.shot("09-access-log")
    only_loopback(s.requests, console.base, s.complaints)
    s.close()


def test_a_grid_worker_is_refused(browser: Any, console: ConsoleWorld, screens: Path) -> None:
    from playwright.sync_api import expect

    s = Session(browser, console, screens)
    s.sign_in("grid")
    expect(s.page.locator("#error-code")).to_have_text("forbidden")
    expect(s.page.get_by_role("heading")).to_contain_text("无权访问")
    expect(s.page.get_by_role("alert")).to_contain_text("本控制台供儿童督导员和未成年人权益督查专员使用")
    s.shot("10-grid-worker-refused")
    s.page.goto(console.base + "/console/")
    expect(s.page.get_by_role("heading", name="登录")).to_be_visible()
    refusal = "Failed to load resource: the server responded with a status of 403 (Forbidden)"
    only_loopback(s.requests, console.base, [c for c in s.complaints if c != refusal])
    s.close()


def test_keyboard_alone_signs_in_and_reaches_the_content(browser: Any, console: ConsoleWorld, screens: Path) -> None:
    from playwright.sync_api import expect

    s = Session(browser, console, screens)
    page = s.page
    page.goto(console.base + "/console/login")
    expect(page.get_by_label("用户名")).to_be_focused()  # the form is ready to type into
    page.keyboard.type("supervisor")
    page.keyboard.press("Tab")
    expect(page.get_by_label("密码")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="工作清单")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="跳到正文")).to_be_focused()
    s.shot("11-skip-link-focused")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))  # waits: under load the jump lands a moment after the key
    s.close()
