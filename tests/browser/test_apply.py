"""The application journey, end to end, without JavaScript: for each kind of applicant, an email and the code sent
to it (read from the development message page), every question page, check your answers and the confirmation;
one invalid answer and its error summary; a regional contact's decision on the optometrist's application; and the
emailed tracking link, which shows nothing until its button is pressed. Every page is audited (axe + screenshot)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from harness import (
    Auditor,
    Page,
    accounts_by_role,
    base_url,
    click_and_wait,
    current_path,
    demo_accounts,
    navigate,
    sign_in,
)

KINDS = [
    "optometrist",
    "dentist",
    "nhs_organisation",
    "non_nhs_organisation",
    "community_pharmacy",
    "care_home",
    "pharmacy_multiple",
]

REFERENCE = re.compile(r"^APP-[A-Z0-9]{4}-[A-Z0-9]{4}$")
CODE = re.compile(r"Your security code is (\d{6})")
TRACK_LINK = re.compile(r"(?:https?://[^\s/]+)?(/track/[A-Za-z0-9_\-]+)")

# Answers every kind shares, by the `name` of the field.
COMMON = {
    "applicantName": "Sam Taylor",
    "applicantRole": "Practice manager",
    "mobile": "07700 900123",
    "postcode": "LS22 6DD",
    "region": "north_east_and_yorkshire",
}

# The answers each kind gives, by field name; a page's fields are filled from here.
ANSWERS: dict[str, dict[str, str]] = {
    "optometrist": {
        "odsCode": "TP004",
        "practiceName": "Wetherby Eye Care",
        "registrationNumber": "01-12345",
        "exchangesPatientInformation": "regular",
        "usesOtherPubliclyFundedEmail": "no",
        "wantsSharedMailbox": "yes",
    },
    "dentist": {
        # Its group headquarters completed the IG toolkit, so the record says it may register.
        "odsCode": "V0002",
        "practiceName": "Smile Dental Chapeltown",
        "registrationNumber": "123456",
        "exchangesPatientInformation": "regular",
        "usesOtherPubliclyFundedEmail": "no",
        "wantsSharedMailbox": "yes",
    },
    "community_pharmacy": {
        "odsCode": "FB007",
        "premisesName": "Wetherby Pharmacy",
        "gphcPremisesNumber": "1012345",
        "meetsIGTerms": "yes",
        "programme": "numsas",
        "staff": "Amir Khan, 07700 900124",
    },
    "pharmacy_multiple": {
        "odsCode": "FHQ01",
        "organisationName": "Northern Pharmacy Group",
        "storeCount": "10",
        "intentConfirmed": "yes",
    },
    "care_home": {
        "cqcLocationID": "1-123456789",
        "odsCode": "",
        "homeName": "Wharfe View Care Home",
        "managerName": "Joan Smith",
        "commissionerODS": "QWO",
        "igStatus": "completed",
        "accountsWanted": "5",
    },
}
for _kind, _name in (("nhs_organisation", "Wetherby NHS Community Service"), ("non_nhs_organisation", "Wharfe Hospice")):
    ANSWERS[_kind] = {
        "odsCode": "",
        "organisationName": _name,
        "fundedCareEvidence": "Community nursing under NHS standard contract 2025/123.",
        "commissioner": "NHS West Yorkshire Integrated Care Board",
        "expectedAccounts": "40",
        "localManagement": "Our IT team adds and removes staff as they join and leave.",
        "firstLAName": "Lee Adams",
        "firstLAEmail": "la@example.org",
        "signatoryName": "Pat Morgan",
        "signatoryRole": "Chief executive",
        "aupAccepted": "yes",
    }

# What each sent application left behind, for the staff and tracking tests (one submission per kind per run).
SENT: dict[str, dict[str, str]] = {}


def email_for(kind: str) -> str:
    return f"{kind}@example.org"


def answers_for(kind: str) -> dict[str, str]:
    return {**COMMON, **ANSWERS[kind]}


# --------------------------------------------------------------------------------------------
# Page helpers
# --------------------------------------------------------------------------------------------


def main_button(driver, label: str):
    return driver.find_element(By.XPATH, f"//main//button[normalize-space()={_xpath_literal(label)}]")


def _xpath_literal(text: str) -> str:
    return f"'{text}'" if "'" not in text else f'"{text}"'


def error_summary(driver) -> str:
    summaries = driver.find_elements(By.CSS_SELECTOR, ".nhsuk-error-summary")
    return summaries[0].text.strip() if summaries else ""


def message_bodies(driver, email: str) -> list[str]:
    """The text of every message on /dev/messages to `email` (the page needs no sign-in)."""
    navigate(driver, base_url() + "/dev/messages")
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, f'[data-message-to="{email}"]')]


def security_code(driver, email: str) -> str:
    codes = [m.group(1) for body in message_bodies(driver, email) for m in [CODE.search(body)] if m]
    assert len(codes) == 1, f"expected one security code for {email} on /dev/messages, found {codes}"
    return codes[0]


def tracking_path(driver, email: str, timeout: float = 30.0) -> str:
    """The /track/… path from the latest message to `email`; messages go out from a job, so poll the page."""
    found: list[str] = []

    def link_sent(d) -> bool:
        for body in message_bodies(d, email):
            m = TRACK_LINK.search(body)
            if m:
                found.append(m.group(1))
        return bool(found)

    WebDriverWait(driver, timeout, poll_frequency=0.5).until(
        link_sent, f"no message to {email} with a /track/ link on /dev/messages"
    )
    return found[0]


def fill_page(driver, answers: dict[str, str]) -> list[str]:
    """Answer every field of the question form from `answers`; returns the names filled."""
    form = driver.find_element(By.CSS_SELECTOR, 'main form[action^="/apply/questions/"]')
    filled: list[str] = []
    for field in form.find_elements(By.CSS_SELECTOR, "input, textarea, select"):
        name = field.get_attribute("name")
        kind = (field.get_attribute("type") or field.tag_name).lower()
        if not name or name == "_csrf" or kind == "hidden" or name in filled:
            continue
        assert name in answers, f"{current_path(driver)}: no answer for the field {name!r}"
        value = answers[name]
        if kind == "radio":
            form.find_element(By.CSS_SELECTOR, f'input[type=radio][name="{name}"][value="{value}"]').click()
        elif kind == "checkbox":
            if field.is_selected() != (value == "yes"):
                field.click()
        elif field.tag_name == "select":
            Select(field).select_by_value(value)
        else:
            field.clear()
            if value:
                field.send_keys(value)
        filled.append(name)
    assert filled, f"{current_path(driver)}: a question page with no fields"
    return filled


def start_application(driver, auditor: Auditor, kind: str) -> None:
    """Open /apply/<kind>, give the email, read the code from /dev/messages and enter it."""
    email = email_for(kind)
    driver.delete_all_cookies()
    page = auditor.visit(f"/apply/{kind}")
    assert page.status == 200, f"/apply/{kind} answered HTTP {page.status}"
    driver.find_element(By.ID, "email").send_keys(email)
    click_and_wait(driver, main_button(driver, "Send me a code"))
    assert current_path(driver) == "/apply/verify", f"{kind}: sending the email ended on {driver.current_url}"
    auditor.audit_current(Page(label=f"/apply/verify ({kind})"))
    code = security_code(driver, email)
    auditor.audit_current(Page(label=f"/dev/messages (code for {kind})"))
    navigate(driver, base_url() + "/apply/verify")
    driver.find_element(By.ID, "code").send_keys(code)
    click_and_wait(driver, main_button(driver, "Continue"))
    assert current_path(driver).startswith("/apply/questions/"), (
        f"{kind}: the code {code} did not lead to the questions; on {driver.current_url}: {error_summary(driver)}"
    )


def answer_questions(driver, auditor: Auditor, kind: str) -> list[str]:
    """Answer question pages until check your answers; returns the step ids seen."""
    answers = answers_for(kind)
    steps: list[str] = []
    for _ in range(15):
        path = current_path(driver)
        if path == "/apply/check":
            return steps
        assert path.startswith("/apply/questions/"), f"{kind}: unexpected page {driver.current_url}"
        step = path.rsplit("/", 1)[1]
        assert step not in steps[-1:], f"{kind}: {step} refused the answers: {error_summary(driver)}"
        steps.append(step)
        auditor.audit_current(Page(label=f"{path} ({kind})"))
        if step == "aup":
            policy = driver.find_elements(By.CSS_SELECTOR, 'main a[href*="acceptable-use-policy"]')
            assert policy, f"{kind}: the page that asks to accept the Acceptable Use Policy does not link to it"
        fill_page(driver, answers)
        click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    pytest.fail(f"{kind}: no check-your-answers page after {steps}", pytrace=False)


def send_application(driver, auditor: Auditor, kind: str) -> dict[str, str]:
    """Walk the whole journey for `kind`; returns the reference and email of the sent application."""
    if kind in SENT:
        return SENT[kind]
    start_application(driver, auditor, kind)
    steps = answer_questions(driver, auditor, kind)
    assert steps, f"{kind}: went straight to check your answers"
    check = driver.find_element(By.TAG_NAME, "h1").text
    assert "Check your answers" in check, f"{kind}: the check page's heading is {check!r}"
    auditor.audit_current(Page(label=f"/apply/check ({kind})"))
    click_and_wait(driver, main_button(driver, "Send application"))
    refused = error_summary(driver)
    if refused:
        auditor.audit_current(Page(label=f"/apply/check refused ({kind})"))
        auditor.assert_clean()  # the refusal itself must be accessible
        pytest.fail(f"{kind}: the service refused a valid application: {' '.join(refused.split())}")
    assert current_path(driver) == "/apply/confirmation", f"{kind}: sending ended on {driver.current_url}"
    auditor.audit_current(Page(label=f"/apply/confirmation ({kind})"))
    references = driver.find_elements(By.CSS_SELECTOR, "main [data-reference]")
    assert references, f"{kind}: no [data-reference] on the confirmation page"
    reference = references[0].text.strip()
    assert REFERENCE.match(reference), f"{kind}: reference {reference!r} is not APP-XXXX-XXXX"
    assert references[0].get_attribute("data-reference") == reference
    keys = [e.text.strip() for e in driver.find_elements(By.CSS_SELECTOR, "main .nhsuk-summary-list__key")]
    assert "Received" in keys, f"{kind}: the receipt has no 'Received' row (rows: {keys})"
    SENT[kind] = {"reference": reference, "email": email_for(kind)}
    return SENT[kind]


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_applicant_sends_an_application(browser, kind):
    auditor = Auditor(browser, f"apply-{kind}")
    sent = send_application(browser, auditor, kind)
    assert sent["reference"]
    auditor.assert_clean()


def test_landline_is_refused_with_an_error_summary(browser):
    auditor = Auditor(browser, "apply-errors")
    kind = "dentist"
    browser.delete_all_cookies()
    navigate(browser, base_url() + f"/apply/{kind}")
    browser.find_element(By.ID, "email").send_keys("landline@example.org")
    click_and_wait(browser, main_button(browser, "Send me a code"))
    code = security_code(browser, "landline@example.org")
    navigate(browser, base_url() + "/apply/verify")
    browser.find_element(By.ID, "code").send_keys(code)
    click_and_wait(browser, main_button(browser, "Continue"))
    assert current_path(browser) == "/apply/questions/contact", f"the first question is {browser.current_url}"
    fill_page(browser, {**answers_for(kind), "mobile": "0113 496 0000"})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert current_path(browser) == "/apply/questions/contact", f"a landline moved on to {browser.current_url}"
    links = browser.find_elements(By.CSS_SELECTOR, ".nhsuk-error-summary a")
    assert links, "no error summary links after a landline"
    targets = [a.get_attribute("href").split("#", 1)[-1] for a in links]
    assert targets == ["mobile"], f"the error summary links to {targets}, not only #mobile"
    assert browser.find_elements(By.ID, "mobile"), "#mobile is not on the page"
    assert "mobile" in links[0].text.lower(), f"the summary says {links[0].text!r}"
    focused = browser.execute_script(
        "return document.activeElement && document.activeElement.classList.contains('nhsuk-error-summary')"
    )
    assert focused, "after an error, focus is not on the error summary"
    auditor.audit_current(Page(label="/apply/questions/contact (landline)"))
    auditor.assert_clean()


def test_regional_contact_passes_the_optometrist_application_on(browser):
    sent = send_application(browser, Auditor(browser, "apply-optometrist-for-staff"), "optometrist")
    account = accounts_by_role()["regional_contact"]
    browser.delete_all_cookies()
    sign_in(browser, account["email"], account["password"])
    assert current_path(browser).endswith("/home"), f"signing in as {account['email']} ended on {browser.current_url}"
    auditor = Auditor(browser, "apply-staff")
    auditor.visit("/applications")
    link = browser.find_elements(By.LINK_TEXT, sent["reference"])
    assert link, f"{sent['reference']} is not listed on /applications for {account['email']}"
    click_and_wait(browser, link[0])
    auditor.audit_current(Page(label=f"/applications/:id ({sent['reference']})"))
    assert sent["reference"] in browser.find_element(By.TAG_NAME, "h1").text
    browser.find_element(By.CSS_SELECTOR, 'input[name="action"][value="pass_to_la"]').click()
    assignees = browser.find_elements(By.CSS_SELECTOR, 'input[name="assignee"]')
    assert assignees, "no Local Administrator to pass the application to"
    assignees[0].click()
    browser.find_element(By.CSS_SELECTOR, "textarea#reason").send_keys(
        "Checked the practice and registration. A Local Administrator will set up your account."
    )
    click_and_wait(browser, main_button(browser, "Record decision"))
    assert not error_summary(browser), f"the decision was refused: {error_summary(browser)}"
    auditor.audit_current(Page(label=f"/applications/:id after the decision ({sent['reference']})"))
    state = browser.find_element(By.CSS_SELECTOR, "main [data-state]")
    assert state.text.strip() == "Passed to a Local Administrator", f"the state shows {state.text!r}"
    auditor.assert_clean()


def test_tracking_link_shows_the_application_only_after_the_button(browser):
    sent = send_application(browser, Auditor(browser, "apply-optometrist-for-tracking"), "optometrist")
    auditor = Auditor(browser, "apply-tracking")
    browser.delete_all_cookies()
    path = tracking_path(browser, sent["email"])
    auditor.audit_current(Page(label="/dev/messages (tracking link)"))
    page = auditor.visit(path)
    assert page.status == 200, f"the tracking link answered HTTP {page.status}"
    assert sent["reference"] not in browser.page_source, "the tracking page shows the reference before the button"
    button = main_button(browser, "Show my application")
    click_and_wait(browser, button)
    assert urlsplit(browser.current_url).path == path, f"the button went to {browser.current_url}"
    auditor.audit_current(Page(label="/track/:token (shown)"))
    heading = browser.find_element(By.TAG_NAME, "h1").text
    assert sent["reference"] in heading, f"the status page's heading is {heading!r}"
    state = browser.find_element(By.CSS_SELECTOR, "main [data-state]")
    assert state.text.strip(), "no status on the tracking page"
    auditor.assert_clean()


def _approve_as(
    browser, auditor: Auditor, email: str, reference: str, choices: dict[str, str], reason: str, action: str = "approve"
) -> None:
    """Sign in as `email`, open the application from the list and approve (or complete) it with `choices` ticked."""
    account = next(a for a in demo_accounts() if a["email"] == email)
    browser.delete_all_cookies()
    sign_in(browser, account["email"], account["password"])
    auditor.visit("/applications")
    link = browser.find_elements(By.LINK_TEXT, reference)
    assert link, f"{reference} is not listed on /applications for {email}"
    click_and_wait(browser, link[0])
    auditor.audit_current(Page(label=f"/applications/:id before approval ({reference})"))
    browser.find_element(By.CSS_SELECTOR, f'input[name="action"][value="{action}"]').click()
    for name, value in choices.items():
        browser.find_element(By.CSS_SELECTOR, f'input[name="{name}"][value="{value}"]').click()
    browser.find_element(By.CSS_SELECTOR, "textarea#reason").send_keys(reason)
    click_and_wait(browser, main_button(browser, "Record decision"))
    assert not error_summary(browser), f"the approval was refused: {error_summary(browser)}"
    state = browser.find_element(By.CSS_SELECTOR, "main [data-state]")
    assert state.text.strip() == "Completed", f"after approval the state shows {state.text!r}"
    auditor.audit_current(Page(label=f"/applications/:id after approval ({reference})"))


def _set_up_card(browser, auditor: Auditor, email: str) -> str:
    """The applicant's tracking page, shown: the text of its 'What has been set up' card."""
    browser.delete_all_cookies()
    path = tracking_path(browser, email)
    auditor.visit(path)
    click_and_wait(browser, main_button(browser, "Show my application"))
    auditor.audit_current(Page(label="/track/:token (set up)"))
    assert not browser.find_elements(By.XPATH, "//button[contains(., 'Withdraw')]"), "withdrawal is still offered"
    cards = browser.find_elements(By.ID, "set-up")
    assert cards, "the completed application's tracking page does not say what was set up"
    return " ".join(cards[0].text.split())


