"""Starting the app loads no numpy, OpenCV or Pillow: they are imported by the cameras that detect
and the requests that draw pictures (numpy alone is ~15 MB of a 512 MB Pi's memory)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("numpy", "cv2", "PIL")


def loaded_after(statement: str) -> list[str]:
    """The heavy modules in ``sys.modules`` after ``statement`` in a fresh interpreter."""
    script = f"import json, sys\n{statement}\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def test_importing_the_app_loads_no_numpy_opencv_or_pillow() -> None:
    assert loaded_after("import securitycam.app") == []


def test_a_detecting_camera_and_the_first_picture_load_them() -> None:
    # The check above can fail: the paths that need them still load them.
    assert loaded_after("import securitycam.app\n"
                        "import securitycam.detection.pipeline\n"
                        "from securitycam.imaging import placeholder\n"
                        "placeholder(32, 16, 'x')") == list(HEAVY)
