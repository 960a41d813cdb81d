"""Slide pictures drawn at build time (Pillow): simple, language-neutral, no copyrighted images.

Why this module exists: lesson slides need a picture that an older resident
can read at a glance, in either language. Each picture is drawn from plain
shapes (and, for people, the project's own stick figure from
``vision.sim``), at twice the size and scaled down for smooth edges; the
slide's text is drawn by the lesson screen, not baked into the picture.
``draw(name)`` returns PNG bytes; ``NAMES`` lists what a lesson source may use
as ``picture = "..."``.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable

from PIL import Image, ImageDraw

W, H = 960, 600
S = 2  # supersampling factor

INK = (38, 50, 72)
PAPER = (250, 247, 240)
GREEN = (46, 160, 95)
RED = (214, 64, 54)
ORANGE = (240, 146, 40)
BLUE = (64, 132, 214)
SKY = (222, 236, 250)
MINT = (222, 244, 230)
PEACH = (253, 232, 214)
SAND = (246, 236, 212)
LILAC = (236, 228, 248)
WOOD = (176, 122, 74)
GREY = (150, 158, 170)
WHITE = (255, 255, 255)

Pen = ImageDraw.ImageDraw


def _p(*xs: float) -> list[float]:
    return [x * S for x in xs]


def _canvas(bg: tuple[int, int, int]) -> tuple[Image.Image, Pen]:
    img = Image.new("RGB", (W * S, H * S), bg)
    d = ImageDraw.Draw(img)
    d.rectangle(_p(0, H - 70, W, H), fill=tuple(max(0, c - 18) for c in bg))
    return img, d


def _png(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.resize((W, H), Image.Resampling.LANCZOS).save(out, "PNG", optimize=True)
    return out.getvalue()


def _line(d: Pen, pts: list[tuple[float, float]], fill: tuple[int, int, int] = INK, width: float = 8) -> None:
    d.line([(x * S, y * S) for x, y in pts], fill=fill, width=int(width * S), joint="curve")
    r = width / 2
    for x, y in (pts[0], pts[-1]):
        d.ellipse(_p(x - r, y - r, x + r, y + r), fill=fill)


def _circle(d: Pen, cx: float, cy: float, r: float, fill: tuple[int, int, int] | None = None,
            outline: tuple[int, int, int] | None = None, width: float = 0) -> None:
    d.ellipse(_p(cx - r, cy - r, cx + r, cy + r), fill=fill, outline=outline, width=int(width * S))


def _rrect(d: Pen, x0: float, y0: float, x1: float, y1: float, r: float,
           fill: tuple[int, int, int] | None = None, outline: tuple[int, int, int] | None = INK,
           width: float = 6) -> None:
    d.rounded_rectangle(_p(x0, y0, x1, y1), radius=r * S, fill=fill, outline=outline, width=int(width * S))


def _check(d: Pen, cx: float, cy: float, r: float = 52) -> None:
    _circle(d, cx, cy, r, fill=GREEN)
    _line(d, [(cx - r * 0.45, cy + r * 0.02), (cx - r * 0.1, cy + r * 0.35), (cx + r * 0.5, cy - r * 0.35)],
          WHITE, r * 0.2)


def _cross(d: Pen, cx: float, cy: float, r: float = 52) -> None:
    _circle(d, cx, cy, r, fill=RED)
    k = r * 0.4
    _line(d, [(cx - k, cy - k), (cx + k, cy + k)], WHITE, r * 0.2)
    _line(d, [(cx - k, cy + k), (cx + k, cy - k)], WHITE, r * 0.2)


def _figure(d: Pen, exercise: str, s: float, x: float, y_floor: float, height: float,
            colour: tuple[int, int, int] = INK, yaw: float = 35.0, width: float = 11) -> None:
    """The project's stick figure (``vision.sim``) at phase ``s`` (0 rest, 1 far end), feet on ``y_floor``."""
    from vision.metrics import SKELETON
    from vision.sim import SimulatedPerson

    person = SimulatedPerson(exercise, reps=1, period_s=2.0, lead_in_s=0.0, noise=0.0,
                             yaw_deg=yaw, render=False, width=1000, height=1000)
    # phase s at time t: s = 0.5 - 0.5 cos(2 pi t / period)
    t = math.acos(max(-1.0, min(1.0, 1 - 2 * s))) / (2 * math.pi) * person.period_s
    lm, _ = person.landmarks_at(t)
    ys = [float(v) for v in lm[:, 1]]
    foot = max(ys)
    scale = height / 0.72
    pts = [(x + (float(px) - 0.5) * scale, y_floor - (foot - float(py)) * scale) for px, py in lm[:, :2]]
    for a, b in SKELETON:
        if a in (0,) or b in (0,):
            continue
        _line(d, [pts[a], pts[b]], colour, width)
    sh = ((pts[11][0] + pts[12][0]) / 2, (pts[11][1] + pts[12][1]) / 2)
    head = pts[0]
    _line(d, [sh, (head[0] * 0.4 + sh[0] * 0.6, head[1] * 0.4 + sh[1] * 0.6)], colour, width)
    _circle(d, head[0], head[1] - height * 0.02, height * 0.075, fill=colour)


