"""The national directory, tried as people would: a user finds a colleague in another trust by part of their
surname, then finds that trust's Local Administrators by its name; a short search gets the error summary.
Every page on the way is screenshotted and checked by axe."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from harness import Auditor, Page, accounts_by_role, click_and_wait, current_path, sign_in
from test_apply import error_summary, main_button


def search(browser, text: str, kind: str | None = None) -> None:
    field = browser.find_element(By.ID, "q")
    field.clear()
    field.send_keys(text)
    if kind:
        browser.find_element(By.CSS_SELECTOR, f'input[name="kind"][value="{kind}"]').click()
    click_and_wait(browser, main_button(browser, "Search"))


def test_a_user_finds_a_colleague_in_another_trust_and_its_local_administrator(browser):
    user = accounts_by_role()["user"]
    sign_in(browser, user["email"], user["password"])
    assert current_path(browser) == "/home", browser.current_url
    auditor = Auditor(browser, "directory")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Directory"))
    auditor.audit_current(Page(label="/directory"))

    search(browser, "hu")
    assert "at least 3 characters" in error_summary(browser), error_summary(browser)
    focused = browser.switch_to.active_element
    assert "nhsuk-error-summary" in (focused.get_attribute("class") or ""), "the error summary is not focused"
    auditor.audit_current(Page(label="/directory (too short)"))

    # Mia Hughes works at the Manchester trust; the user is in Leeds.
    search(browser, "hugh", kind="people")
    results = browser.find_element(By.CSS_SELECTOR, ".onboard-directory-results").text
    assert "mia.hughes@nhs.net" in results, results
    assert "Manchester University NHS Foundation Trust" in results, results
    auditor.audit_current(Page(label="/directory?q=hugh"))

    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Mia Hughes"))
    entry = browser.find_element(By.TAG_NAME, "main").text
    assert "Local Administrator" in entry and "Digital services" in entry, entry
    assert "07700" not in entry, "a mobile number is in the directory"
    auditor.audit_current(Page(label="/directory/people/:id"))

    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Directory"))
    search(browser, "manchester univ", kind="organisations")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Manchester University NHS Foundation Trust"))
    page = browser.find_element(By.TAG_NAME, "main").text
    assert "Local Administrators" in page and "mia.hughes@nhs.net" in page, page
    assert "Helpdesk" in page, page
    auditor.audit_current(Page(label="/directory/organisations/:id"))
    auditor.assert_clean()


def test_a_person_changes_their_directory_details(browser):
    user = accounts_by_role()["user"]
    sign_in(browser, user["email"], user["password"])
    auditor = Auditor(browser, "directory-details")
    auditor.visit("/account/directory-details")
    browser.find_element(By.ID, "workPhone").clear()
    browser.find_element(By.ID, "workPhone").send_keys("ring me")
    click_and_wait(browser, main_button(browser, "Save directory details"))
    assert "Enter a work phone number" in error_summary(browser), error_summary(browser)
    auditor.audit_current(Page(label="/account/directory-details (bad phone)"))
    browser.find_element(By.ID, "jobTitle").clear()
    browser.find_element(By.ID, "jobTitle").send_keys("Matron")
    browser.find_element(By.ID, "workPhone").clear()
    browser.find_element(By.ID, "workPhone").send_keys("0113 496 0999")
    click_and_wait(browser, main_button(browser, "Save directory details"))
    assert current_path(browser).startswith("/directory/people/"), browser.current_url
    page = browser.find_element(By.TAG_NAME, "main").text
    assert "Matron" in page and "0113 496 0999" in page, page
    auditor.audit_current(Page(label="/directory/people/:id (own, saved)"))
    auditor.assert_clean()
