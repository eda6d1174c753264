"""A migration project, tried as the implementation support manager (ISM) who runs it: Isaac starts a
project for St Ann's Hospice, picks an option, sets and then moves go-live (the plan moves with it),
fills in the initiation record, uploads a transfer batch with the EICAR test string in an attachment of
a message inside a zip, sees it quarantined and the gate closed, deals with it, completes the checklist
and confirms go-live. The hospice is then live. Every page on the way is screenshotted and checked by axe.

It needs the real clamd that scripts/test starts for the browser stage (CLAMD_ADDRESS), and a fresh
database: the hospice can have only one project."""

from __future__ import annotations

import base64
import datetime
import io
import re
import tempfile
import zipfile
from pathlib import Path

from selenium.common.exceptions import NoSuchElementException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from harness import Auditor, Page, click_and_wait, current_path, demo_accounts, sign_in
from test_apply import error_summary, main_button

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# The standard antivirus test file, split so that no scanner flags this source file itself.
EICAR = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def _message(subject: str, attachment_name: str | None = None, attachment: bytes = b"") -> bytes:
    lines = [
        "From: Practice Manager <pm@hospice.example>",
        "To: Team <team@hospice.example>",
        f"Subject: {subject}",
        "MIME-Version: 1.0",
    ]
    if attachment_name is None:
        lines += ["Content-Type: text/plain; charset=utf-8", "", f"{subject}: nothing attached."]
        return ("\r\n".join(lines) + "\r\n").encode()
    lines += [
        'Content-Type: multipart/mixed; boundary="b1"',
        "",
        "--b1",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "The invoice is attached.",
        "--b1",
        f'Content-Type: application/octet-stream; name="{attachment_name}"',
        "Content-Transfer-Encoding: base64",
        f'Content-Disposition: attachment; filename="{attachment_name}"',
        "",
        base64.encodebytes(attachment).decode().strip(),
        "--b1--",
        "",
    ]
    return "\r\n".join(lines).encode()