def test_care_home_approved_by_its_la_has_its_home_and_managers_account(browser):
    sent = send_application(browser, Auditor(browser, "apply-care-home-journey"), "care_home")
    auditor = Auditor(browser, "care-home-approval")
    _approve_as(
        browser, auditor, "chloe.brown@nhs.net", sent["reference"], {"activation": "assisted"},
        "Registered with the CQC and the toolkit is complete.",
    )
    # The LA phones the manager from the account the approval made, and reads back the code.
    from test_accounts import outbox_text

    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "a[data-created-account]"))
    account_url = browser.current_url
    address = browser.find_element(By.CSS_SELECTOR, "[data-address]").get_attribute("data-address")
    click_and_wait(browser, main_button(browser, "Send code and start call"))
    code = re.search(r"\b(\d{6})\b", outbox_text(browser, "+447700900123", "security_code")).group(1)
    navigate(browser, account_url)
    browser.find_element(By.ID, "code").send_keys(code)
    click_and_wait(browser, main_button(browser, "Check code"))
    password = browser.find_element(By.CSS_SELECTOR, "[data-temporary-password]").text.strip()

    card = _set_up_card(browser, auditor, sent["email"])
    assert "Wharfe View Care Home has joined the service." in card, card
    assert f"Your account is {address}. Your Local Administrator will phone you" in card, card

    # The manager signs in with what the LA read out, and reaches the service.
    browser.delete_all_cookies()
    sign_in(browser, address, password)
    assert current_path(browser) == "/sign-in/acceptable-use", browser.current_url
    browser.find_element(By.ID, "accept").click()
    click_and_wait(browser, main_button(browser, "Accept and continue"))
    browser.find_element(By.ID, "password").send_keys("heather window lantern")
    browser.find_element(By.ID, "confirm").send_keys("heather window lantern")
    click_and_wait(browser, main_button(browser, "Save password"))
    assert current_path(browser) == "/welcome", browser.current_url
    auditor.audit_current(Page(label="/welcome (care home manager)"))
    auditor.assert_clean()


