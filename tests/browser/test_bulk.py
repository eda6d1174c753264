"""Bulk registration, tried as the people who use it: a pharmacy multiple's super user accepts the data
sharing agreement, uploads a sheet with mistakes, reads the problems, uploads the corrected sheet; the
pharmacy administration team applies it by text message, watches it finish and downloads the results.
Every page on the way is screenshotted and checked by axe."""

from __future__ import annotations

import random
import re
import string
import tempfile
from pathlib import Path

from selenium.common.exceptions import NoSuchElementException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from harness import (
    Auditor,
    Page,
    base_url,
    click_and_wait,
    current_path,
    demo_accounts,
    sign_in,
)
from test_apply import error_summary, main_button

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def _letters(n: int) -> str:
    return "".join(random.choice(string.ascii_lowercase) for _ in range(n))


def _account(email: str) -> dict:
    found = next((a for a in demo_accounts() if a["email"] == email), None)
    assert found, f"{email} is not a demo account"
    return found


def _write_sheet(directory: Path, name: str, stores: list[list[str]], users: list[list[str]]) -> Path:
    lines = ["ods_code,premises_name,gphc_premises_number,shared_mailbox"]
    lines += [",".join(r) for r in stores]
    lines += ["", "local_id,first_name,surname,mobile,store_ods_code,role"]
    lines += [",".join(r) for r in users]
    path = directory / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path.resolve()


def _problems(browser) -> list[dict]:
    """The report's problems table as a list of {sheet,row,column,problem}."""
    rows = browser.find_elements(By.CSS_SELECTOR, "table[data-problems] tbody tr")
    out = []
    for tr in rows:
        cells = [td.text.strip() for td in tr.find_elements(By.CSS_SELECTOR, "td")]
        out.append(dict(zip(("sheet", "row", "column", "problem"), cells)))
    return out


def _upload(browser, path: Path) -> None:
    browser.find_element(By.ID, "file").send_keys(str(path))
    click_and_wait(browser, main_button(browser, "Check the sheet"))