def _batch(directory: Path) -> Path:
    """batch.zip: a clean message, a message whose attachment is a zip holding EICAR, and a document."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("invoice.txt", EICAR)
    outer = directory / "hospice-batch-1.zip"
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("inbox/welcome.eml", _message("Welcome to the team"))
        z.writestr("inbox/invoice.eml", _message("Invoice 4471", "invoice.zip", inner.getvalue()))
        z.writestr("documents/rota.txt", "Monday: Ann\nTuesday: Bob\n")
    return outer.resolve()


def _go_live(browser, day: datetime.date) -> None:
    for field, value in (("goLive", day.day), ("goLive-month", day.month), ("goLive-year", day.year)):
        box = browser.find_element(By.ID, field)
        box.clear()
        box.send_keys(str(value))
    click_and_wait(browser, main_button(browser, "Save and continue"))


def _first_start(browser) -> str:
    return browser.find_element(By.CSS_SELECTOR, "table[data-plan] tbody tr [data-start]").text.strip()


def _status(browser) -> str:
    tags = browser.find_elements(By.CSS_SELECTOR, "main [data-status]")
    return (tags[0].get_attribute("data-status") or "") if tags else ""


def test_ism_runs_a_migration_to_go_live(browser):
    isaac = next(a for a in demo_accounts() if a["email"] == "isaac.morgan@nhs.net")
    assert isaac["role"] == "implementation_support_manager"
    sign_in(browser, isaac["email"], isaac["password"])
    assert current_path(browser) == "/home", browser.current_url
    auditor = Auditor(browser, "migration")

    # ---- Start the project ------------------------------------------------------------------------
    auditor.visit("/migration")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Start a migration project"))
    auditor.audit_current(Page(label="/migration/new"))
    click_and_wait(browser, main_button(browser, "Start the project"))
    assert "Enter the organisation's ODS code" in error_summary(browser), error_summary(browser)
    auditor.audit_current(Page(label="/migration/new (no ODS code)"))
    browser.find_element(By.ID, "organisation").send_keys("8HV48")
    click_and_wait(browser, main_button(browser, "Start the project"))
    assert re.fullmatch(rf"/migration/{UUID}", current_path(browser)), browser.current_url
    project = current_path(browser)
    auditor.audit_current(Page(label="/migration/:id (new)"))
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "St Ann's Hospice" in main and "Isaac Morgan" in main, main

    # ---- The option, with its reason --------------------------------------------------------------
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Migration option"))
    click_and_wait(browser, main_button(browser, "Save and continue"))
    summary = error_summary(browser)
    assert "Choose how the organisation will migrate" in summary and "Enter why" in summary, summary
    auditor.audit_current(Page(label="/migration/:id/option (nothing chosen)"))
    browser.find_element(By.ID, "option").click()  # self-service, the first
    browser.find_element(By.ID, "reason").send_keys("A small IT team that has moved mailboxes before")
    click_and_wait(browser, main_button(browser, "Save and continue"))
    assert current_path(browser) == project, browser.current_url
    assert "Self-service migration" in browser.find_element(By.TAG_NAME, "main").text

    # ---- Go-live, the plan, and moving go-live ----------------------------------------------------
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Go-live date"))
    auditor.audit_current(Page(label="/migration/:id/go-live"))
    _go_live(browser, datetime.date(2020, 1, 1))
    assert "Go-live must be in the future" in error_summary(browser), error_summary(browser)
    auditor.audit_current(Page(label="/migration/:id/go-live (past)"))
    first = datetime.date.today() + datetime.timedelta(days=120)
    _go_live(browser, first)
    assert current_path(browser) == project + "/plan", browser.current_url
    auditor.audit_current(Page(label="/migration/:id/plan"))
    assert browser.find_elements(By.CSS_SELECTOR, "main svg[role=img] title"), "no accessible timeline"
    before = _first_start(browser)
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Move the go-live date"))
    _go_live(browser, first + datetime.timedelta(days=14))
    after = _first_start(browser)
    shifted = datetime.datetime.strptime(after, "%d %B %Y") - datetime.datetime.strptime(before, "%d %B %Y")
    assert shifted.days == 14, (before, after)

    # One task done, with its evidence.
    click_and_wait(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "Mark as done"))
    auditor.audit_current(Page(label="/migration/:id/tasks/:key"))
    click_and_wait(browser, main_button(browser, "Mark as done"))
    assert "Enter the evidence" in error_summary(browser), error_summary(browser)
    browser.find_element(By.ID, "evidence").send_keys("PID signed off at the project board on Monday")
    click_and_wait(browser, main_button(browser, "Mark as done"))
    assert current_path(browser) == project + "/plan", browser.current_url
    assert "PID signed off" in browser.find_element(By.CSS_SELECTOR, "table[data-plan]").text

    # ---- Project initiation -----------------------------------------------------------------------
    browser.get(browser.current_url.split("/migration/")[0] + project + "/initiation")
    auditor.audit_current(Page(label="/migration/:id/initiation"))
    browser.find_element(By.ID, "scope").send_keys("All 40 staff mailboxes and the referrals shared mailbox")
    browser.find_element(By.ID, "mailboxCount").send_keys("lots")
    browser.find_element(By.ID, "currentSystem").send_keys("Exchange 2016 on premises")
    click_and_wait(browser, main_button(browser, "Save"))
    assert "Number of mailboxes must be a whole number" in error_summary(browser), error_summary(browser)
    auditor.audit_current(Page(label="/migration/:id/initiation (not a number)"))
    box = browser.find_element(By.ID, "mailboxCount")
    box.clear()
    box.send_keys("41")
    click_and_wait(browser, main_button(browser, "Save"))
    assert current_path(browser) == project, browser.current_url

    # ---- A transfer batch with EICAR in an attachment inside a zip --------------------------------
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Data transfer"))
    auditor.audit_current(Page(label="/migration/:id/transfers"))
    browser.find_element(By.ID, "file").send_keys(str(_batch(Path(tempfile.mkdtemp(prefix="onboard-mig-")))))
    click_and_wait(browser, main_button(browser, "Upload and scan"))
    assert re.fullmatch(rf"{project}/transfers/{UUID}", current_path(browser)), browser.current_url
    batch = current_path(browser)
    auditor.audit_current(Page(label="/migration/:id/transfers/:batch (scanning)"))

    def scanned(driver) -> bool:
        try:
            if _status(driver) == "scanned":
                return True
            buttons = driver.find_elements(By.XPATH, "//main//button[normalize-space()='Check progress']")
            if buttons:
                click_and_wait(driver, buttons[0], timeout=10)
            return _status(driver) == "scanned"
        except (WebDriverException, NoSuchElementException):
            return False  # the page's own script reloaded it under us: look again

    WebDriverWait(browser, 90, poll_frequency=0.5).until(scanned)
    auditor.audit_current(Page(label="/migration/:id/transfers/:batch (quarantined)"))
    gate = browser.find_element(By.CSS_SELECTOR, "[data-gate]").text
    assert "gate is closed" in gate, gate
    infected = browser.find_elements(By.CSS_SELECTOR, "table[data-items] tr[data-state=Infected]")
    paths = [row.find_element(By.CSS_SELECTOR, "td").text for row in infected]
    print("infected:", *paths, sep="\n  ")
    assert any(p.endswith("invoice.zip › invoice.txt") for p in paths), paths
    assert "Onboard.Test.EICAR" in infected[0].text, infected[0].text
    clean = browser.find_elements(By.CSS_SELECTOR, "table[data-items] tr[data-state=Clean]")
    assert any("welcome.eml" in row.text for row in clean), [r.text for r in clean]

    # The checklist's gate item is refused while the gate is closed.
    browser.get(browser.current_url.split("/migration/")[0] + project + "/checklist/transfer-clean")
    browser.find_element(By.ID, "evidence").send_keys("Scanned")
    click_and_wait(browser, main_button(browser, "Tick it"))
    assert "gate is closed" in error_summary(browser), error_summary(browser)
    browser.get(browser.current_url.split("/migration/")[0] + batch)

    # Isaac deals with each quarantined item: the first one released with a reason is refused without it.
    first_item = True
    while links := browser.find_elements(By.PARTIAL_LINK_TEXT, "Deal with it"):
        click_and_wait(browser, links[0])
        if first_item:
            auditor.audit_current(Page(label="/migration/:id/items/:item"))
            browser.find_element(By.ID, "action-release").click()
            click_and_wait(browser, main_button(browser, "Save"))
            assert "Enter why it is safe to release" in error_summary(browser), error_summary(browser)
            auditor.audit_current(Page(label="/migration/:id/items/:item (no reason)"))
            first_item = False
        browser.find_element(By.ID, "action").click()  # remove it
        click_and_wait(browser, main_button(browser, "Save"))
        assert current_path(browser) == batch, browser.current_url
    gate = browser.find_element(By.CSS_SELECTOR, "[data-gate]").text
    assert "has passed" in gate, gate
    auditor.audit_current(Page(label="/migration/:id/transfers/:batch (dealt with)"))

    # ---- Go-live is refused until the checklist is done --------------------------------------------
    browser.get(browser.current_url.split("/migration/")[0] + project + "/confirm")
    auditor.audit_current(Page(label="/migration/:id/confirm (blocked)"))
    blockers = browser.find_element(By.CSS_SELECTOR, "[data-blockers]").text
    assert "checklist" in blockers, blockers
    assert not browser.find_elements(By.XPATH, "//main//button[normalize-space()='Confirm go-live']")

    browser.get(browser.current_url.split("/migration/")[0] + project + "/checklist")
    auditor.audit_current(Page(label="/migration/:id/checklist"))
    while links := browser.find_elements(By.CSS_SELECTOR, "[data-checklist] a"):
        click_and_wait(browser, links[0])
        browser.find_element(By.ID, "evidence").send_keys("Confirmed with the practice manager")
        click_and_wait(browser, main_button(browser, "Tick it"))
        assert not error_summary(browser), error_summary(browser)
        assert current_path(browser) == project + "/checklist", browser.current_url

    # Going live also waits for the plan's tasks that come before it.
    assert "done on the plan" in blockers, blockers
    browser.get(browser.current_url.split("/migration/")[0] + project + "/plan")
    while links := browser.find_elements(By.PARTIAL_LINK_TEXT, "Mark as done"):
        click_and_wait(browser, links[0])
        browser.find_element(By.ID, "evidence").send_keys("Done and recorded in the project log")
        click_and_wait(browser, main_button(browser, "Mark as done"))
        assert not error_summary(browser), error_summary(browser)

    browser.get(browser.current_url.split("/migration/")[0] + project + "/checklist")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Confirm go-live"))
    auditor.audit_current(Page(label="/migration/:id/confirm"))
    click_and_wait(browser, main_button(browser, "Confirm go-live"))
    assert current_path(browser) == project, browser.current_url
    auditor.audit_current(Page(label="/migration/:id (live)"))
    status = browser.find_element(By.CSS_SELECTOR, "[data-organisation-status]").text.strip()
    assert status == "Live", status

    auditor.visit("/migration")
    auditor.visit(project + "/plan")
    auditor.assert_clean()
