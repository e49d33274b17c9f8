"""The dashboard's weight and the archive page's paint time with 500 clips, in Chromium.

    .venv/bin/python bench/dashboard_paint.py [--clips 500] [--runs 5]

Prints: the built site's total size; per page, the JavaScript it loads (its entry scripts and
everything they import, raw and gzipped) and what it only loads on demand (hls.js); then, over a
live ``securitycam serve`` whose archive holds ``--clips`` clips (each with a real JPEG thumbnail and
1600×90 sprite, a meta file and a stand-in video, as bench/archive_listing.py fakes them), the
archive page's first contentful paint and the time until its first page of tiles is drawn with the
first thumbnail decoded, median and worst of ``--runs`` cold loads in Debian's Chromium. Asserts
nothing. Uses a throwaway data directory.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import statistics
import sys
import tempfile
from pathlib import Path

from local_server import LocalServer
from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.dashboard.browser import launch  # noqa: E402

SITE = ROOT / "securitycam" / "dashboard"
PASSWORD = "bench password"
STATIC_IMPORT = re.compile(r'(?:from|import)\s*"\./([^"]+\.js)"')
DYNAMIC_IMPORT = re.compile(r'import\(\s*"\./([^"]+\.js)"\s*\)')


def jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.linear_gradient("L").resize((width, height)).convert("RGB").save(out, "JPEG", quality=70)
    return out.getvalue()


def fill(recordings: Path, clips: int) -> None:
    thumb, sprite = jpeg(320, 180), jpeg(1600, 90)
    for n in range(clips):
        stem = recordings / f"output_20260101_{n // 3600:02d}{n // 60 % 60:02d}{n % 60:02d}"
        stem.with_suffix(".mp4").write_bytes(b"v" * 1024)
        Path(f"{stem}.thumb.jpg").write_bytes(thumb)
        Path(f"{stem}.sprite.jpg").write_bytes(sprite)
        Path(f"{stem}.meta.json").write_text(json.dumps({
            "event_id": str(n), "reason": "sensor", "label": "reed_switch", "camera": "cam",
            "started": f"2026-01-01T00:00:{n % 60:02d}+00:00", "stopped": f"2026-01-01T00:00:{n % 60:02d}+00:00",
            "duration_seconds": 12.0,
        }))


def page_scripts(html: Path) -> tuple[set[str], set[str]]:
    """The bundled scripts a page loads at once (entries and their static imports) and on demand."""
    entries = re.findall(r'src="/ui/_astro/([^"]+\.js)"', html.read_text())
    eager, lazy, todo = set(), set(), list(entries)
    while todo:
        name = todo.pop()
        if name in eager:
            continue
        eager.add(name)
        code = (SITE / "_astro" / name).read_text()
        todo.extend(STATIC_IMPORT.findall(code))
        lazy.update(DYNAMIC_IMPORT.findall(code))
    return eager, lazy - eager


def sizes(names: set[str]) -> tuple[int, int]:
    raw = [(SITE / "_astro" / name).read_bytes() for name in names]
    return sum(map(len, raw)), sum(len(gzip.compress(data)) for data in raw)


def report_sizes() -> None:
    files = [path for path in SITE.rglob("*") if path.is_file()]
    total = sum(path.stat().st_size for path in files)
    print(f"built site: {total / 1024:.1f} KiB in {len(files)} files ({SITE.relative_to(ROOT)}/)")
    for html in sorted(SITE.rglob("index.html")):
        folder = html.parent.relative_to(SITE).as_posix()
        page = "/ui/" if folder == "." else f"/ui/{folder}/"
        eager, lazy = page_scripts(html)
        raw, packed = sizes(eager)
        line = f"  {page:16s} JS {raw / 1024:6.1f} KiB, gzipped {packed / 1024:5.1f} KiB"
        if lazy:
            packed_lazy = sizes(lazy)[1]
            line += f"; on demand {packed_lazy / 1024:.1f} KiB gzipped ({', '.join(sorted(lazy))})"
        print(line)


def measure_paint(clips: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        data = Path(data_dir)
        (data / "recordings").mkdir()
        fill(data / "recordings", clips)
        server = LocalServer(data_dir, password=PASSWORD).wait_up()
        base = server.base
        try:
            with sync_playwright() as playwright:
                browser = launch(playwright)
                fcp, tiles = [], []
                for _ in range(runs):
                    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 800})
                    assert context.request.post("/auth/login", form={"username": "admin", "password": PASSWORD}).ok
                    page = context.new_page()
                    page.goto("/ui/archive/")
                    drawn = page.wait_for_function(
                        """() => {
                            const tiles = document.querySelectorAll('li.tile');
                            const first = document.querySelector('li.tile img');
                            return tiles.length >= 48 && first && first.complete && first.naturalWidth > 0
                                ? performance.now() : null;
                        }""", polling="raf", timeout=60_000).json_value()
                    paint = page.evaluate(
                        "performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null")
                    assert page.locator(f"text=Clips ({clips})").count() == 1
                    fcp.append(paint)
                    tiles.append(drawn)
                    context.close()
                browser.close()
        finally:
            server.stop()
    print(f"archive page with {clips} clips, {runs} cold loads in Chromium (1280×800):")
    print(f"  first contentful paint   median {statistics.median(fcp):6.0f} ms  worst {max(fcp):6.0f} ms")
    print(f"  first 48 tiles drawn     median {statistics.median(tiles):6.0f} ms  worst {max(tiles):6.0f} ms"
          " (first thumbnail decoded)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clips", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    report_sizes()
    measure_paint(args.clips, args.runs)


if __name__ == "__main__":
    main()
