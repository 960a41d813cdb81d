"""Child process: play an mp4 through Kivy's video provider in a real window; print one JSON line."""

from __future__ import annotations

import json
import os
import sys
import time


def main() -> int:
    path = sys.argv[1]
    from kiosk.startup.display import ensure_display

    vd = ensure_display(800, 600)
    os.environ["KIVY_VIDEO"] = "ffpyplayer"
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kivy.clock import Clock
    from kivy.core.video import Video
    from kivy.core.window import Window

    frames: list[float] = []
    eos: list[int] = []
    v = Video(filename=path)
    v.bind(on_frame=lambda *_: frames.append(v.position))
    v.bind(on_eos=lambda *_: eos.append(1))
    v.play()
    t0 = time.monotonic()
    while time.monotonic() - t0 < 60 and not eos:
        Clock.tick()
        Window.dispatch("on_flip")
        time.sleep(0.005)
    size = list(v.texture.size) if v.texture is not None else None
    print(json.dumps({"provider": type(v).__name__, "frames": len(frames), "eos": bool(eos),
                      "duration": v.duration, "texture": size}))
    v.unload()
    if vd is not None:
        vd.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
