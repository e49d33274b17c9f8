"""The recorder: camera segment rings, event clips, snapshots (see :mod:`securitycam.recorder.service`)."""

from securitycam.recorder.service import Recorder, RecorderError

__all__ = ["Recorder", "RecorderError"]
