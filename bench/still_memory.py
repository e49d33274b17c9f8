"""What one oversized still costs: the peak RSS growth of ``h=4096`` (and a plain ``h=360``) on a
1280×720 camera frame, decoded, resized and encoded the way the Frigate still routes do it
(:mod:`securitycam.imaging`), and the size of the picture sent.

    .venv/bin/python bench/still_memory.py

Each case runs in a fresh process (peak RSS only grows), three times in a row.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASE = """
import resource, sys
sys.path.insert(0, {root!r})
from PIL import Image
from securitycam.imaging import encode, open_jpeg, resized
frame = encode(Image.new("RGB", (1280, 720), (90, 120, 30)))
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for _ in range(3):
    image = resized(open_jpeg(frame, {height}), {height})
    data = encode(image)
grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
print(f"h={height}: sent {{image.width}}x{{image.height}} ({{len(data) // 1024}} KiB), peak RSS +{{grown:.1f}} MB")
"""


def main() -> None:
    for height in (4096, 360):
        subprocess.run([sys.executable, "-c", CASE.format(root=str(ROOT), height=height)], check=True)


if __name__ == "__main__":
    main()