def _fetch_text(browser, path: str) -> tuple[int, str]:
    """GET `path` with the browser's own session (same-origin fetch) → (status, body)."""
    result = browser.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        fetch(arguments[0], {credentials: 'same-origin'})
          .then(r => r.text().then(t => done([r.status, t])))
          .catch(e => done([0, String(e)]));
        """,
        path,
    )
    return int(result[0]), str(result[1])


def _status(browser) -> str:
    tags = browser.find_elements(By.CSS_SELECTOR, "main [data-status]")
    return (tags[0].get_attribute("data-status") or "") if tags else ""


def test_super_user_sends_a_sheet_and_the_team_applies_it(browser):
    sam = _account("sam.khan@nhs.net")
    priya = _account("priya.patel@nhs.net")
    assert sam["role"] == "super_user" and priya["role"] == "pharmacy_admin_team"

    tag = _letters(4)  # letters only: it goes into surnames, which become addresses
    ann_surname, bob_surname = f"Lee{tag}", f"Day{tag}"
    id_a, id_b = f"BT-{tag}-1", f"BT-{tag}-2"
    mobiles = random.sample(range(10, 100), 3)
    store_a, store_b = random.sample([f"FA{n:03d}" for n in range(1, 11)], 2)
    stores = [
        [store_a, "Northern Pharmacy Test A", "1234567", f"bt-{tag}-a.pharmacy"],
        [store_b, "Northern Pharmacy Test B", "1234568", f"bt-{tag}-b.pharmacy"],
    ]
    tmp = Path(tempfile.mkdtemp(prefix="onboard-bulk-"))
    broken = _write_sheet(
        tmp,
        f"stores-{tag}-first-try.csv",
        stores + [["ZZ999", "Nowhere Pharmacy", "1234569", f"bt-{tag}-z.pharmacy"]],
        [
            [id_a, "Ann", ann_surname, f"07700 9005{mobiles[0]:02d}", store_a, "pharmacist"],
            [id_a, "Bob", bob_surname, f"07700 9005{mobiles[1]:02d}", store_b, "staff"],
            [f"BT-{tag}-3", "Cal", f"Roe{tag}", f"07700 9005{mobiles[2]:02d}", "ZZ999", "technician"],
        ],
    )
    fixed = _write_sheet(
        tmp,
        f"stores-{tag}-corrected.csv",
        stores,
        [
            [id_a, "Ann", ann_surname, f"07700 9005{mobiles[0]:02d}", store_a, "pharmacist"],
            [id_b, "Bob", bob_surname, f"07700 9005{mobiles[1]:02d}", store_b, "staff"],
        ],
    )

    # ---- Sam, the super user, sends the sheet -------------------------------------------------
    sign_in(browser, sam["email"], sam["password"])
    assert current_path(browser) == "/home", f"signing in as Sam ended on {browser.current_url}"
    auditor = Auditor(browser, "bulk-registration")
    auditor.visit("/bulk")
    assert browser.find_element(By.TAG_NAME, "h1").text.strip() == "Bulk registration"
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Upload a sheet"))

    # On a fresh database the organisation has not accepted the agreement yet: Sam meets it first.
    # (Re-running against the same database, it is already accepted and "Upload a sheet" goes straight on.)
    if current_path(browser) == "/bulk/agreement":
        auditor.audit_current(Page(label="/bulk/agreement"))
        assert "Northern Pharmacy Group head office" in browser.find_element(By.TAG_NAME, "main").text
        click_and_wait(browser, main_button(browser, "Accept and continue"))
        assert "Confirm that your organisation agrees" in error_summary(browser), error_summary(browser)
        auditor.audit_current(Page(label="/bulk/agreement (not ticked)"))
        browser.find_element(By.ID, "agree").click()
        click_and_wait(browser, main_button(browser, "Accept and continue"))
        assert not error_summary(browser), error_summary(browser)
    assert current_path(browser) == "/bulk/new", browser.current_url
    auditor.audit_current(Page(label="/bulk/new"))

    _upload(browser, broken)
    assert re.fullmatch(rf"/bulk/{UUID}", current_path(browser)), browser.current_url
    auditor.audit_current(Page(label="/bulk/:id (problems)"))
    assert _status(browser) == "invalid", _status(browser)
    problems = _problems(browser)
    print("problems shown:", *problems, sep="\n  ")
    assert all(p["row"].isdigit() for p in problems), problems

    def has(sheet: str, column: str, fragment: str) -> bool:
        return any(p["sheet"] == sheet and p["column"] == column and fragment in p["problem"] for p in problems)

    assert has("stores", "ods_code", "ZZ999 is not a registered organisation"), problems
    assert has("users", "local_id", f"{id_a} is in the file twice"), problems
    assert "Nothing has been created" in browser.find_element(By.TAG_NAME, "main").text

    # The same problems, next to each row, in the downloadable sheet.
    report_status, report = _fetch_text(browser, current_path(browser) + "/report")
    assert report_status == 200, (report_status, report[:500])
    assert "is in the file twice" in report and "ZZ999" in report, report[:2000]

    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Upload a corrected sheet"))
    assert current_path(browser) == "/bulk/new", browser.current_url
    _upload(browser, fixed)
    assert re.fullmatch(rf"/bulk/{UUID}", current_path(browser)), browser.current_url
    sheet_path = current_path(browser)
    auditor.audit_current(Page(label="/bulk/:id (valid, waiting)"))
    assert _status(browser) == "valid", _status(browser)
    assert not browser.find_elements(By.CSS_SELECTOR, "table[data-problems]")
    main_text = browser.find_element(By.TAG_NAME, "main").text
    assert "pharmacy administration team will review" in main_text, main_text
    summary = browser.find_element(By.CSS_SELECTOR, "[data-summary]").text
    assert "2 new accounts" in summary, summary
    assert not browser.find_elements(By.XPATH, "//main//button[normalize-space()='Apply the sheet']")

    auditor.visit("/bulk")
    assert fixed.name in browser.find_element(By.TAG_NAME, "main").text

    # Sam signs out with the header button.
    click_and_wait(browser, browser.find_element(By.XPATH, "//header//button[normalize-space()='Sign out']"))

    # ---- Priya, the pharmacy administration team, applies it ---------------------------------
    sign_in(browser, priya["email"], priya["password"])
    assert current_path(browser) == "/home", f"signing in as Priya ended on {browser.current_url}"
    auditor.visit(sheet_path)
    assert _status(browser) == "valid", _status(browser)
    click_and_wait(browser, main_button(browser, "Apply the sheet"))
    assert "Choose how people will get their sign-in details" in error_summary(browser), error_summary(browser)
    auditor.audit_current(Page(label="/bulk/:id (no method)"))

    browser.find_element(By.ID, "method").click()  # "By text message"
    label = browser.find_element(By.CSS_SELECTOR, "label[for=method]").text.strip()
    assert label == "By text message", label
    click_and_wait(browser, main_button(browser, "Apply the sheet"))
    assert current_path(browser) == sheet_path, browser.current_url
    auditor.audit_current(Page(label="/bulk/:id (applying)"))

    def applied(driver) -> bool:
        try:
            if _status(driver) == "applied":
                return True
            buttons = driver.find_elements(By.XPATH, "//main//button[normalize-space()='Check progress']")
            if buttons:
                click_and_wait(driver, buttons[0], timeout=10)
            return _status(driver) == "applied"
        except (WebDriverException, NoSuchElementException):
            return False  # the page's own script reloaded it under us: look again

    WebDriverWait(browser, 60, poll_frequency=0.5).until(applied)
    auditor.audit_current(Page(label="/bulk/:id (applied)"))
    counts = browser.find_element(By.CSS_SELECTOR, "[data-counts]").text
    assert re.search(r"(^|\n)2 accounts created", counts), counts
    link = browser.find_element(By.LINK_TEXT, "Download the results")
    assert link.get_dom_attribute("href") == sheet_path + "/results", link.get_dom_attribute("href")

    results_status, results = _fetch_text(browser, sheet_path + "/results")
    print("results:", results, sep="\n")
    assert results_status == 200, (results_status, results[:500])
    assert re.search(rf"ann\.{ann_surname.lower()}\d*@nhs\.net", results), results
    assert re.search(rf"bob\.{bob_surname.lower()}\d*@nhs\.net", results), results
    assert "created" in results, results
    assert "password" not in results.lower(), results

    auditor.visit("/bulk")
    auditor.assert_clean()
