"""The login page: a wrong password is refused with a message, the right one opens the dashboard,
a user with two-factor login is asked for the code, and signing out ends the session."""

from __future__ import annotations

import re

import pyotp
import requests
from playwright.sync_api import BrowserContext, Page, expect

from tests.served import PASSWORD, Served


def fill_login(page: Page, username: str, password: str) -> None:
    page.get_by_label("User").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_wrong_password_shows_an_error_and_stays(context: BrowserContext, shoot) -> None:
    page = context.new_page()
    page.goto("/ui/login/")
    fill_login(page, "admin", "not the password")
    expect(page.get_by_role("alert")).to_have_text("Wrong user name or password.")
    expect(page).to_have_url(re.compile(r"/ui/login/$"))
    shoot(page, "login-error")


def test_password_signs_in_and_goes_back_where_asked(context: BrowserContext, shoot) -> None:
    page = context.new_page()
    page.goto("/ui/archive/")  # signed out: sent to the login page, then back here
    expect(page.get_by_label("Password")).to_be_focused()
    shoot(page, "login")
    fill_login(page, "admin", PASSWORD)
    expect(page).to_have_url(re.compile(r"/ui/archive/$"))
    expect(page.locator("#who")).to_have_text("admin (admin)")
    expect(page.locator("#version-pill")).not_to_have_text("…")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/ui/login/$"))
    page.goto("/ui/")
    expect(page).to_have_url(re.compile(r"/ui/login/\?next="))


def test_two_factor_code_is_asked_after_the_password(context: BrowserContext, server: Served) -> None:
    username, password = "second", "second-admin-password"
    assert server.post("/api/users", json={"username": username, "password": password, "role": "admin"}).ok
    session = requests.post(f"{server.base}/auth/login", data={"username": username, "password": password}, timeout=5)
    bearer = {"Authorization": f"Bearer {session.json()['access_token']}"}
    secret = requests.post(f"{server.base}/auth/2fa/enroll", json={"password": password}, headers=bearer,
                           timeout=5).json()["secret"]
    confirmed = requests.post(f"{server.base}/auth/2fa/confirm", json={"code": pyotp.TOTP(secret).now()},
                              headers=bearer, timeout=5)
    assert confirmed.ok, confirmed.text

    page = context.new_page()
    page.goto("/ui/login/")
    fill_login(page, username, password)
    code = page.get_by_label("Two-factor code")
    expect(code).to_be_focused()
    expect(page.get_by_role("alert")).to_have_text("Enter your two-factor code.")
    code.fill("000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("two-factor code is wrong")
    # The authenticator's current code went into the confirmation (a code is good once): a recovery code.
    code.fill(confirmed.json()["recovery_codes"][0])
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/ui/$"))
    expect(page.locator("#who")).to_have_text("second (admin)")
