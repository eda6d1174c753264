"""Helpers for the browser suite (Selenium 4 + Debian's Chromium + axe-core).

Environment:
  ONBOARD_BASE_URL  URL of a running server (scripts/test starts one). If unset, conftest.py
                    starts `$ONBOARD_BIN serve` itself on a free 127.0.0.1 port with a fresh
                    SQLite database and stops it (by PID) at the end of the session.
  ONBOARD_BIN       the built executable (default .build/debug/onboard); used for
                    `demo-accounts --json` and `routes`.
  DATABASE_URL      inherited by those commands (must be the server's database).
"""

from __future__ import annotations

import base64
import glob
import hashlib
import hmac
import json
import os
import re
import socket
import struct
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_ROOT = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = os.environ.get("ONBOARD_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("ONBOARD_CHROMEDRIVER", "/usr/bin/chromedriver")

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
CRAWL_CAP = 40  # pages per role reached by following links (route-list visits come on top)

SKIP_PREFIXES = ("/api/", "/health", "/sign-out")
SKIP_EXACT = {"/api", "/health", "/sign-out"}
STATIC_EXTENSIONS = re.compile(
    r"\.(css|js|mjs|map|png|jpe?g|gif|svg|ico|webp|woff2?|ttf|otf|csv|pdf|zip|json|xml|txt|yaml|yml)$",
    re.IGNORECASE,
)


# --------------------------------------------------------------------------------------------
# Server under test
# --------------------------------------------------------------------------------------------


def _onboard_bin() -> str:
    path = os.environ.get("ONBOARD_BIN", ".build/debug/onboard")
    if not os.path.isabs(path):
        path = str(REPO_ROOT / path)
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_health(base_url: str, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    """Poll BASE/health until it answers 200 (or fail after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before it was healthy")
        try:
            with urllib.request.urlopen(base_url.rstrip("/") + "/health", timeout=2) as r:
                if r.status == 200:
                    return
                last = f"HTTP {r.status}"
        except urllib.error.HTTPError as e:
            last = f"HTTP {e.code}"
        except (urllib.error.URLError, OSError) as e:
            last = str(e)
        time.sleep(0.25)
    raise RuntimeError(f"{base_url}/health not healthy after {timeout:.0f} s ({last})")


def base_url() -> str:
    return os.environ["ONBOARD_BASE_URL"].rstrip("/")


def _run_onboard(*args: str) -> str:
    binary = _onboard_bin()
    try:
        out = subprocess.run(
            [binary, *args],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise RuntimeError(f"{binary} not found (set ONBOARD_BIN)") from None
    if out.returncode != 0:
        raise RuntimeError(
            f"`{binary} {' '.join(args)}` exited {out.returncode}\nstdout:\n{out.stdout}\nstderr:\n{out.stderr}"
        )
    return out.stdout


def _extract_json_array(text: str) -> list:
    """The JSON array in `text`; tolerates log lines printed before or after it."""
    text = text.strip()
    try:
        value = json.loads(text)
        if isinstance(value, list):
            return value
    except json.JSONDecodeError:
        pass
    decoder = json.JSONDecoder()
    for m in re.finditer(r"^\s*\[", text, re.MULTILINE):
        try:
            value, _ = decoder.raw_decode(text, m.start() + (len(m.group(0)) - 1))
        except json.JSONDecodeError:
            continue
        if isinstance(value, list):
            return value
    raise RuntimeError(f"no JSON array found in demo-accounts output:\n{text[:2000]}")


_demo_cache: list[dict] | None = None


def demo_accounts() -> list[dict]:
    """`$ONBOARD_BIN demo-accounts --json` → [{"email","password","role","ods"}, ...]."""
    global _demo_cache
    if _demo_cache is None:
        accounts = _extract_json_array(_run_onboard("demo-accounts", "--json"))
        for a in accounts:
            if not isinstance(a, dict) or not {"email", "password", "role"} <= a.keys():
                raise RuntimeError(f"demo-accounts entry lacks email/password/role: {a!r}")
        _demo_cache = accounts
    return _demo_cache


def accounts_by_role() -> dict[str, dict]:
    """First demo account for each distinct role, in first-seen order."""
    roles: dict[str, dict] = {}
    for a in demo_accounts():
        roles.setdefault(str(a["role"]), a)
    return roles


_ROUTE_LINE = re.compile(r"^\|\s*GET\s*\|\s*(\S+)\s*\|")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def parse_get_routes(table: str) -> list[str]:
    """Parameter-free GET paths from Vapor's `routes` table, minus the ones we never visit."""
    paths: list[str] = []
    for raw in table.splitlines():
        m = _ROUTE_LINE.match(_ANSI.sub("", raw).strip())
        if not m:
            continue
        path = m.group(1)
        if ":" in path or "*" in path or skip_path(path):
            continue
        if path not in paths:
            paths.append(path)
    return paths


_routes_cache: list[str] | None = None


def get_routes() -> list[str]:
    global _routes_cache
    if _routes_cache is None:
        _routes_cache = parse_get_routes(_run_onboard("routes"))
    return _routes_cache


def skip_path(path: str) -> bool:
    if path in SKIP_EXACT or any(path.startswith(p) for p in SKIP_PREFIXES):
        return True
    return bool(STATIC_EXTENSIONS.search(path))


# --------------------------------------------------------------------------------------------
# Browser
# --------------------------------------------------------------------------------------------


def make_driver() -> webdriver.Chrome:
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--window-size=1280,900",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-extensions",
        "--lang=en-GB",
    ):
        opts.add_argument(arg)
    # Performance log: lets us read the real HTTP status of each document.
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=opts, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(60)
    try:
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "deny"})
    except Exception:
        pass
    return driver


