"""Accounts, tried as a new user would: a Local Administrator adds an account and activates it by phone,
and the person signs in for the first time. Every page on the way is screenshotted and checked by axe."""

from __future__ import annotations

import re

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from harness import (
    Auditor,
    Page,
    _run_onboard,
    accounts_by_role,
    base_url,
    click_and_wait,
    current_path,
    demo_accounts,
    navigate,
    sign_in,
)
from test_apply import error_summary, main_button


def outbox_text(browser, recipient: str, template: str) -> str:
    """The newest delivery to `recipient` on /dev/outbox, reloading until the worker has sent it."""
    selector = f'[data-delivery-to="{recipient}"][data-template="{template}"]'

    def delivered(driver):
        navigate(driver, base_url() + "/dev/outbox")
        found = driver.find_elements(By.CSS_SELECTOR, selector)
        return found[0].text if found else False

    return WebDriverWait(browser, 30, poll_frequency=0.5).until(delivered)


def test_la_activates_an_account_by_phone_and_the_person_signs_in(browser):
    la = accounts_by_role()["local_admin"]
    sign_in(browser, la["email"], la["password"])
    assert current_path(browser) == "/home", f"signing in as the LA ended on {browser.current_url}"
    auditor = Auditor(browser, "account-activation")
    auditor.visit("/accounts")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Add an account"))
    auditor.audit_current(Page(label="/accounts/new"))

    click_and_wait(browser, main_button(browser, "Continue"))
    assert "Enter a first name or a surname" in error_summary(browser), error_summary(browser)
    auditor.audit_current(Page(label="/accounts/new (empty)"))

    browser.find_element(By.ID, "firstName").send_keys("Siân")
    browser.find_element(By.ID, "surname").send_keys("O'Brien-Browne")
    browser.find_element(By.ID, "mobile").send_keys("07700 900321")
    Select(browser.find_element(By.ID, "organisation")).select_by_value("RR801")
    click_and_wait(browser, main_button(browser, "Continue"))
    assert not error_summary(browser), error_summary(browser)
    auditor.audit_current(Page(label="/accounts/new (check)"))
    address = browser.find_element(By.CSS_SELECTOR, "[data-address]").get_attribute("data-address")
    assert re.fullmatch(r"sian\.obrien-browne\d*@nhs\.net", address), address

    click_and_wait(browser, main_button(browser, "Add account"))
    account_url = browser.current_url.split("?", 1)[0]
    auditor.audit_current(Page(label="/accounts/:id (new)"))
    click_and_wait(browser, main_button(browser, "Send code and start call"))
    auditor.audit_current(Page(label="/accounts/:id (code sent)"))

    text = outbox_text(browser, "+447700900321", "security_code")
    code = re.search(r"\b(\d{6})\b", text).group(1)
    auditor.audit_current(Page(label="/dev/outbox"))
    navigate(browser, account_url)
    browser.find_element(By.ID, "code").send_keys(code)
    click_and_wait(browser, main_button(browser, "Check code"))
    auditor.audit_current(Page(label="/accounts/:id/confirm-code (revealed)"))
    assert browser.find_element(By.CSS_SELECTOR, "[data-username]").text == address
    password = browser.find_element(By.CSS_SELECTOR, "[data-temporary-password]").text.strip()
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){5}", password), password

    browser.delete_all_cookies()
    sign_in(browser, address, password)
    assert current_path(browser) == "/sign-in/acceptable-use", browser.current_url
    auditor.audit_current(Page(label="/sign-in/acceptable-use"))
    click_and_wait(browser, main_button(browser, "Accept and continue"))
    assert "accept the acceptable use policy" in error_summary(browser), error_summary(browser)
    auditor.audit_current(Page(label="/sign-in/acceptable-use (not ticked)"))
    browser.find_element(By.ID, "accept").click()
    click_and_wait(browser, main_button(browser, "Accept and continue"))
    assert current_path(browser) == "/sign-in/new-password", browser.current_url
    auditor.audit_current(Page(label="/sign-in/new-password"))
    browser.find_element(By.ID, "password").send_keys("password1234")
    browser.find_element(By.ID, "confirm").send_keys("password1234")
    click_and_wait(browser, main_button(browser, "Save password"))
    assert "too common" in error_summary(browser), error_summary(browser)
    auditor.audit_current(Page(label="/sign-in/new-password (common)"))
    browser.find_element(By.ID, "password").send_keys("amber lantern orchard")
    browser.find_element(By.ID, "confirm").send_keys("amber lantern orchard")
    click_and_wait(browser, main_button(browser, "Save password"))
    assert current_path(browser) == "/welcome", browser.current_url
    auditor.audit_current(Page(label="/welcome"))
    assert address in browser.find_element(By.TAG_NAME, "main").text
    auditor.assert_clean()


