"""The setup page: a plain form that works with scripts off (a captive-portal sheet may run none),
and with them adds the state and the time zone of the phone. The served appliance is no Pi, so
it has no hotspot and its password is chosen: setup asks for it."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.dashboard.conftest import PHONE, new_context
from tests.served import PASSWORD, Served


def test_the_form_works_without_javascript(browser: Browser, server: Served) -> None:
    context = browser.new_context(base_url=server.base, viewport=PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/setup")  # the short address leads to the dashboard's page
        assert page.url.endswith("/ui/setup/")
        assert page.locator("script[src^='http']").count() == 0  # nothing from elsewhere
        page.fill("#admin_password", "not the password")
        page.select_option("#timezone", "Europe/Berlin")
        page.click("#setup-submit")
        expect(page.locator("h1")).to_have_text("Setup not saved")
        expect(page.locator("p.error")).to_contain_text("the admin password is wrong")
        page.click("text=Back to the setup page")
        page.fill("#admin_password", PASSWORD)
        page.select_option("#timezone", "Europe/Berlin")
        page.click("#setup-submit")
        expect(page.locator("h1")).to_have_text("Setup saved")
    finally:
        context.close()


def test_with_javascript_it_shows_the_state_and_picks_the_phones_time_zone(browser: Browser, server: Served,
                                                                           shoot) -> None:
    context = new_context(browser, server, PHONE)
    try:
        page = context.new_page()
        page.goto("/ui/setup/")
        expect(page.locator("#password-help")).to_contain_text("Enter the dashboard password")
        zone = page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
        expect(page.locator("#timezone")).to_have_value(re.compile(re.escape(zone) if zone != "UTC" else "UTC|"))
        shoot(page, "setup")
    finally:
        context.close()