def _chair(d: Pen, x: float, y_floor: float, h: float = 200, facing: int = 1) -> None:
    seat_y = y_floor - h * 0.5
    back_x = x - facing * h * 0.28
    _line(d, [(back_x, y_floor), (back_x, y_floor - h)], WOOD, 12)
    _line(d, [(back_x, seat_y), (x + facing * h * 0.28, seat_y)], WOOD, 14)
    _line(d, [(x + facing * h * 0.26, seat_y), (x + facing * h * 0.26, y_floor)], WOOD, 12)


# -- the pictures -----------------------------------------------------------------------


def strong_legs() -> bytes:
    img, d = _canvas(MINT)
    # stairs on the right, a person standing up from a chair on the left
    for i in range(5):
        _rrect(d, 560 + i * 70, 460 - i * 60, 960, 530 - i * 60, 4, fill=SAND, outline=INK, width=4)
    _chair(d, 250, 530, 230)
    _figure(d, "squat", 0.0, 330, 530, 330)
    _figure(d, "knee_raise", 0.7, 745, 340, 260, BLUE)
    return _png(img)


def chair_setup() -> bytes:
    img, d = _canvas(SAND)
    d.rectangle(_p(0, 0, 130, H - 70), fill=(230, 218, 196))  # the wall
    _chair(d, 300, 530, 260, facing=-1)
    _figure(d, "squat", 0.0, 430, 530, 340)
    # feet hip-width: two marks on the floor
    for fx in (395, 445):
        _rrect(d, fx - 20, 540, fx + 20, 560, 8, fill=ORANGE, outline=None)
    _check(d, 830, 140)
    return _png(img)


def squat_side() -> bytes:
    img, d = _canvas(SKY)
    _chair(d, 560, 530, 250, facing=-1)
    _figure(d, "squat", 0.85, 400, 530, 340)
    # arrow: the hips go back, toward the chair
    _line(d, [(450, 330), (515, 330)], ORANGE, 10)
    d.polygon(_p(540, 330, 512, 308, 512, 352), fill=ORANGE)
    _check(d, 830, 140)
    return _png(img)


def breathing() -> bytes:
    img, d = _canvas(LILAC)
    _figure(d, "squat", 0.0, 330, 530, 360)
    for i, r in enumerate((40, 70, 100)):
        d.arc(_p(380 - r, 150 - r, 380 + r, 150 + r), start=-50, end=50, fill=BLUE, width=int(6 * S))
        del i
    # a slow clock: three seconds down, three up
    _circle(d, 720, 260, 120, fill=WHITE, outline=INK, width=8)
    for k in range(12):
        a = k / 12 * 2 * math.pi
        _line(d, [(720 + 100 * math.sin(a), 260 - 100 * math.cos(a)),
                  (720 + 110 * math.sin(a), 260 - 110 * math.cos(a))], INK, 5)
    d.pieslice(_p(620, 160, 820, 360), start=-90, end=-90 + 90, fill=(190, 214, 246))
    _line(d, [(720, 260), (720, 170)], INK, 8)
    _line(d, [(720, 260), (800, 260)], INK, 8)
    return _png(img)


