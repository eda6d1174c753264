"""Accessibility and structure of every page a user can reach, anonymous and per demo role.

For each page: a screenshot in tests/browser/screenshots/<group>/<slug>.png, an axe-core run
(WCAG 2.0/2.1 A+AA and 2.2 AA rules), a <main id="main-content"> and an `a.nhsuk-skip-link` to
#main-content. 403/404 answers are recorded (and still checked), a 5xx is a failure. All findings
of one test are listed together at its end.
"""

from __future__ import annotations

import pytest

from harness import (
    Auditor,
    Page,
    accounts_by_role,
    click_and_wait,
    current_path,
    demo_accounts,
    get_routes,
    sign_in,
    slug_for,
)


def _roles() -> list[str]:
    try:
        return list(accounts_by_role())
    except Exception as e:  # surfaced as a failing test below rather than a collection crash
        _roles.error = e  # type: ignore[attr-defined]
        return []


ROLES = _roles()
REPORTS = ["applications", "accounts", "activation", "second-factor", "programmes", "pharmacy-gateway"]


def test_demo_accounts_listed():
    """`onboard demo-accounts --json` lists at least one account, each with a role."""
    error = getattr(_roles, "error", None)
    if error is not None:
        pytest.fail(f"demo-accounts failed: {error}", pytrace=False)
    accounts = demo_accounts()
    assert accounts, "demo-accounts --json returned no accounts"
    for a in accounts:
        assert a["email"] and a["password"] and a["role"], a
        assert a.get("ods") is None or isinstance(a["ods"], str), a


@pytest.mark.parametrize("path", ["/", "/sign-in"])
def test_anonymous_page(browser, path):
    auditor = Auditor(browser, "anonymous", report_name=f"report-{slug_for(path)}")
    page = auditor.visit(path)
    assert page.html, f"{path}: {page.note}"
    if page.status is not None:
        assert page.status < 400, f"{path} answered HTTP {page.status}"
    auditor.assert_clean()


@pytest.mark.parametrize("role", ROLES)
def test_role_pages(browser, role):
    account = accounts_by_role()[role]
    status, _ = sign_in(browser, account["email"], account["password"])
    assert current_path(browser).endswith("/home"), (
        f"signing in as {account['email']} ({role}) ended on {browser.current_url} (HTTP {status})"
    )
    auditor = Auditor(browser, role)
    # The page sign-in landed on is audited as /home (it is the first page of the crawl).
    auditor.crawl("/home")
    visited = auditor.visited()
    for path in get_routes():
        if path not in visited:
            auditor.visit(path)
    # Every report, for each role that may see reports, whether or not the crawl reached it; each shows charts
    # (checked on every page that has one: an image named by its title and description, beside a table).
    reports_page = next((p for p in auditor.pages if p.label == "/reports"), None)
    if reports_page is not None and reports_page.status in (None, 200):
        for kind in REPORTS:
            path = f"/reports/{kind}"
            page = next((p for p in auditor.pages if p.label == path), None) or auditor.visit(path)
            if page.status in (None, 200) and page.html and not page.charts:
                page.problems.append("a report without a chart")
    if auditor.crawl_truncated:
        print(f"{role}: crawl stopped at the cap; some linked pages were not visited")
    auditor.assert_clean()


def test_wrong_password_shows_error_summary(browser):
    accounts = demo_accounts()
    assert accounts, "no demo accounts"
    email = accounts[0]["email"]
    status, mime = sign_in(browser, email, accounts[0]["password"] + "-wrong")
    assert current_path(browser).endswith("/sign-in"), f"wrong password ended on {browser.current_url}"
    summaries = browser.find_elements("css selector", ".nhsuk-error-summary")
    assert summaries and summaries[0].is_displayed(), "no visible .nhsuk-error-summary after a wrong password"
    auditor = Auditor(browser, "sign-in-error")
    page = auditor.audit_current(Page(label="/sign-in (wrong password)"), status, mime)
    assert page.html
    auditor.assert_clean()


@pytest.mark.parametrize(
    "path, submit_label",
    [
        ("/organisations/new", "Add organisation"),
        ("/organisations/import", "Import"),
        ("/eligibility-parameters", "Save as a new version"),
    ],
)
def test_form_errors_use_the_error_summary(browser, path, submit_label):
    """An empty submission shows the error summary linked to the field, and the page stays accessible."""
    account = accounts_by_role()["national_admin"]
    sign_in(browser, account["email"], account["password"])
    browser.get(browser.current_url.rsplit("/", 1)[0] + path)
    button = browser.find_element("xpath", f"//main//button[normalize-space()='{submit_label}']")
    click_and_wait(browser, button)
    summary = browser.find_elements("css selector", ".nhsuk-error-summary a")
    assert summary, f"{path}: no error summary after an empty submission"
    target = summary[0].get_attribute("href").split("#", 1)[1]
    assert browser.find_elements("id", target), f"{path}: the summary links to #{target}, which is not on the page"
    auditor = Auditor(browser, "form-errors", report_name=f"report-{slug_for(path)}")
    page = auditor.audit_current(Page(label=f"{path} (empty submission)"))
    assert page.html
    auditor.assert_clean()
