"""Detection: motion, object detectors, tracking, zones, events, review items and timeline.

Frames come from the recorder's own ffmpeg (:mod:`.frames`); :class:`.service.Detection` runs one
pipeline thread per camera with detection on (:mod:`.pipeline`). Importing this package loads no
model and no OpenCV: the settings validate detector types through :mod:`.detectors`.
"""