def knee_safety() -> bytes:
    img, d = _canvas(PEACH)
    # a leg with the knee marked: a gentle bend is fine, sharp pain means stop
    _line(d, [(250, 130), (330, 330), (250, 530)], INK, 30)
    _circle(d, 330, 330, 34, fill=ORANGE)
    for a in range(0, 360, 45):
        r = math.radians(a)
        _line(d, [(330 + 50 * math.cos(r), 330 + 50 * math.sin(r)), (330 + 75 * math.cos(r), 330 + 75 * math.sin(r))], RED, 7)
    _rrect(d, 560, 150, 880, 470, 30, fill=WHITE)
    _line(d, [(600, 310), (660, 310), (690, 230), (730, 390), (760, 310), (840, 310)], RED, 10)
    _cross(d, 820, 160, 44)
    return _png(img)


def week_plan() -> bytes:
    img, d = _canvas(MINT)
    x0, y0, cw = 120, 180, 100
    for i in range(7):
        x = x0 + i * (cw + 12)
        _rrect(d, x, y0, x + cw, y0 + 240, 16, fill=WHITE)
        d.rectangle(_p(x + 3, y0 + 3, x + cw - 3, y0 + 50), fill=BLUE if i in (1, 4) else GREY)
        if i in (1, 4):
            _check(d, x + cw / 2, y0 + 150, 36)
    _figure(d, "squat", 0.6, 860, 540, 220, GREEN)
    return _png(img)


def tidy_floor() -> bytes:
    img, d = _canvas(SAND)
    # a loose rug and a cord (crossed out) and a clear path (checked)
    d.polygon(_p(90, 470, 390, 440, 420, 500, 110, 530), fill=(200, 90, 80))
    _line(d, [(150, 440), (230, 400), (320, 430), (380, 380), (440, 400)], INK, 7)
    _cross(d, 250, 300, 50)
    d.rectangle(_p(540, 440, 900, 530), fill=(236, 224, 198))
    _figure(d, "squat", 0.0, 720, 520, 300)
    _check(d, 860, 170, 50)
    return _png(img)


def good_light() -> bytes:
    img, d = _canvas((44, 52, 78))
    # a lamp, a night light by the bed, a light switch
    _line(d, [(250, 520), (250, 260)], (210, 210, 220), 10)
    d.polygon(_p(180, 260, 320, 260, 290, 170, 210, 170), fill=(255, 214, 102))
    d.polygon(_p(180, 260, 320, 260, 420, 520, 80, 520), fill=(255, 236, 170))
    _line(d, [(250, 520), (250, 260)], (120, 120, 140), 10)
    _rrect(d, 520, 380, 860, 470, 18, fill=(120, 140, 190), outline=None)  # the bed
    _circle(d, 900, 470, 26, fill=(255, 214, 102))
    d.pieslice(_p(840, 430, 960, 550), 180, 360, fill=(255, 236, 170))
    _rrect(d, 600, 170, 680, 270, 10, fill=WHITE, outline=None)
    _rrect(d, 625, 195, 655, 245, 6, fill=GREY, outline=None)
    return _png(img)


def bathroom() -> bytes:
    img, d = _canvas(SKY)
    d.rectangle(_p(0, 0, W, H - 70), fill=(230, 240, 248))
    for x in range(0, W, 80):
        _line(d, [(x, 0), (x, H - 70)], (210, 222, 236), 2)
    _rrect(d, 120, 330, 420, 530, 30, fill=WHITE)  # the bath
    _rrect(d, 150, 250, 400, 280, 14, fill=GREY, outline=INK, width=4)  # grab bar
    _line(d, [(170, 280), (170, 330)], GREY, 12)
    _line(d, [(380, 280), (380, 330)], GREY, 12)
    # non-slip mat with dots
    _rrect(d, 480, 480, 800, 545, 14, fill=(120, 190, 150), outline=None)
    for i in range(12):
        _circle(d, 505 + i * 25, 512, 6, fill=(90, 160, 120))
    _check(d, 820, 170, 50)
    return _png(img)