def test_community_pharmacy_approved_has_its_account_and_premises_mailbox(browser):
    from test_accounts import outbox_text

    sent = send_application(browser, Auditor(browser, "apply-pharmacy-journey"), "community_pharmacy")
    auditor = Auditor(browser, "pharmacy-approval")
    _approve_as(browser, auditor, "priya.patel@nhs.net", sent["reference"], {}, "Meets the IG terms of service.")
    # What the pharmacist's phone received (the development sink shows it to signed-in staff).
    credentials = outbox_text(browser, "+447700900123", "credentials")
    found = re.search(r"username is (\S+@nhs\.net) and your temporary password is ([0-9A-Z-]+)", credentials)
    assert found, credentials
    address, password = found.group(1), found.group(2)
    code = re.search(r"\b(\d{6})\b", outbox_text(browser, "+447700900123", "security_code")).group(1)

    card = _set_up_card(browser, auditor, sent["email"])
    assert f"Your account is {address}. A security code and a temporary password" in card, card
    assert "shared mailbox is pharmacy.fb007@nhs.net" in card, card

    # The pharmacist activates the account with what was texted, and reaches the service.
    browser.delete_all_cookies()
    sign_in(browser, address, password)
    assert current_path(browser) == "/sign-in/security-code", browser.current_url
    auditor.audit_current(Page(label="/sign-in/security-code (pharmacist)"))
    browser.find_element(By.ID, "code").send_keys(code)
    click_and_wait(browser, main_button(browser, "Continue"))
    assert current_path(browser) == "/sign-in/acceptable-use", browser.current_url
    browser.find_element(By.ID, "accept").click()
    click_and_wait(browser, main_button(browser, "Accept and continue"))
    assert current_path(browser) == "/sign-in/new-password", browser.current_url
    browser.find_element(By.ID, "password").send_keys("copper kettle meadow")
    browser.find_element(By.ID, "confirm").send_keys("copper kettle meadow")
    click_and_wait(browser, main_button(browser, "Save password"))
    assert current_path(browser) == "/welcome", browser.current_url
    auditor.audit_current(Page(label="/welcome (pharmacist)"))
    auditor.visit("/mailboxes")
    assert "pharmacy.fb007@nhs.net" in browser.find_element(By.TAG_NAME, "main").text, "the mailbox they own"
    auditor.assert_clean()


