"""Where the object detector looks: square regions around motion and tracked objects.

A model squashes whatever it is given to its input size, so a person 200 px tall in a whole
640×360 frame is a smudge to it; a square crop around them is not. Each box gets a square at
least the model's input size (and 20 % wider than the box), kept inside the frame; squares that
overlap are merged into one that covers both, until none overlap. Boxes are (x1, y1, x2, y2).
"""

from __future__ import annotations

Box = tuple[int, int, int, int]

MARGIN = 1.2


def square_around(box: Box, min_side: int, width: int, height: int) -> Box:
    x1, y1, x2, y2 = box
    side = min(max(min_side, round(max(x2 - x1, y2 - y1) * MARGIN)), width, height)
    left = min(max(0, (x1 + x2) // 2 - side // 2), width - side)
    top = min(max(0, (y1 + y2) // 2 - side // 2), height - side)
    return left, top, left + side, top + side


def overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def regions_for(boxes: list[Box], min_side: int, width: int, height: int) -> list[Box]:
    """Non-overlapping squares covering ``boxes`` in a ``width``×``height`` frame.

    Overlapping squares are replaced by the square around the union of the boxes they were made
    for (not of the squares, which would grow by the margin at every merge), unless no square fits
    in the frame around that union: then both stay, overlapping, so no box is left uncovered."""
    groups = [(box, square_around(box, min_side, width, height)) for box in boxes]
    merged = True
    while merged:
        merged = False
        pairs = [(i, j) for i in range(len(groups)) for j in range(i + 1, len(groups))]
        for i, j in pairs:
            a, b = groups[i][0], groups[j][0]
            union = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
            fits = max(union[2] - union[0], union[3] - union[1]) <= min(width, height)
            if fits and overlap(groups[i][1], groups[j][1]):
                groups[i] = (union, square_around(union, min_side, width, height))
                del groups[j]
                merged = True
                break
    return [square for _, square in groups]


def contains_point(box: Box, x: float, y: float) -> bool:
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]