def stairs_rails() -> bytes:
    img, d = _canvas(PEACH)
    for i in range(6):
        _rrect(d, 150 + i * 100, 470 - i * 60, 900, 530 - i * 60, 4, fill=SAND, outline=INK, width=4)
    _line(d, [(150, 380), (750, 20)], WOOD, 14)
    for i in range(6):
        _line(d, [(190 + i * 100, 356 - i * 60), (190 + i * 100, 440 - i * 60)], WOOD, 8)
    _figure(d, "knee_raise", 0.5, 420, 350, 260)
    return _png(img)


def steady_self() -> bytes:
    img, d = _canvas(LILAC)
    # shoes with a closed heel, glasses, a pill box: check eyes, medicines and footwear
    d.chord(_p(100, 380, 360, 560), 180, 360, fill=INK)
    _rrect(d, 100, 460, 360, 490, 10, fill=(80, 70, 60), outline=None)
    _circle(d, 560, 300, 60, outline=INK, width=10)
    _circle(d, 700, 300, 60, outline=INK, width=10)
    _line(d, [(620, 300), (640, 300)], INK, 10)
    _rrect(d, 520, 430, 800, 520, 16, fill=WHITE)
    for i in range(4):
        _line(d, [(520 + 70 * (i + 1), 430), (520 + 70 * (i + 1), 520)], INK, 4)
        _circle(d, 555 + 70 * i, 475, 14, fill=ORANGE)
    _check(d, 860, 140, 48)
    return _png(img)


def after_fall() -> bytes:
    img, d = _canvas(MINT)
    _chair(d, 700, 530, 260, facing=-1)
    # on hands and knees, moving toward the chair
    _line(d, [(260, 530), (330, 440)], INK, 12)
    _line(d, [(330, 440), (480, 430)], INK, 12)
    _line(d, [(480, 430), (500, 530)], INK, 12)
    _line(d, [(330, 440), (300, 530)], INK, 12)
    _circle(d, 530, 400, 30, fill=INK)
    _line(d, [(560, 440), (640, 440)], ORANGE, 10)
    d.polygon(_p(655, 440, 625, 420, 625, 460), fill=ORANGE)
    # a phone for help
    _rrect(d, 110, 150, 210, 330, 18, fill=WHITE)
    _circle(d, 160, 240, 26, fill=GREEN)
    return _png(img)


def balanced_plate() -> bytes:
    img, d = _canvas(SAND)
    _circle(d, 420, 300, 230, fill=WHITE, outline=INK, width=6)
    d.pieslice(_p(210, 90, 630, 510), 90, 270, fill=(120, 190, 110))  # vegetables: half
    d.pieslice(_p(210, 90, 630, 510), 270, 360, fill=(236, 200, 140))  # whole grains
    d.pieslice(_p(210, 90, 630, 510), 0, 90, fill=(226, 130, 110))  # protein
    _line(d, [(420, 90), (420, 510)], WHITE, 6)
    _line(d, [(420, 300), (630, 300)], WHITE, 6)
    _circle(d, 780, 200, 60, fill=(220, 80, 80))  # an apple
    _line(d, [(780, 140), (790, 115)], (110, 80, 50), 6)
    _rrect(d, 740, 320, 830, 500, 14, fill=(240, 248, 255))  # a glass of milk
    return _png(img)


def protein_foods() -> bytes:
    img, d = _canvas(PEACH)
    d.ellipse(_p(100, 250, 380, 380), fill=(120, 160, 200))  # fish
    d.polygon(_p(370, 315, 440, 260, 440, 370), fill=(120, 160, 200))
    _circle(d, 160, 305, 10, fill=INK)
    d.ellipse(_p(480, 230, 600, 380), fill=WHITE, outline=INK, width=8)  # egg
    _rrect(d, 660, 250, 860, 380, 20, fill=(250, 244, 220))  # tofu
    for i in range(8):  # beans
        _circle(d, 300 + i * 45, 470, 18, fill=(150, 100, 60))
    return _png(img)


