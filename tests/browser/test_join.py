"""Each applicant type of the source walked from the front page to its outcome, without JavaScript-dependent
steps: one question per page, answered by clicking a radio (or typing an ODS code), then Continue."""

from __future__ import annotations

import pytest

from harness import Auditor, Page, base_url, click_and_wait

# The answers each applicant gives, by question name, and the decision they should reach.
JOURNEYS = {
    "staff_of_joined_organisation": ({"country": "england", "odsCode": "RR813"}, "redirect"),
    "hospital_pharmacist": ({"country": "england"}, "redirect"),
    "junior_doctor": ({"country": "england"}, "redirect"),
    "scotland": ({"applicantType": "optometrist", "country": "scotland"}, "redirect"),
    "nhs_organisation": ({"country": "england", "odsCode": ""}, "eligible"),
    "non_nhs_organisation": ({"country": "england", "odsCode": "", "deliversNhsFundedCare": "yes"}, "needs_review"),
    "optometrist": (
        {
            "country": "england",
            "odsCode": "",
            "exchangesPatientInformation": "ad_hoc",
            "usesOtherPubliclyFundedEmail": "no",
            "igToolkitCompletedBy": "self",
        },
        "needs_review",
    ),
    "dentist": (
        {
            "country": "england",
            "odsCode": "V0002",
            "exchangesPatientInformation": "regular",
            "usesOtherPubliclyFundedEmail": "no",
        },
        "eligible",
    ),
    "community_pharmacy": ({"country": "england", "programme": "numsas"}, "eligible"),
    "pharmacy_multiple": ({"country": "england"}, "redirect"),
    "locum_pharmacist": ({"country": "england"}, "redirect"),
    "care_home": ({"country": "england", "odsCode": ""}, "needs_review"),
    "gp_practice": ({"country": "england", "odsCode": "B86001"}, "redirect"),
}


@pytest.mark.parametrize("journey", sorted(JOURNEYS))
def test_applicant_reaches_the_right_outcome(browser, journey):
    answers, expected = JOURNEYS[journey]
    answers = {"applicantType": journey, **answers}
    auditor = Auditor(browser, f"join-{journey}", report_name="report")
    browser.delete_all_cookies()
    browser.get(base_url() + "/")
    start = browser.find_element("link text", "Find out if you can join")
    click_and_wait(browser, start)
    for _ in range(10):
        outcome = browser.find_elements("css selector", "[data-decision]")
        if outcome:
            break
        auditor.audit_current(Page(label=f"{journey}: {browser.title}"))
        radios = browser.find_elements("css selector", "main input[type=radio]")
        if radios:
            name = radios[0].get_attribute("name")
            value = answers[name]
            browser.find_element("css selector", f"main input[type=radio][value='{value}']").click()
        else:
            field = browser.find_element("css selector", "main input[type=text]")
            field.clear()
            field.send_keys(answers[field.get_attribute("name")])
        button = browser.find_element("xpath", "//main//button[normalize-space()='Continue']")
        click_and_wait(browser, button)
    outcome = browser.find_elements("css selector", "[data-decision]")
    assert outcome, f"{journey}: no outcome after answering; stuck on {browser.current_url}"
    assert outcome[0].get_attribute("data-decision") == expected, f"{journey}: {browser.current_url}"
    auditor.audit_current(Page(label=f"{journey}: outcome"))
    auditor.assert_clean()