def _newest_code_in_outbox(_driver=None):
    """The newest security code the development sink delivered, read with `onboard outbox`."""
    out = _run_onboard("outbox", "--limit", "5")
    lines = out.splitlines()
    for index, line in enumerate(lines):
        if "[security_code]" in line and index + 1 < len(lines):
            found = re.search(r"\b(\d{6})\b", lines[index + 1])
            if found:
                return found.group(1)
    return False


def test_forgotten_password_by_text(browser):
    users = [a for a in demo_accounts() if a["role"] == "user"]
    person = users[-1]  # not the first user: the page crawl signs in as that one later
    browser.delete_all_cookies()
    auditor = Auditor(browser, "forgotten-password")
    auditor.visit("/sign-in")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Forgotten your password?"))
    auditor.audit_current(Page(label="/sign-in/forgotten-password"))
    before = _newest_code_in_outbox()
    browser.find_element(By.ID, "address").send_keys(person["email"])
    click_and_wait(browser, main_button(browser, "Send a code"))
    auditor.audit_current(Page(label="/sign-in/forgotten-password (code)"))
    code = WebDriverWait(browser, 30, poll_frequency=0.5).until(
        lambda d: (lambda c: c if c and c != before else False)(_newest_code_in_outbox())
    )
    browser.find_element(By.ID, "code").send_keys(code)
    click_and_wait(browser, main_button(browser, "Continue"))
    assert current_path(browser) == "/sign-in/new-password", browser.current_url
    auditor.audit_current(Page(label="/sign-in/new-password (reset)"))
    browser.find_element(By.ID, "password").send_keys("harbour violet teacup")
    browser.find_element(By.ID, "confirm").send_keys("harbour violet teacup")
    click_and_wait(browser, main_button(browser, "Save password"))
    assert current_path(browser) == "/home", browser.current_url
    auditor.assert_clean()


def test_la_adds_a_shared_mailbox_and_a_member(browser):
    la = accounts_by_role()["local_admin"]
    users = [a for a in demo_accounts() if a["role"] == "user"]
    browser.delete_all_cookies()
    sign_in(browser, la["email"], la["password"])
    auditor = Auditor(browser, "shared-mailboxes")
    auditor.visit("/mailboxes")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Add a shared mailbox"))
    auditor.audit_current(Page(label="/mailboxes/new"))
    click_and_wait(browser, main_button(browser, "Add shared mailbox"))
    assert "Enter the part of the address" in error_summary(browser), error_summary(browser)
    auditor.audit_current(Page(label="/mailboxes/new (empty)"))
    Select(browser.find_element(By.ID, "organisation")).select_by_value("RR801")
    browser.find_element(By.ID, "localPart").send_keys("ward5.stjames")
    browser.find_element(By.ID, "name").send_keys("Ward 5 team")
    browser.find_element(By.ID, "owner").send_keys(la["email"])
    click_and_wait(browser, main_button(browser, "Add shared mailbox"))
    assert not error_summary(browser), error_summary(browser)
    assert "Ward 5 team (St James's University Hospital)" in browser.find_element(By.TAG_NAME, "h1").text
    auditor.audit_current(Page(label="/mailboxes/:id"))
    browser.find_element(By.ID, "address").send_keys(users[0]["email"])
    browser.find_element(By.ID, "sendAs").click()
    click_and_wait(browser, main_button(browser, "Save member"))
    assert users[0]["email"] in browser.find_element(By.TAG_NAME, "main").text
    auditor.audit_current(Page(label="/mailboxes/:id (member added)"))

    # The ward's mailbox only takes mail from the hospital's own systems, so the LA hides it from the directory.
    click_and_wait(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "Change"))
    auditor.audit_current(Page(label="/mailboxes/:id/directory"))
    browser.find_element(By.ID, "listed-no").click()
    click_and_wait(browser, main_button(browser, "Save"))
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "hidden from the directory" in main and "Hidden. Only its members" in main, main
    auditor.audit_current(Page(label="/mailboxes/:id (hidden)"))
    auditor.visit("/directory?q=ward5&kind=shared")
    assert "ward5.stjames" not in browser.find_element(By.TAG_NAME, "main").text
    auditor.assert_clean()
