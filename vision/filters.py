"""One Euro filter on landmarks, with visibility gating.

Why this module exists: raw landmarks jitter by a few pixels even when a
person stands still; thresholds on joint angles turn that jitter into phantom
repetitions. The One Euro filter (Casiez, Roussel, Vogel, CHI 2012) smooths
strongly when a point moves slowly and follows quickly when it moves fast, so
it removes jitter without lagging a real movement.

Visibility gating: a landmark whose visibility is below ``min_visibility``
does not update its filter (its last good position is held and marked not
visible); one that was gone for longer than ``reset_after_s`` restarts its
filter when it returns, instead of gliding in from where it was lost.
"""

from __future__ import annotations

import math

import numpy as np


def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * math.pi * np.asarray(cutoff))
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """Vectorised One Euro filter over an array of values of fixed shape."""

    def __init__(self, min_cutoff: float = 1.5, beta: float = 0.5, d_cutoff: float = 1.0):
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.d_cutoff = d_cutoff
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: float | None = None

    def reset(self) -> None:
        self._x = self._dx = None
        self._t = None

    def __call__(self, x: np.ndarray, t: float, mask: np.ndarray | None = None) -> np.ndarray:
        """Filter ``x`` at time ``t``; rows where ``mask`` is False keep their old value."""
        x = np.asarray(x, dtype=np.float64)
        if self._x is None or self._t is None or self._dx is None:
            self._x = x.copy()
            self._dx = np.zeros_like(x)
            self._t = t
            return self._x.copy()
        dt = t - self._t
        if dt <= 0:
            dt = 1e-3
        self._t = t
        dx = (x - self._x) / dt
        a_d = _alpha(self.d_cutoff, dt)
        dx_hat = a_d * dx + (1 - a_d) * self._dx
        cutoff = self.min_cutoff + self.beta * np.abs(dx_hat)
        a = _alpha(cutoff, dt)
        x_hat = a * x + (1 - a) * self._x
        if mask is not None:
            keep = ~mask
            x_hat[keep] = self._x[keep]
            dx_hat[keep] = self._dx[keep]
        self._x = x_hat
        self._dx = dx_hat
        return x_hat.copy()


class LandmarkFilter:
    """One Euro filter on ``(33, 4)`` landmarks with visibility gating.

    Returns filtered landmarks of the same shape; the visibility column is the
    raw visibility of the current frame (0 when the landmark is gated out).
    Coordinates are filtered in the image's own proportions (x scaled by the
    aspect ratio) so horizontal and vertical jitter are treated alike.
    """

    def __init__(self, min_visibility: float = 0.5, reset_after_s: float = 0.5,
                 min_cutoff: float = 1.5, beta: float = 2.0):
        self.min_visibility = min_visibility
        self.reset_after_s = reset_after_s
        self._f = OneEuroFilter(min_cutoff=min_cutoff, beta=beta)
        # world landmarks are in metres (a body is ~1.7 m against ~0.8 of the picture)
        self._fw = OneEuroFilter(min_cutoff=min_cutoff, beta=beta / 2)
        self._last_seen = np.full(33, -1e9)
        self._have = False

    def reset(self) -> None:
        self._f.reset()
        self._fw.reset()
        self._last_seen[:] = -1e9
        self._have = False

    def world(self, w: np.ndarray | None, t: float) -> np.ndarray | None:
        """Filter world landmarks (call after ``__call__`` for the same frame)."""
        if w is None:
            self._fw.reset()
            return None
        w = np.asarray(w, dtype=np.float64)
        fin = np.isfinite(w)
        if not fin.all():
            w = np.where(fin, w, 0.0)
        return self._fw(w, t)

    def __call__(self, lm: np.ndarray, t: float) -> np.ndarray:
        lm = np.asarray(lm, dtype=np.float64)
        vis = lm[:, 3]
        vis = np.where(vis == vis, vis, 0.0)  # NaN -> 0 (cheaper than nan_to_num)
        finite = np.isfinite(lm[:, :3])
        ok = (vis >= self.min_visibility) & finite.all(axis=1)
        xyz = np.where(finite, lm[:, :3], 0.0)
        if not self._have:
            out = self._f(xyz, t)
            self._have = True
        else:
            stale = ok & ((t - self._last_seen) > self.reset_after_s)
            fx, fdx = self._f._x, self._f._dx
            if stale.any() and fx is not None and fdx is not None:
                # restart the filter for landmarks coming back after a long absence
                fx[stale] = xyz[stale]
                fdx[stale] = 0.0
            out = self._f(xyz, t, mask=np.repeat(ok[:, None], 3, axis=1))
        self._last_seen[ok] = t
        res = np.empty((33, 4))
        res[:, :3] = out
        res[:, 3] = np.where(ok, vis, 0.0)
        return res
