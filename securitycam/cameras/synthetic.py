"""``synthetic``: a moving test pattern with the wall clock burned in, made by ffmpeg's lavfi.

The default camera off a Pi: it lets the whole appliance (recorder, clips, snapshots, timelapse)
run and be tested with no camera. ``-re`` paces it in real time, as a camera would be.
"""

from __future__ import annotations

from pathlib import Path

from securitycam.cameras.base import CameraSource, register_source

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSansMono.ttf",
)


def clock_font() -> str | None:
    return next((font for font in FONT_CANDIDATES if Path(font).exists()), None)


@register_source("synthetic")
class SyntheticSource(CameraSource):
    software_isp = True

    def input_args(self) -> list[str]:
        camera = self.camera
        graph = f"testsrc2=size={camera.width}x{camera.height}:rate={camera.fps}"
        font = clock_font()
        if font:
            size = max(12, camera.height // 18)
            graph += (
                f",drawtext=fontfile={font}:text='{camera.name} %{{localtime}}'"
                f":x=8:y=8:fontsize={size}:fontcolor=white:box=1:boxcolor=black@0.6"
            )
        return ["-re", "-f", "lavfi", "-i", graph]
