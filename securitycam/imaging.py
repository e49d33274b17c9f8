"""Still images for the Frigate API, with Pillow: resizing a camera's latest JPEG, drawing boxes
and the time on it, a grid, tiling several cameras into one picture, PNG and GIF conversion.

The camera's frames are already JPEGs (the recorder's latest-frame cache), so the plain case
(full size, nothing drawn) sends them as they are; anything else decodes once, draws, and encodes
once. Pillow's JPEG ``draft`` mode lets the decoder itself scale by 1/2, 1/4 or 1/8 when a small
picture is asked for, which is most of the cost saved on a Pi.

Pillow (~4 MB) is imported by the functions that draw or decode, on the first picture asked for:
an appliance nobody asks for one never loads it.

A picture is never made larger than its source (:func:`resized` only scales down, as Frigate's
stills do): ``h=4096`` on a 720p frame gives the 720p frame, not a 50 MB bitmap. A decoded frame
still costs its width × height × 3 bytes, so the still routes hold :func:`conversion_slot` while
they decode, draw and encode: at most :data:`MAX_CONVERSIONS` at once, whatever the number of
viewers; a request that waits :data:`CONVERSION_WAIT_SECONDS` for a turn gets :class:`ImageBusy`.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from PIL import Image, ImageFont

COLORS = {"red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255), "black": (0, 0, 0),
          "white": (255, 255, 255)}
MAX_SIDE = 4096
MAX_CONVERSIONS = 2
CONVERSION_WAIT_SECONDS = 10.0
_conversions = threading.BoundedSemaphore(MAX_CONVERSIONS)


class ImageError(ValueError):
    """The bytes are not an image Pillow can read."""


class ImageBusy(RuntimeError):
    """Every conversion slot stayed taken for :data:`CONVERSION_WAIT_SECONDS`."""


@contextmanager
def conversion_slot() -> Iterator[None]:
    """One of the :data:`MAX_CONVERSIONS` turns to decode, draw and encode a picture."""
    if not _conversions.acquire(timeout=CONVERSION_WAIT_SECONDS):
        raise ImageBusy("busy converting other pictures; try again shortly")
    try:
        yield
    finally:
        _conversions.release()


@dataclass(frozen=True)
class Box:
    """A rectangle in relative coordinates (0-1 of the width and height), as Frigate stores them."""

    x: float
    y: float
    width: float
    height: float
    color: tuple[int, int, int] = (255, 0, 0)
    text: str = ""


def open_jpeg(data: bytes, height: int | None = None) -> Image.Image:
    """Decode ``data``, letting the JPEG decoder scale down towards ``height`` when it can."""
    from PIL import Image

    try:
        image = Image.open(io.BytesIO(data))
        if height and image.format == "JPEG":
            image.draft("RGB", (max(1, image.width * height // max(1, image.height)), height))
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageError(f"not a readable image: {exc}") from exc
    return image.convert("RGB")


def mean_brightness(data: bytes) -> float:
    """The mean luma (0-255) of a JPEG, decoded in grey at 1/8 scale or less: a few ms on a Pi."""
    from PIL import Image, ImageStat

    try:
        image = Image.open(io.BytesIO(data))
        if image.format == "JPEG":
            image.draft("L", (max(1, image.width // 8), max(1, image.height // 8)))
        grey = image.convert("L")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageError(f"not a readable image: {exc}") from exc
    return float(ImageStat.Stat(grey).mean[0])


def encode(image: Image.Image, image_format: str = "JPEG", quality: int = 70) -> bytes:
    out = io.BytesIO()
    if image_format == "JPEG":
        image.save(out, "JPEG", quality=max(1, min(quality, 100)))
    else:
        image.save(out, image_format)
    return out.getvalue()


def resized(image: Image.Image, height: int | None) -> Image.Image:
    """``image`` scaled down to ``height`` (never up: a taller ``height`` leaves it as it is)."""
    from PIL import Image

    if not height or height >= image.height:
        return image
    height = min(height, MAX_SIDE)
    width = max(1, min(MAX_SIDE, round(image.width * height / image.height)))
    return image.resize((width, height), Image.Resampling.BILINEAR)


def font(size: float) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.load_default(size=max(8, round(size)))


def draw_boxes(image: Image.Image, boxes: Sequence[Box]) -> None:
    from PIL import ImageDraw

    draw = ImageDraw.Draw(image)
    # Two pixels at least: a one-pixel line does not survive JPEG's colour subsampling.
    thickness = max(2, image.height // 120)
    label_font = font(max(10, image.height / 30))
    for box in boxes:
        left, top = box.x * image.width, box.y * image.height
        right, bottom = left + box.width * image.width, top + box.height * image.height
        draw.rectangle((left, top, right, bottom), outline=box.color, width=thickness)
        if box.text:
            draw.text((left + thickness, top + thickness), box.text, fill=box.color, font=label_font)


def draw_timestamp(image: Image.Image, moment: float, tz: ZoneInfo | None = None) -> None:
    """The time in the upper left, white on a dark band so it reads on any picture."""
    from PIL import ImageDraw

    text = datetime.fromtimestamp(moment, tz).strftime("%m/%d/%Y %H:%M:%S")
    draw = ImageDraw.Draw(image)
    stamp_font = font(max(10, image.height / 24))
    left, top, right, bottom = draw.textbbox((6, 4), text, font=stamp_font)
    draw.rectangle((left - 3, top - 2, right + 3, bottom + 2), fill=(0, 0, 0))
    draw.text((6, 4), text, fill=(255, 255, 255), font=stamp_font)


def draw_grid(image: Image.Image, color: tuple[int, int, int], font_scale: float, cells: int) -> None:
    """``cells`` × ``cells`` equal regions, each labelled with its column and row."""
    from PIL import ImageDraw

    draw = ImageDraw.Draw(image)
    cell_width, cell_height = image.width / cells, image.height / cells
    label_font = font(24 * font_scale)
    for index in range(1, cells):
        draw.line((index * cell_width, 0, index * cell_width, image.height), fill=color, width=1)
        draw.line((0, index * cell_height, image.width, index * cell_height), fill=color, width=1)
    for column in range(cells):
        for row in range(cells):
            draw.text((column * cell_width + 3, row * cell_height + 2), f"{column},{row}", fill=color, font=label_font)


def placeholder(width: int, height: int, text: str) -> Image.Image:
    """A dark picture with ``text`` in the middle (a camera with no recent frame)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (max(1, width), max(1, height)), (24, 24, 24))
    draw = ImageDraw.Draw(image)
    text_font = font(max(10, height / 14))
    left, top, right, bottom = draw.textbbox((0, 0), text, font=text_font)
    draw.text(((width - (right - left)) / 2, (height - (bottom - top)) / 2), text, fill=(200, 200, 200),
              font=text_font)
    return image


