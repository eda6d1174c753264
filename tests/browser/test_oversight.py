"""Oversight, tried as a Local Administrator: Liam searches the audit log (a bad date first), opens an
event, looks at security events, then makes an API token (shown once), sees it listed and revokes it.
Every page on the way is screenshotted and checked by axe."""

from __future__ import annotations

import re

from selenium.webdriver.common.by import By

from harness import Auditor, Page, click_and_wait, current_path, demo_accounts, sign_in
from test_apply import error_summary, main_button


def test_local_administrator_oversight(browser):
    liam = next(a for a in demo_accounts() if a["email"] == "liam.walker@nhs.net")
    sign_in(browser, liam["email"], liam["password"])
    assert current_path(browser) == "/home", browser.current_url
    auditor = Auditor(browser, "oversight")

    # ---- The audit log ----------------------------------------------------------------------------
    auditor.visit("/audit")
    browser.find_element(By.ID, "actor").send_keys("not-an-address")
    click_and_wait(browser, main_button(browser, "Search"))
    assert "Enter the actor's email address" in error_summary(browser), error_summary(browser)
    auditor.audit_current(Page(label="/audit (bad filter)"))
    browser.find_element(By.ID, "actor").clear()
    browser.find_element(By.ID, "action").send_keys("sign_in")
    click_and_wait(browser, main_button(browser, "Search"))
    assert not error_summary(browser), error_summary(browser)
    auditor.audit_current(Page(label="/audit?action=sign_in"))
    links = browser.find_elements(By.CSS_SELECTOR, "main table a")
    assert links, "Liam's own sign-in is an event in his organisation"
    click_and_wait(browser, links[0])
    assert re.fullmatch(r"/audit/events/\d+", current_path(browser)), browser.current_url
    auditor.audit_current(Page(label="/audit/events/:seq"))

    auditor.visit("/audit/security")

    # ---- API tokens ---------------------------------------------------------------------------------
    auditor.visit("/account/tokens")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Make a token"))
    auditor.audit_current(Page(label="/account/tokens/new"))
    days = browser.find_element(By.ID, "days")
    days.clear()
    days.send_keys("120")
    click_and_wait(browser, main_button(browser, "Make the token"))
    summary = error_summary(browser)
    assert "Enter a name" in summary and "from 1 to 90" in summary, summary
    auditor.audit_current(Page(label="/account/tokens/new (errors)"))
    browser.find_element(By.ID, "name").send_keys("Leavers report script")
    days = browser.find_element(By.ID, "days")
    days.clear()
    days.send_keys("30")
    browser.find_element(By.ID, "organisation").send_keys("RR801")
    click_and_wait(browser, main_button(browser, "Make the token"))
    token = browser.find_element(By.ID, "token").get_attribute("value")
    assert token.startswith("onb_"), token
    auditor.audit_current(Page(label="/account/tokens/new (made)"))

    auditor.visit("/account/tokens")
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "Leavers report script" in main and token not in browser.page_source, main
    click_and_wait(browser, main_button(browser, "Revoke Leavers report script"))
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "Token revoked" in main and "Revoked" in main, main
    auditor.audit_current(Page(label="/account/tokens (revoked)"))
    auditor.assert_clean()