def test_optometrist_passed_to_an_la_is_set_up_in_one_step(browser):
    sent = send_application(browser, Auditor(browser, "apply-optometrist-set-up"), "optometrist")
    auditor = Auditor(browser, "optometrist-set-up")
    contact = accounts_by_role()["regional_contact"]
    browser.delete_all_cookies()
    sign_in(browser, contact["email"], contact["password"])
    navigate(browser, base_url() + "/applications?waiting=me")
    links = browser.find_elements(By.LINK_TEXT, sent["reference"])
    if links:  # not yet passed on by another test in this worker
        click_and_wait(browser, links[0])
        browser.find_element(By.CSS_SELECTOR, 'input[name="action"][value="pass_to_la"]').click()
        browser.find_element(By.CSS_SELECTOR, 'input[name="assignee"]').click()
        browser.find_element(By.CSS_SELECTOR, "textarea#reason").send_keys("Regular referrals.")
        click_and_wait(browser, main_button(browser, "Record decision"))
        assert not error_summary(browser), error_summary(browser)
    _approve_as(
        browser, auditor, "chloe.brown@nhs.net", sent["reference"], {"activation": "automated"},
        "Your account is ready; the texts are on their way.", action="complete",
    )
    created = browser.find_elements(By.CSS_SELECTOR, "a[data-created-account]")
    assert created, "the completed application does not link the account it set up"
    card = _set_up_card(browser, auditor, sent["email"])
    assert re.search(r"Your account is \S+@nhs\.net\. A security code and a temporary password", card), card
    state = browser.find_element(By.CSS_SELECTOR, "main [data-state]").text.strip()
    assert state == "Completed", state
    auditor.assert_clean()


