"""The appliance serves the built dashboard: /ui/ pages, cache headers, the redirect from /."""

from __future__ import annotations

import re

import requests
from playwright.sync_api import BrowserContext, expect

from tests.served import Served


def test_browser_at_root_is_sent_to_the_dashboard(server: Served) -> None:
    answer = requests.get(f"{server.base}/", headers={"Accept": "text/html"}, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/ui/")
    script = requests.get(f"{server.base}/", headers={"Accept": "application/json"}, timeout=5)
    assert script.headers["Content-Type"].startswith("application/json")
    assert "/ui/" in script.json()["message"]


def test_pages_are_revalidated_and_hashed_assets_cached_for_good(server: Served) -> None:
    page = requests.get(f"{server.base}/ui/login/", timeout=5)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-cache"
    assets = re.findall(r'/ui/_astro/[^"\']+\.(?:js|css)', page.text)
    assert assets, "the login page names no bundled script or style"
    asset = requests.get(f"{server.base}{assets[0]}", timeout=5)
    assert asset.status_code == 200
    assert "immutable" in asset.headers["Cache-Control"]
    assert "max-age=31536000" in asset.headers["Cache-Control"]
    again = requests.get(f"{server.base}/ui/login/", headers={"If-None-Match": page.headers["ETag"]}, timeout=5)
    assert again.status_code == 304


def test_page_paths_without_slash_and_outside_paths(server: Served) -> None:
    bare = requests.get(f"{server.base}/ui/archive", allow_redirects=False, timeout=5)
    assert bare.status_code == 301 and bare.headers["Location"].endswith("/ui/archive/")
    for outside in ("/ui/../pyproject.toml", "/ui/%2e%2e/api/dashboard.py", "/ui/_astro/missing.js"):
        assert requests.get(f"{server.base}{outside}", timeout=5).status_code == 404, outside


def test_signed_out_browser_lands_on_the_login_page(context: BrowserContext) -> None:
    page = context.new_page()
    page.goto("/ui/archive/")
    expect(page).to_have_url(re.compile(r"/ui/login/\?next=%2Fui%2Farchive%2F$"))
    expect(page.get_by_label("Password")).to_be_visible()


def test_unknown_page_gets_the_not_found_page(server: Served) -> None:
    answer = requests.get(f"{server.base}/ui/no-such-page/", timeout=5)
    assert answer.status_code == 404
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "This page does not exist" in answer.text