def milk_daily() -> bytes:
    img, d = _canvas(SKY)
    _rrect(d, 250, 150, 420, 500, 20, fill=WHITE)
    d.polygon(_p(250, 150, 335, 80, 420, 150), fill=(210, 226, 246), outline=INK)
    _rrect(d, 520, 280, 640, 500, 16, fill=(248, 250, 255))
    d.rectangle(_p(526, 330, 634, 494), fill=WHITE)
    _rrect(d, 700, 360, 840, 500, 24, fill=(250, 236, 190))  # yoghurt
    return _png(img)


def less_salt_oil() -> bytes:
    img, d = _canvas(SAND)
    _rrect(d, 200, 200, 320, 480, 30, fill=WHITE)
    _rrect(d, 215, 160, 305, 210, 14, fill=GREY)
    for i in range(3):
        _circle(d, 240 + i * 20, 180, 5, fill=INK)
    _rrect(d, 440, 160, 560, 480, 30, fill=(250, 220, 120))  # oil bottle
    _rrect(d, 475, 110, 525, 165, 10, fill=GREEN)
    # a small spoon: about 5 g of salt a day
    d.ellipse(_p(650, 330, 760, 400), fill=WHITE, outline=INK, width=6)
    _line(d, [(760, 365), (900, 365)], INK, 10)
    _circle(d, 705, 365, 18, fill=(235, 235, 235))
    return _png(img)


