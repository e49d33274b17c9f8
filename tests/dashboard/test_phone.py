"""Every page on a phone (390×844): nothing is wider than the screen (no sideways scrolling, no
control cut off at the right edge), every visible control, navbar included, has a name, and all
text contrasts with its background as WCAG AA asks (4.5:1, 3:1 for large text)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from tests.dashboard.conftest import PHONE, new_context, sign_in
from tests.dashboard.test_archive import make_clip
from tests.dashboard.test_pages import PAGES
from tests.served import Served

# Signed in: each page and what shows its data has arrived (a page widens as its data fills it).
SIGNED_IN = {"": "section.camera[data-camera='cam'] img.frame[src]", "archive": "#archive-grid li.tile", **PAGES}
SIGNED_OUT = ["login", "setup", "no-such-page"]

# The elements whose right edge passes the viewport's (none of them inside a box that scrolls on
# its own, like a wide table in an overflow-x: auto wrapper, which is how a phone should show it).
OVERFLOWING = """() => {
    const width = document.documentElement.clientWidth;
    const scrolls = (el) => {
        for (let up = el.parentElement; up; up = up.parentElement) {
            const style = getComputedStyle(up);
            if (['auto', 'scroll', 'hidden', 'clip'].includes(style.overflowX) && up !== document.body
                && up !== document.documentElement) return true;
        }
        return false;
    };
    return [...document.querySelectorAll('body *')]
        .filter((el) => el.getClientRects().length && getComputedStyle(el).position !== 'fixed')
        .filter((el) => el.getBoundingClientRect().right > width + 1 && !scrolls(el))
        .map((el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${[...el.classList].join('.')}`
                     + ` right=${Math.round(el.getBoundingClientRect().right)}`)
        .slice(0, 10);
}"""
UNNAMED = """() => [...document.querySelectorAll('input, select, textarea, button, a[href]')]
    .filter((el) => el.offsetParent !== null && el.type !== 'hidden' && !el.labels?.length
            && !el.getAttribute('aria-label') && !el.textContent.trim() && !el.getAttribute('aria-labelledby')
            && !el.title && !el.querySelector('img[alt]:not([alt=""])'))
    .map((el) => el.outerHTML.slice(0, 100))"""

# Each visible text's colour against the background it sits on (the first opaque one up the tree,
# translucent ones blended over it); text over a background image is not judged.
LOW_CONTRAST = r"""() => {
    const rgba = (css) => {
        const parts = (css.match(/rgba?\(([^)]+)\)/) || [])[1]?.split(/[ ,\/]+/).filter(Boolean).map(Number);
        return parts && {r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1};
    };
    const over = (top, base) => ({r: top.r * top.a + base.r * (1 - top.a), g: top.g * top.a + base.g * (1 - top.a),
                                  b: top.b * top.a + base.b * (1 - top.a)});
    const luminance = ({r, g, b}) => {
        const linear = (v) => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
    };
    const background = (el) => {
        const layers = [];
        for (let up = el; up; up = up.parentElement) {
            const style = getComputedStyle(up);
            if (style.backgroundImage !== 'none') return null;
            const colour = rgba(style.backgroundColor);
            if (colour && colour.a > 0) layers.push(colour);
            if (colour && colour.a >= 1) break;
        }
        return layers.reverse().reduce((base, layer) => over(layer, base), {r: 255, g: 255, b: 255});
    };
    const low = [];
    for (const el of document.querySelectorAll('body *')) {
        const style = getComputedStyle(el);
        const text = [...el.childNodes].some((node) => node.nodeType === 3 && node.textContent.trim());
        if (!text || !el.getClientRects().length || style.visibility === 'hidden' || el.closest(':disabled')) continue;
        const back = background(el);
        if (!back) continue;
        const [light, dark] = [luminance(over(rgba(style.color), back)), luminance(back)].sort((a, b) => b - a);
        const ratio = (light + 0.05) / (dark + 0.05);
        const size = parseFloat(style.fontSize);
        const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
        if (ratio < (large ? 3 : 4.5)) low.push(`${el.tagName} "${el.textContent.trim().slice(0, 30)}" ${ratio}`);
    }
    return low.slice(0, 10);
}"""


def check_fits(page: Page) -> None:
    page.wait_for_timeout(300)  # late layout: charts sized to their box, images decoded
    sideways = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert (sideways, page.evaluate(OVERFLOWING)) == (0, []), page.url
    assert page.evaluate(UNNAMED) == [], page.url
    assert page.evaluate(LOW_CONTRAST) == [], page.url


@pytest.mark.parametrize("name", list(SIGNED_IN))
def test_signed_in_pages_fit_a_phone(browser: Browser, server: Served, name: str) -> None:
    if name == "archive":
        make_clip(server)  # a tile, with its thumbnail and its buttons
    context = new_context(browser, server, PHONE)
    try:
        sign_in(context)
        page = context.new_page()
        page.goto(f"/ui/{name}/" if name else "/ui/")
        page.wait_for_selector(SIGNED_IN[name], state="attached")
        check_fits(page)
    finally:
        context.close()


@pytest.mark.parametrize("name", SIGNED_OUT)
def test_signed_out_pages_fit_a_phone(browser: Browser, server: Served, name: str) -> None:
    context = new_context(browser, server, PHONE)
    try:
        page = context.new_page()
        page.goto(f"/ui/{name}/")
        page.wait_for_load_state("networkidle")
        check_fits(page)
    finally:
        context.close()