def tile(images: Sequence[Image.Image], width: int, height: int) -> Image.Image:
    """The pictures in a near-square grid on a ``width`` × ``height`` canvas, each fitted to its cell."""
    from PIL import Image

    canvas = Image.new("RGB", (width, height), (0, 0, 0))
    if not images:
        return canvas
    columns = 1
    while columns * columns < len(images):
        columns += 1
    rows = -(-len(images) // columns)
    cell_width, cell_height = width // columns, height // rows
    for index, image in enumerate(images):
        fitted = image.copy()
        fitted.thumbnail((cell_width, cell_height), Image.Resampling.BILINEAR)
        column, row = index % columns, index // columns
        canvas.paste(fitted, (column * cell_width + (cell_width - fitted.width) // 2,
                              row * cell_height + (cell_height - fitted.height) // 2))
    return canvas


def two_to_one(image: Image.Image) -> Image.Image:
    """Padded to a 2:1 aspect ratio (Frigate's ``format=android`` notification thumbnail)."""
    from PIL import Image

    width = max(image.width, image.height * 2)
    height = width // 2
    if height < image.height:
        height, width = image.height, image.height * 2
    canvas = Image.new("RGB", (width, height), (0, 0, 0))
    canvas.paste(image, ((width - image.width) // 2, (height - image.height) // 2))
    return canvas