def drink_water() -> bytes:
    img, d = _canvas(SKY)
    d.polygon(_p(260, 150, 420, 150, 400, 500, 280, 500), fill=(200, 230, 250), outline=INK)
    d.polygon(_p(272, 260, 408, 260, 400, 500, 280, 500), fill=(120, 180, 240))
    for i in range(6):  # six to eight glasses a day
        x = 520 + (i % 3) * 110
        y = 200 + (i // 3) * 170
        d.polygon(_p(x, y, x + 70, y, x + 62, y + 120, x + 8, y + 120), fill=(120, 180, 240), outline=INK)
    return _png(img)


def eat_together() -> bytes:
    img, d = _canvas(PEACH)
    _rrect(d, 250, 360, 710, 390, 10, fill=WOOD, outline=None)
    _line(d, [(300, 390), (300, 530)], WOOD, 12)
    _line(d, [(660, 390), (660, 530)], WOOD, 12)
    _circle(d, 400, 345, 40, fill=WHITE, outline=INK, width=4)
    _circle(d, 560, 345, 40, fill=WHITE, outline=INK, width=4)
    _figure(d, "squat", 0.0, 160, 530, 300, BLUE, yaw=10)
    _figure(d, "squat", 0.0, 800, 530, 290, GREEN, yaw=10)
    return _png(img)


def _phone(d: Pen, x: float, y: float, w: float = 220, h: float = 400, screen: tuple[int, int, int] = WHITE) -> None:
    _rrect(d, x, y, x + w, y + h, 30, fill=INK, outline=None)
    _rrect(d, x + 14, y + 40, x + w - 14, y + h - 40, 10, fill=screen, outline=None)


def scam_call() -> bytes:
    img, d = _canvas(LILAC)
    _phone(d, 180, 110)
    _circle(d, 290, 260, 50, fill=GREY)
    _rrect(d, 220, 360, 360, 400, 18, fill=RED, outline=None)
    for r in (60, 90, 120):
        d.arc(_p(400 - r, 200 - r, 400 + r, 200 + r), -60, 20, fill=ORANGE, width=int(7 * S))
    # warning triangle
    d.polygon(_p(680, 140, 840, 420, 520, 420), fill=(250, 200, 60), outline=INK)
    _line(d, [(680, 230), (680, 330)], INK, 18)
    _circle(d, 680, 375, 12, fill=INK)
    return _png(img)


def safe_account() -> bytes:
    img, d = _canvas(SAND)
    # a bank with money going to an unknown account: crossed out
    d.polygon(_p(120, 230, 300, 130, 480, 230), fill=GREY)
    for i in range(4):
        _rrect(d, 150 + i * 90, 240, 180 + i * 90, 430, 6, fill=WHITE)
    d.rectangle(_p(120, 430, 480, 460), fill=GREY)
    _line(d, [(520, 330), (660, 330)], INK, 10)
    d.polygon(_p(680, 330, 650, 305, 650, 355), fill=INK)
    _rrect(d, 700, 260, 880, 400, 16, fill=WHITE)
    _circle(d, 790, 330, 30, fill=(200, 200, 200))
    _cross(d, 790, 170, 50)
    return _png(img)


def secret_code() -> bytes:
    img, d = _canvas(MINT)
    _phone(d, 160, 110)
    for i in range(4):
        _rrect(d, 190 + i * 42, 250, 224 + i * 42, 300, 8, fill=(220, 226, 236), outline=None)
        _circle(d, 207 + i * 42, 275, 7, fill=INK)
    # a padlock: codes stay with you
    _rrect(d, 560, 280, 780, 460, 20, fill=ORANGE, outline=INK)
    d.arc(_p(600, 170, 740, 330), 180, 360, fill=INK, width=int(18 * S))
    _circle(d, 670, 360, 18, fill=INK)
    return _png(img)


def bad_link() -> bytes:
    img, d = _canvas(SKY)
    _phone(d, 160, 110)
    _rrect(d, 190, 230, 350, 330, 16, fill=(226, 236, 250), outline=None)
    _line(d, [(210, 300), (330, 300)], BLUE, 6)
    # a chain link, crossed out
    d.ellipse(_p(520, 230, 680, 330), outline=INK, width=int(14 * S))
    d.ellipse(_p(620, 270, 780, 370), outline=INK, width=int(14 * S))
    _cross(d, 820, 170, 50)
    return _png(img)


def call_family() -> bytes:
    img, d = _canvas(PEACH)
    _phone(d, 120, 110)
    _circle(d, 230, 260, 50, fill=GREEN)
    _figure(d, "squat", 0.0, 560, 530, 300, BLUE, yaw=10)
    _figure(d, "squat", 0.0, 760, 530, 250, GREEN, yaw=10)
    for r in (40, 65):
        d.arc(_p(400 - r, 250 - r, 400 + r, 250 + r), -50, 50, fill=GREEN, width=int(7 * S))
    return _png(img)


def shield_app() -> bytes:
    img, d = _canvas(SKY)
    _phone(d, 180, 110, screen=(236, 244, 255))
    d.polygon(_p(290, 200, 370, 230, 360, 340, 290, 390, 220, 340, 210, 230), fill=BLUE)
    _line(d, [(255, 300), (285, 330), (330, 265)], WHITE, 12)
    # the police: call 110 or the anti-fraud line 96110
    _rrect(d, 560, 200, 860, 420, 30, fill=WHITE)
    _circle(d, 640, 310, 50, fill=BLUE)
    _line(d, [(720, 280), (820, 280)], INK, 10)
    _line(d, [(720, 340), (800, 340)], INK, 10)
    return _png(img)


PICTURES: dict[str, Callable[[], bytes]] = {
    f.__name__: f for f in (
        strong_legs, chair_setup, squat_side, breathing, knee_safety, week_plan,
        tidy_floor, good_light, bathroom, stairs_rails, steady_self, after_fall,
        balanced_plate, protein_foods, milk_daily, less_salt_oil, drink_water, eat_together,
        scam_call, safe_account, secret_code, bad_link, call_family, shield_app,
    )
}
NAMES = tuple(sorted(PICTURES))


def draw(name: str) -> bytes:
    """PNG bytes of the named picture; ``KeyError`` for an unknown name."""
    return PICTURES[name]()