def test_non_nhs_organisation_approved_gets_its_first_administrator(browser):
    sent = send_application(browser, Auditor(browser, "apply-non-nhs-journey"), "non_nhs_organisation")
    auditor = Auditor(browser, "non-nhs-approval")
    national = accounts_by_role()["national_admin"]
    browser.delete_all_cookies()
    sign_in(browser, national["email"], national["password"])
    auditor.visit("/applications")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, sent["reference"]))
    application_url = browser.current_url
    browser.find_element(By.CSS_SELECTOR, 'input[name="action"][value="approve"]').click()
    browser.find_element(By.CSS_SELECTOR, "textarea#reason").send_keys("Delivers NHS-funded community nursing.")
    click_and_wait(browser, main_button(browser, "Record decision"))
    assert not error_summary(browser), error_summary(browser)
    assert browser.find_element(By.CSS_SELECTOR, "main [data-state]").text.strip() == "Approved"

    # Accounts wait for the toolkit: the national team records it on the new organisation.
    auditor.visit("/organisations?q=Wharfe+Hospice")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Wharfe Hospice"))
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main a[href$='/edit']"))
    browser.find_element(By.ID, "igStatus-completed").click()
    for field, value in (("igDay", "3"), ("igMonth", "1"), ("igYear", "2026")):
        browser.find_element(By.ID, field).clear()
        browser.find_element(By.ID, field).send_keys(value)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert not error_summary(browser), error_summary(browser)

    # Then phones the named administrator and sets up their account from the application.
    navigate(browser, application_url)
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Set up their account"))
    auditor.audit_current(Page(label="/accounts/new (from an invitation)"))
    assert browser.find_element(By.ID, "firstName").get_attribute("value") == "Lee"
    browser.find_element(By.ID, "mobile").send_keys("07700 900555")
    browser.find_element(By.CSS_SELECTOR, 'input[name="method"][value="assisted"]').click()
    click_and_wait(browser, main_button(browser, "Continue"))
    assert not error_summary(browser), error_summary(browser)
    click_and_wait(browser, main_button(browser, "Add account"))
    assert not error_summary(browser), error_summary(browser)
    address = browser.find_element(By.CSS_SELECTOR, "[data-address]").get_attribute("data-address")

    card = _set_up_card(browser, auditor, sent["email"])
    assert "Wharfe Hospice has joined the service." in card, card
    assert f"The first administrator's account is {address}." in card, card
    auditor.assert_clean()
