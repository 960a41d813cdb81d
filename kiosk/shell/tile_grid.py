"""How the home screen arranges 1 to 8 feature tiles, free of Kivy.

Why this module exists: the number of tiles comes from the features a kiosk
has and its config, so the grid cannot be fixed in a kv file. Tiles should be
as large and as close to square as the screen allows, in landscape and in
portrait; this pure function chooses columns and rows and is tested alone.
"""

from __future__ import annotations

LANDSCAPE_COLS = {1: 1, 2: 2, 3: 3, 4: 2, 5: 3, 6: 3, 7: 4, 8: 4}
PORTRAIT_COLS = {1: 1, 2: 1, 3: 1, 4: 2, 5: 2, 6: 2, 7: 2, 8: 2}


def grid_shape(tiles: int, width: float, height: float) -> tuple[int, int]:
    """(columns, rows) for ``tiles`` tiles in a ``width`` x ``height`` area."""
    if tiles <= 0:
        return 1, 1
    n = min(tiles, max(LANDSCAPE_COLS))
    cols = (LANDSCAPE_COLS if width >= height else PORTRAIT_COLS)[n]
    rows = -(-tiles // cols)
    return cols, rows
