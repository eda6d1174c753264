"""A phone-sized screen (390 CSS pixels): pages fit the width, tables scroll inside themselves, and the
navigation stays short. The national administrator has the most navigation and the widest tables.

The viewport is set through the DevTools protocol, since Chromium will not make a window that narrow.
Each page is screenshotted in tests/browser/screenshots/narrow/.
"""

from __future__ import annotations

import os
import re

from harness import accounts_by_role, base_url, navigate, sign_in, slug_for

WIDTH = 390
PAGES = [
    "/home",
    "/applications",
    "/accounts",
    "/organisations",
    "/people",
    "/reports/applications",
    "/reports/programmes",
    "/audit",
    "/migration",
]
SHOTS = os.path.join(os.path.dirname(__file__), "screenshots", "narrow")


def test_pages_fit_a_phone(browser):
    account = accounts_by_role()["national_admin"]
    browser.delete_all_cookies()
    sign_in(browser, account["email"], account["password"])
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": 844, "deviceScaleFactor": 1, "mobile": True},
    )
    os.makedirs(SHOTS, exist_ok=True)
    problems: list[str] = []
    try:
        navigate(browser, base_url() + "/migration")
        projects = browser.execute_script(
            "return [...document.querySelectorAll('main a[href^=\"/migration/\"]')].map(a => a.getAttribute('href'))"
        )
        plans = [href + "/plan" for href in projects if re.fullmatch(r"/migration/[0-9a-f-]{36}", href)][:1]
        for path in PAGES + plans:
            navigate(browser, base_url() + path)
            browser.save_screenshot(os.path.join(SHOTS, slug_for(path) + ".png"))
            page_width = browser.execute_script("return document.documentElement.scrollWidth")
            if page_width > WIDTH + 1:
                widest = browser.execute_script(
                    "return [...document.querySelectorAll('body *')]"
                    ".filter(e => e.getBoundingClientRect().right > arguments[0] + 1 && !e.closest('.nhsuk-table-container'))"
                    ".slice(0, 3).map(e => e.tagName + '.' + e.className)",
                    WIDTH,
                )
                problems.append(
                    f"{path}: the page is {page_width} pixels wide on a {WIDTH}-pixel screen (widest: {widest})"
                )
            nav = browser.execute_script(
                "const n = document.querySelector('nav[aria-label=\"Primary navigation\"]'); "
                "return n ? n.getBoundingClientRect().height : 0"
            )
            if nav > 120:
                problems.append(f"{path}: the navigation is {nav:.0f} pixels tall")
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert not problems, "\n".join(problems)
