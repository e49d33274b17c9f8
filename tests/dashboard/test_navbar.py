"""The navbar's live parts: a health alert (SSE ``system_alert``) shows as a toast on any page, and
the pages are reachable by keyboard."""

from __future__ import annotations

from playwright.sync_api import Page, Route, expect

from bench.local_server import free_port
from tests.served import Served


def test_health_alert_becomes_a_toast(admin_page: Page, server: Served) -> None:
    page = admin_page
    page.goto("/ui/archive/")
    expect(page.locator("#who")).to_have_text("admin (admin)")
    page.wait_for_timeout(500)  # the event stream is open
    # A broker nobody listens on: the MQTT link raises its health alert ("warn").
    broker = {"enabled": True, "host": "127.0.0.1", "port": free_port()}
    assert server.post("/settings", json={"MQTT": broker}).ok
    try:
        toast = page.locator("#toasts .toast-warn")
        expect(toast).to_contain_text("MQTT broker: warn (", timeout=20_000)
        expect(toast).to_have_attribute("role", "status")
        # The browser asks for reduced motion (the test contexts do): the toast does not slide in.
        assert toast.evaluate("el => getComputedStyle(el).animationName") == "none"
        toast.get_by_role("button", name="Dismiss").click()
        expect(toast).to_have_count(0)
    finally:
        assert server.post("/settings", json={"MQTT": {"enabled": False}}).ok


def test_keyboard_reaches_the_pages(admin_page: Page) -> None:
    page = admin_page
    page.goto("/ui/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    archive = page.get_by_role("link", name="Archive")
    archive.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{page.url.split('/ui/')[0]}/ui/archive/")
    expect(page.get_by_role("link", name="Archive")).to_have_attribute("aria-current", "page")


def test_next_page_resumes_the_event_stream_where_the_last_one_stopped(admin_page: Page, server: Served) -> None:
    page = admin_page
    page.goto("/ui/")
    expect(page.locator("#who")).to_have_text("admin (admin)")
    page.wait_for_timeout(500)  # the event stream is open
    assert server.post("/snapshot", json={"camera": "cam"}).ok  # an archive_updated with an id
    page.wait_for_function("sessionStorage.getItem('securitycam.lastEventId') !== null")
    last = page.evaluate("sessionStorage.getItem('securitycam.lastEventId')")
    with page.expect_request(lambda request: "/events?" in request.url) as stream:
        page.get_by_role("link", name="Archive").click()
    assert stream.value.url.endswith(f"/events?last_event_id={last}")



def test_event_stream_refused_once_is_opened_again(admin_page: Page, server: Served) -> None:
    """A 503 (the appliance's SSE places all taken) closes an EventSource for good: the module opens
    a new one after a pause, and live updates arrive again."""
    page = admin_page
    attempts: list[str] = []

    def refuse_first(route: Route) -> None:
        attempts.append(route.request.url)
        if len(attempts) == 1:
            route.fulfill(status=503, content_type="application/json",
                          body='{"success": false, "message": "too many live event streams"}')
        else:
            route.continue_()

    page.route("**/events*", refuse_first)
    with page.expect_response(lambda r: "/events" in r.url and r.status == 200, timeout=20_000):
        page.goto("/ui/")
    assert len(attempts) == 2
    badge = page.locator("#archive-badge")
    expect(badge).to_be_hidden()
    assert server.post("/snapshot", json={"camera": "cam"}).ok
    expect(badge).to_have_text("1")