_axe_source: str | None = None


def axe_source() -> str:
    global _axe_source
    if _axe_source is None:
        import axe_playwright_python

        pkg = Path(axe_playwright_python.__file__).resolve().parent
        found = sorted(glob.glob(str(pkg / "**" / "axe.min.js"), recursive=True))
        if not found:
            raise RuntimeError(f"axe.min.js not found under {pkg}")
        _axe_source = Path(found[0]).read_text(encoding="utf-8")
    return _axe_source


def run_axe(driver) -> list[dict]:
    """Inject axe-core and return its violations for the current document."""
    if not driver.execute_script("return typeof window.axe !== 'undefined'"):
        driver.execute_script(axe_source())
    result = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})
          .then(r => done({ok: true, violations: r.violations.map(v => ({
              id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
              targets: v.nodes.map(n => n.target.map(t => Array.isArray(t) ? t.join(' >>> ') : t).join(' | '))
          }))}))
          .catch(e => done({ok: false, error: String(e && e.stack || e)}));
        """,
        AXE_TAGS,
    )
    if not result or not result.get("ok"):
        raise RuntimeError(f"axe.run failed: {result and result.get('error')}")
    return result["violations"]


def _drain_perf_log(driver) -> list[dict]:
    try:
        entries = driver.get_log("performance")
    except Exception:
        return []
    out = []
    for e in entries:
        try:
            out.append(json.loads(e["message"])["message"])
        except (KeyError, ValueError):
            continue
    return out


def _document_response(events: list[dict]) -> dict | None:
    """The last top-level document response in the drained performance events."""
    last = None
    for ev in events:
        if ev.get("method") == "Network.responseReceived" and ev["params"].get("type") == "Document":
            last = ev["params"]["response"]
    return last


@dataclass
class Page:
    label: str  # what we asked for (path + query)
    url: str = ""  # where the browser ended up
    status: int | None = None
    title: str = ""
    html: bool = True
    note: str = ""
    violations: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # non-axe failures
    charts: int = 0  # svg charts in <main>


PER_PATTERN = 2
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def route_pattern(path: str) -> str:
    """The route a path belongs to: ids become ':id', the query is dropped."""
    return _UUID.sub(":id", path.split("?", 1)[0])


def strip_fragment(url: str) -> str:
    s = urlsplit(url)
    return urlunsplit((s.scheme, s.netloc, s.path, s.query, ""))


def path_of(url: str) -> str:
    s = urlsplit(url)
    return s.path + (("?" + s.query) if s.query else "")


def navigate(driver, url: str) -> tuple[int | None, str | None]:
    """GET `url` in the browser; returns (HTTP status, mime type) of the document that loaded.

    Goes via about:blank first so that a URL that does not navigate (a download) is noticed.
    """
    driver.get("about:blank")
    _drain_perf_log(driver)
    driver.get(url)
    resp = _document_response(_drain_perf_log(driver))
    if resp is None:
        return None, None
    return resp.get("status"), resp.get("mimeType")


def body_status(driver) -> int | None:
    value = driver.execute_script("return document.body && document.body.getAttribute('data-status')")
    try:
        return int(value) if value else None
    except ValueError:
        return None


_ERROR_TITLE = re.compile(r"something went wrong|internal server error|\berror\b", re.IGNORECASE)
_FORM_ERROR_TITLE = re.compile(r"^\s*error:", re.IGNORECASE)  # NHS pattern for invalid forms


def slug_for(path: str) -> str:
    s = urlsplit(path)
    slug = s.path.strip("/").replace("/", "-") or "index"
    if s.query:
        slug += "__" + s.query
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", slug).strip("-")
    return slug[:120] or "index"


class Auditor:
    """Visits pages, screenshots them, runs the checks, and keeps every finding."""

    def __init__(self, driver, group: str, report_name: str = "report"):
        self.driver = driver
        self.group = group
        self.dir = SCREENSHOT_ROOT / re.sub(r"[^A-Za-z0-9._-]+", "-", group)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.report_path = self.dir / f"{report_name}.json"
        self.crawl_truncated = False
        self.pages: list[Page] = []
        self._slugs: set[str] = set()
        self._audited: set[str] = set()  # paths whose page was screenshotted and checked

    def visit(self, path_or_url: str) -> Page:
        url = urljoin(base_url() + "/", path_or_url)
        page = Page(label=path_of(url))
        status, mime = navigate(self.driver, url)
        landed = path_of(self.driver.current_url)
        if landed != page.label and landed in self._audited:
            # A redirect to a page this auditor (one person, one session) has already checked: checking it again
            # finds nothing new, so the visit is only listed.
            page.url = self.driver.current_url
            page.status = status
            page.html = False
            page.note = f"redirected to {landed}, already checked"
            self.pages.append(page)
            return page
        return self.audit_current(page, status, mime)

    def audit_current(self, page: Page, status: int | None = None, mime: str | None = None) -> Page:
        d = self.driver
        page.url = d.current_url
        self.pages.append(page)
        if page.url in ("about:blank", "") or page.url.startswith("chrome-error://"):
            page.html = False
            page.note = "did not load a page (download or network error)"
            if page.url.startswith("chrome-error://"):
                page.problems.append("browser could not load the page")
            return page
        content_type = d.execute_script("return document.contentType") or mime or ""
        page.title = d.title or ""
        page.status = body_status(d) or status
        if status is not None and page.status != status and status >= 400:
            page.status = status  # the network is the final word on 4xx/5xx
        if "html" not in content_type:
            page.html = False
            page.note = f"not HTML ({content_type})"
            if page.status is not None and page.status >= 500:
                page.problems.append(f"HTTP {page.status}")
            return page

        self._screenshot(page)
        self._audited.add(path_of(page.url))
        self._check_charts(page)
        if page.status is not None and page.status >= 500:
            page.problems.append(f"server error: HTTP {page.status}")
        elif (
            (page.status is None or page.status < 400)
            and _ERROR_TITLE.search(page.title)
            and not _FORM_ERROR_TITLE.search(page.title)
        ):
            page.problems.append(f"error page (title {page.title!r})")
        if not d.find_elements(By.CSS_SELECTOR, "main#main-content"):
            page.problems.append("no <main id=\"main-content\">")
        skip = d.find_elements(By.CSS_SELECTOR, "a.nhsuk-skip-link")
        if not skip:
            page.problems.append("no skip link a.nhsuk-skip-link")
        elif not any((a.get_dom_attribute("href") or "").endswith("#main-content") for a in skip):
            page.problems.append("skip link a.nhsuk-skip-link does not point at #main-content")
        try:
            page.violations = run_axe(d)
        except Exception as e:  # an axe failure is a finding, not a crash of the whole crawl
            page.problems.append(f"axe could not run: {e}")
        return page

    def _check_charts(self, page: Page) -> None:
        """Every chart is an image named by its title and description, and its figures are also a table."""
        charts = self.driver.find_elements(By.CSS_SELECTOR, "main svg")
        page.charts = len(charts)
        for chart in charts:
            if chart.get_dom_attribute("role") != "img":
                page.problems.append("a chart (svg) without role=img")
                continue
            labelled = (chart.get_dom_attribute("aria-labelledby") or "").split()
            if len(labelled) != 2:
                page.problems.append(f"a chart labelled by {labelled!r}, not by a title and a description")
            for element_id in labelled:
                if not self.driver.find_elements(By.ID, element_id):
                    page.problems.append(f"a chart is labelled by #{element_id}, which is not on the page")
        if charts:
            text = self.driver.find_element(By.TAG_NAME, "main").text
            if not self.driver.find_elements(By.CSS_SELECTOR, "main table") and "Nothing to show" not in text:
                page.problems.append("charts without a table of their figures")

    def _screenshot(self, page: Page) -> None:
        slug = slug_for(page.label)
        base, n = slug, 2
        while slug in self._slugs:
            slug, n = f"{base}-{n}", n + 1
        self._slugs.add(slug)
        target = self.dir / f"{slug}.png"
        try:
            shot = self.driver.execute_cdp_cmd(
                "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
            )
            target.write_bytes(base64.b64decode(shot["data"]))
        except Exception:
            self.driver.save_screenshot(str(target))

    def links(self) -> list[str]:
        """Same-origin GET links on the current page, absolute, without fragments, filtered."""
        anchors = self.driver.execute_script(
            """return Array.from(document.querySelectorAll('a[href]')).map(a => ({
                   href: a.href, raw: a.getAttribute('href'), download: a.hasAttribute('download')}))"""
        )
        origin = urlsplit(base_url())
        out: list[str] = []
        for a in anchors:
            raw = (a.get("raw") or "").strip()
            if not raw or raw.startswith("#") or a.get("download"):
                continue
            s = urlsplit(a.get("href") or "")
            if s.scheme not in ("http", "https") or (s.scheme, s.netloc) != (origin.scheme, origin.netloc):
                continue
            if skip_path(s.path or "/"):
                continue
            url = strip_fragment(a["href"])
            if url not in out:
                out.append(url)
        return out

    def crawl(self, start: str, cap: int = CRAWL_CAP) -> None:
        start_url = urljoin(base_url() + "/", start)
        queue = [strip_fragment(start_url)]
        seen = {path_of(queue[0])}
        per_pattern: dict[str, int] = {}
        crawled = 0
        while queue and crawled < cap:
            url = queue.pop(0)
            page = self.visit(url)
            crawled += 1
            if not page.html:
                continue
            seen.add(path_of(page.url))  # where a redirect ended
            for link in self.links():
                key = path_of(link)
                pattern = route_pattern(key)
                # Two pages of each route shape are enough: a long list must not crowd out the others.
                if key not in seen and per_pattern.get(pattern, 0) < PER_PATTERN:
                    seen.add(key)
                    per_pattern[pattern] = per_pattern.get(pattern, 0) + 1
                    queue.append(link)
        self.crawl_truncated = bool(queue)

    def visited(self) -> set[str]:
        keys = set()
        for p in self.pages:
            keys.add(p.label)
            if p.url.startswith("http"):
                keys.add(path_of(p.url))
        return keys

    # ---- reporting -------------------------------------------------------------------------

    def findings(self) -> list[str]:
        lines = []
        for p in self.pages:
            for problem in p.problems:
                lines.append(f"{p.label}: {problem}")
            for v in p.violations:
                targets = ", ".join(v["targets"][:5]) + (" …" if len(v["targets"]) > 5 else "")
                lines.append(f"{p.label}: axe {v['id']} ({v.get('impact')}): {v['help']} → {targets}")
        return lines

    def summary(self) -> str:
        rows = [f"{self.group}: {len(self.pages)} page(s)"]
        for p in self.pages:
            status = p.status if p.status is not None else "-"
            extra = f" [{p.note}]" if p.note else ""
            moved = f" → {path_of(p.url)}" if p.url.startswith("http") and path_of(p.url) != p.label else ""
            rows.append(
                f"  {status!s:>4} {p.label}{moved} {p.title!r} "
                f"violations={len(p.violations)} problems={len(p.problems)}{extra}"
            )
        return "\n".join(rows)

    def write_report(self) -> None:
        data = [
            {
                "page": p.label,
                "url": p.url,
                "status": p.status,
                "title": p.title,
                "note": p.note,
                "problems": p.problems,
                "violations": p.violations,
            }
            for p in self.pages
        ]
        self.report_path.write_text(json.dumps(data, indent=2), encoding="utf-8")

    def assert_clean(self) -> None:
        self.write_report()
        print(self.summary())
        findings = self.findings()
        if findings:
            pytest.fail(
                f"{len(findings)} finding(s) for {self.group} (screenshots and {self.report_path.name} in {self.dir}):\n  "
                + "\n  ".join(findings),
                pytrace=False,
            )


# --------------------------------------------------------------------------------------------
# Sign-in
# --------------------------------------------------------------------------------------------


_last_totp_step: dict[str, int] = {}


def totp_code(secret_base32: str, step: int) -> str:
    """RFC 6238 with SHA-1, 6 digits and 30-second steps, as the service and authenticator apps use."""
    padded = secret_base32.upper() + "=" * (-len(secret_base32) % 8)
    key = base64.b32decode(padded)
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def next_totp(email: str) -> str:
    """The account's next unused code. The service refuses a code twice, so a second sign-in in the same
    30 seconds uses the next step (accepted for clock drift); a third waits for the clock to reach it."""
    account = next((a for a in demo_accounts() if a["email"] == email), None)
    if not account or not account.get("totpSecret"):
        raise AssertionError(f"{email} has no demo authenticator seed")
    now = int(time.time() // 30)
    step = max(now, _last_totp_step.get(email, now - 1) + 1)
    if step > now + 1:
        time.sleep((step - 1) * 30 - time.time() + 0.5)
    _last_totp_step[email] = step
    return totp_code(account["totpSecret"], step)


def sign_in(driver, email: str, password: str) -> tuple[int | None, str | None]:
    """Fill and submit the sign-in form, and the authenticator step staff meet after it; returns the
    status/mime of the page it lands on."""
    navigate(driver, base_url() + "/sign-in")
    forms = driver.find_elements(By.CSS_SELECTOR, 'form[action$="/sign-in"]')
    if not forms:
        raise AssertionError("no <form action=…/sign-in> on /sign-in")
    form = forms[0]
    form.find_element(By.CSS_SELECTOR, 'input[name="email"]').send_keys(email)
    form.find_element(By.CSS_SELECTOR, 'input[name="password"]').send_keys(password)
    button = form.find_element(By.CSS_SELECTOR, 'button[type="submit"]')
    _drain_perf_log(driver)
    click_and_wait(driver, button)
    if current_path(driver) == "/sign-in/authenticator":
        field = driver.find_element(By.CSS_SELECTOR, "main input#code")
        field.send_keys(next_totp(email))
        _drain_perf_log(driver)
        click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, 'main form button[type="submit"]'))
    resp = _document_response(_drain_perf_log(driver))
    return (resp.get("status"), resp.get("mimeType")) if resp else (None, None)


def click_and_wait(driver, element, timeout: float = 30.0) -> None:
    """Click something that navigates, then wait for the new document to finish loading.

    The old document is marked through the DevTools protocol (CSP does not apply to it); the wait ends when
    a document without the mark is complete. Staleness checks race the navigation in Chromium, which
    answers "Node with given id does not belong to the document" instead of a stale-element error."""
    driver.execute_script("window.__onboardOldDocument = true;")
    element.click()

    def fresh_and_complete(d) -> bool:
        try:
            return bool(
                d.execute_script(
                    "return !window.__onboardOldDocument && document.readyState === 'complete';"
                )
            )
        except WebDriverException:
            return False

    WebDriverWait(driver, timeout).until(fresh_and_complete)


def current_path(driver) -> str:
    return urlsplit(driver.current_url).path
