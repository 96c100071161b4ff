"""Synthetic US plate character lines, cut and degraded the way the product's pipeline sees them.

A plate is drawn with PIL (background graphics, state name and slogan lines, bolts, stickers,
frame, the character line in a condensed bold sans font), placed into a camera view by a random
homography at a random size (characters 10-70 px tall), degraded like a camera (blur, motion,
noise, exposure, IR night look, JPEG), and the character line is cut out by a box shaped like the
PP-OCR detector's: tight on the characters (sometimes clipping an edge or taking in part of the
state line), looser, or most of a small plate with its edges and frame. The cut is warped to
128x32 grey with OpenCV's INTER_LINEAR and BORDER_REPLICATE, as inference does. A batch made by
`generate(seed, count)` is a pure function of its arguments.
"""
import math
import os

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

LINE_W, LINE_H = 128, 32
CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"
# US issuers avoid O (and the benchmark labels write its glyph as 0): it stays, but rare.
LETTERS = "ABCDEFGHIJKLMNPQRSTUVWXYZ"
LETTER_O_PROB = 0.012

FONT_DIRS = [
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/truetype/liberation",
    "/usr/share/fonts/truetype/liberation2",
    "/usr/share/fonts/opentype/urw-base35",
    "/usr/share/fonts/truetype/roboto/unhinted",
    "/usr/share/fonts/opentype/bebas-neue",
    "/usr/share/fonts/truetype/opendin",
    "/usr/share/fonts/truetype/freefont",
]
# Character-line fonts: condensed/narrow bold grotesques like US plate lettering, a few wider.
PLATE_FONTS = {
    "DejaVuSansCondensed-Bold.ttf": 3,
    "DejaVuSansCondensed.ttf": 1,
    "DejaVuSans-Bold.ttf": 1,
    "DejaVuSansMono-Bold.ttf": 1,
    "LiberationSansNarrow-Bold.ttf": 3,
    "LiberationSansNarrow-Regular.ttf": 1,
    "LiberationSans-Bold.ttf": 1,
    "NimbusSansNarrow-Bold.otf": 3,
    "NimbusSansNarrow-Regular.otf": 1,
    "NimbusSans-Bold.otf": 1,
    "RobotoCondensed-Bold.ttf": 3,
    "RobotoCondensed-Medium.ttf": 2,
    "RobotoCondensed-Regular.ttf": 1,
    "BebasNeue-Bold.otf": 2,
    "BebasNeue-Regular.otf": 2,
    "OSP-DIN.ttf": 2,
    "FreeSansBold.ttf": 1,
    "URWGothic-Demi.otf": 1,
}
# State names and slogans: anything goes, serif and script included.
DECOR_FONTS = [
    "DejaVuSerif-Bold.ttf", "DejaVuSans-Bold.ttf", "LiberationSerif-BoldItalic.ttf",
    "LiberationSans-Bold.ttf", "NimbusRoman-Bold.otf", "NimbusSans-BoldItalic.otf",
    "Z003-MediumItalic.otf", "C059-BdIta.otf", "RobotoCondensed-Bold.ttf", "FreeSerifBold.ttf",
    "URWBookman-Demi.otf", "NimbusSansNarrow-Bold.otf", "DejaVuSansCondensed.ttf",
]
STATES = [
    "ALABAMA", "ALASKA", "ARIZONA", "ARKANSAS", "CALIFORNIA", "COLORADO", "CONNECTICUT", "DELAWARE",
    "FLORIDA", "GEORGIA", "HAWAII", "IDAHO", "ILLINOIS", "INDIANA", "IOWA", "KANSAS", "KENTUCKY",
    "LOUISIANA", "MAINE", "MARYLAND", "Massachusetts", "MICHIGAN", "MINNESOTA", "MISSISSIPPI",
    "Missouri", "MONTANA", "NEBRASKA", "NEVADA", "New Hampshire", "NEW JERSEY", "NEW MEXICO",
    "NEW YORK", "North Carolina", "NORTH DAKOTA", "OHIO", "OKLAHOMA", "OREGON", "PENNSYLVANIA",
    "RHODE ISLAND", "South Carolina", "SOUTH DAKOTA", "TENNESSEE", "TEXAS", "UTAH", "Vermont",
    "VIRGINIA", "WASHINGTON", "West Virginia", "WISCONSIN", "WYOMING",
]
SLOGANS = [
    "THE FIRST STATE", "Land of Lincoln", "FAMOUS POTATOES", "GRAND CANYON STATE", "Sunshine State",
    "EMPIRE STATE", "Live Free or Die", "Garden State", "visitPA.com", "The Spirit of America",
    "Green Mountain State", "WILD WONDERFUL", "Great Faces. Great Places.", "ALOHA STATE",
    "Crossroads of America", "dmv.ca.gov", "Land of Enchantment", "Lone Star State", "Peach State",
    "Vacationland", "First in Flight", "SPORTSMAN'S PARADISE", "Taxation Without Representation",
    "10,000 Lakes", "Beautiful Wisdom", "Heart of Dixie", "Celebrating Statehood 1959-2009",
]
# Plate text formats: 1 digit, A letter, * either, | a place a separator may be drawn.
FORMATS = [
    ("1|AAA|111", 6), ("AAA|1111", 6), ("AAA|111", 6), ("111|AAA", 5), ("1|AAA|11", 2),
    ("AA1|A1A", 2), ("AA|11111", 1), ("A|111111", 1), ("AAAA|11", 1), ("AAA|11A", 1),
    ("A11|AAA", 1), ("1AA|1111", 1), ("111|A11", 1), ("11111", 1), ("111111", 1), ("1111111", 1),
    ("111|1111", 1), ("11|A|1111", 1), ("AA|1111", 1), ("1A|11111", 1), ("11|AAA1", 1),
]


def _find_font(name):
    for d in FONT_DIRS:
        p = os.path.join(d, name)
        if os.path.exists(p):
            return p
    return None


def available_fonts():
    plate = [(p, w) for p, w in ((_find_font(n), w) for n, w in PLATE_FONTS.items()) if p]
    decor = [p for p in (_find_font(n) for n in DECOR_FONTS) if p]
    if len(plate) < 4:
        raise RuntimeError(
            "synth_plates: too few plate fonts found (%d); install recognizer/training/apt-packages.txt" % len(plate)
        )
    return plate, decor


_FONT_CACHE = {}


def font(path, size):
    key = (path, size)
    f = _FONT_CACHE.get(key)
    if f is None:
        f = ImageFont.truetype(path, size)
        if len(_FONT_CACHE) > 4000:
            _FONT_CACHE.clear()
        _FONT_CACHE[key] = f
    return f


_GLYPH_CACHE = {}


def glyph(font_path, size, ch, stroke):
    """A character's ink as an L image with its bbox offset (cached: the line font size is fixed)."""
    key = (font_path, size, ch, stroke)
    g = _GLYPH_CACHE.get(key)
    if g is None:
        f = font(font_path, size)
        bb = f.getbbox(ch, stroke_width=stroke)
        im = Image.new("L", (max(1, bb[2] - bb[0]), max(1, bb[3] - bb[1])), 0)
        ImageDraw.Draw(im).text((-bb[0], -bb[1]), ch, font=f, fill=255, stroke_width=stroke, stroke_fill=255)
        g = (im, bb)
        _GLYPH_CACHE[key] = g
    return g


def random_letter(rng):
    return "O" if rng.random() < LETTER_O_PROB else LETTERS[rng.integers(len(LETTERS))]


def random_text(rng):
    """Returns (label, groups): the label, and its character groups split where separators may go."""
    r = rng.random()
    if r < 0.1:
        n = int(rng.integers(3, 8))
        label = "".join(random_letter(rng) for _ in range(n))
        cut = int(rng.integers(1, n)) if n > 3 and rng.random() < 0.3 else n
        return label, [label[:cut], label[cut:]] if cut < n else [label]
    if r < 0.2:
        n = int(rng.integers(2, 8))
        label = "".join(DIGITS[rng.integers(10)] if rng.random() < 0.45 else random_letter(rng) for _ in range(n))
        return label, [label]
    weights = np.array([w for _, w in FORMATS], dtype=float)
    fmt = FORMATS[rng.choice(len(FORMATS), p=weights / weights.sum())][0]
    groups = []
    for part in fmt.split("|"):
        groups.append("".join(DIGITS[rng.integers(10)] if c == "1" else random_letter(rng) for c in part))
    return "".join(groups), groups


def rand_color(rng, lo, hi):
    return tuple(int(v) for v in rng.integers(lo, hi + 1, size=3))


def plate_colors(rng):
    """Background description and text colour; `inverted` is light text on a dark plate."""
    r = rng.random()
    dark_text = [(10, 20, 90), (15, 15, 15), (0, 60, 30), (140, 10, 20), (90, 0, 30), (20, 40, 120), (60, 30, 10)]
    text = dark_text[rng.integers(len(dark_text))]
    text = tuple(int(np.clip(c + rng.integers(-15, 16), 0, 255)) for c in text)
    if r < 0.1:
        bg = rand_color(rng, 0, 90)
        text = rand_color(rng, 190, 255) if rng.random() < 0.6 else (int(rng.integers(200, 256)), int(rng.integers(170, 230)), int(rng.integers(40, 120)))
        return {"bg": bg, "bg2": rand_color(rng, 0, 90), "mode": "solid" if rng.random() < 0.5 else "gradient"}, text, True
    choices = [(245, 245, 240), (250, 250, 250), (240, 220, 60), (200, 225, 245), (225, 230, 235), (245, 235, 200)]
    bg = choices[rng.integers(len(choices))] if rng.random() < 0.7 else rand_color(rng, 150, 255)
    bg = tuple(int(np.clip(c + rng.integers(-20, 21), 0, 255)) for c in bg)
    mode = ["solid", "gradient", "graphic"][rng.choice(3, p=[0.35, 0.3, 0.35])]
    return {"bg": bg, "bg2": rand_color(rng, 120, 255), "mode": mode}, text, False


def draw_background(rng, w, h, spec):
    bg = np.array(spec["bg"], dtype=np.uint8)
    if spec["mode"] == "solid":
        img = np.empty((h, w, 3), np.uint8)
        img[:] = bg
    else:
        # A two-colour ramp, drawn small and stretched (cheap).
        bg2 = np.array(spec["bg2"], dtype=np.float32)
        t = np.linspace(0, 1, 16, dtype=np.float32) ** rng.uniform(0.5, 2.0)
        if rng.random() < 0.5:
            t = t[::-1]
        ramp = (bg.astype(np.float32)[None, :] * (1 - t[:, None]) + bg2[None, :] * t[:, None]).astype(np.uint8)
        if rng.random() < 0.6:
            img = cv2.resize(ramp[:, None, :], (w, h), interpolation=cv2.INTER_LINEAR)
        else:
            img = cv2.resize(ramp[None, :, :], (w, h), interpolation=cv2.INTER_LINEAR)
    pil = Image.fromarray(img)
    if spec["mode"] == "graphic":
        layer = pil.copy()
        d = ImageDraw.Draw(layer)
        for _ in range(int(rng.integers(1, 6))):
            col = rand_color(rng, 60, 255)
            kind = rng.random()
            if kind < 0.45:
                # Mountains, waves, skyline: a polygon from the bottom edge.
                n = int(rng.integers(4, 12))
                xs = np.sort(rng.uniform(0, w, n))
                base = rng.uniform(0.3, 1.0) * h
                pts = [(0, h)] + [(float(x), float(base - rng.uniform(0, 0.5) * h)) for x in xs] + [(w, h)]
                d.polygon(pts, fill=col)
            elif kind < 0.8:
                cx, cy = rng.uniform(0, w), rng.uniform(0, h)
                rx, ry = rng.uniform(0.05, 0.4) * w, rng.uniform(0.1, 0.6) * h
                d.ellipse([cx - rx, cy - ry, cx + rx, cy + ry], fill=col)
            else:
                y = rng.uniform(0, h)
                d.rectangle([0, y, w, y + rng.uniform(0.03, 0.15) * h], fill=col)
        # Graphics are printed faintly under the characters.
        pil = Image.blend(pil, layer, float(rng.uniform(0.2, 0.6)))
    return pil


def text_mask(rng, groups, font_path, cap_px):
    """The character line (characters and separators) as an L mask; returns (mask, ink bbox)."""
    size = int(cap_px * 1.38)
    stroke = int(rng.integers(0, 3)) if rng.random() < 0.35 else 0
    spacing = rng.uniform(0.03, 0.3) * cap_px
    if rng.random() < 0.15:
        spacing = rng.uniform(0.3, 0.7) * cap_px
    sep_kind = rng.choice(["none", "space", "dash", "dot", "icon"], p=[0.3, 0.3, 0.18, 0.1, 0.12])
    pieces = []
    for gi, g in enumerate(groups):
        if gi > 0:
            pieces.append(("sep", sep_kind))
        for ch in g:
            pieces.append(("ch", ch))
    # Measure.
    widths = []
    for kind, v in pieces:
        if kind == "ch":
            im, bb = glyph(font_path, size, v, stroke)
            widths.append(bb[2] - bb[0])
        else:
            widths.append({"none": 0, "space": 0.45, "dash": 0.4, "dot": 0.2, "icon": 0.8}[v] * cap_px)
    total = int(sum(widths) + spacing * (len(pieces) - 1) + 2 * cap_px)
    H = int(cap_px * 2.2)
    mask = Image.new("L", (max(total, 8), H), 0)
    d = ImageDraw.Draw(mask)
    asc_bb = glyph(font_path, size, "H", stroke)[1]
    top = int(cap_px * 0.6) - asc_bb[1]
    x = cap_px
    for (kind, v), wdt in zip(pieces, widths):
        if kind == "ch":
            im, bb = glyph(font_path, size, v, stroke)
            mask.paste(255, (int(round(x)), top + bb[1]), im)
        elif v == "dash":
            th = rng.uniform(0.07, 0.13) * cap_px
            yc = cap_px * 0.6 + cap_px * rng.uniform(0.45, 0.55)
            d.rectangle([x, yc - th / 2, x + wdt, yc + th / 2], fill=255)
        elif v == "dot":
            r = rng.uniform(0.05, 0.09) * cap_px
            xc, yc = x + wdt / 2, cap_px * 0.6 + cap_px * 0.5
            d.ellipse([xc - r, yc - r, xc + r, yc + r], fill=255)
        elif v == "icon":
            # A state emblem between the groups (outline, star, sun, silhouette).
            xc, yc = x + wdt / 2, cap_px * 0.6 + cap_px * rng.uniform(0.3, 0.7)
            r = rng.uniform(0.2, 0.4) * cap_px
            n = int(rng.integers(3, 9))
            ang = np.sort(rng.uniform(0, 2 * math.pi, n))
            pts = [(float(xc + r * rng.uniform(0.5, 1.2) * math.cos(a)), float(yc + r * rng.uniform(0.5, 1.2) * math.sin(a))) for a in ang]
            if rng.random() < 0.5:
                d.polygon(pts, fill=int(rng.integers(80, 256)))
            else:
                d.line(pts + [pts[0]], fill=int(rng.integers(120, 256)), width=max(1, int(cap_px * 0.04)))
        x += wdt + spacing
    arr = np.asarray(mask)
    ys, xs = np.nonzero(arr > 64)
    if len(xs) == 0:
        return None
    stretch = rng.uniform(0.7, 1.25)
    if abs(stretch - 1) > 0.03:
        mask = mask.resize((max(8, int(mask.width * stretch)), mask.height), Image.BILINEAR)
        arr = np.asarray(mask)
        ys, xs = np.nonzero(arr > 64)
    return mask, (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)


def render_plate(rng, fonts):
    """Draws a plate in colour on a bit of car; returns (image RGB, label, text-line ink box)."""
    plate_fonts, decor_fonts = fonts
    label, groups = random_text(rng)
    paths = [p for p, _ in plate_fonts]
    weights = np.array([w for _, w in plate_fonts], float)
    font_path = paths[rng.choice(len(paths), p=weights / weights.sum())]
    cap = 40
    tm = text_mask(rng, groups, font_path, cap)
    if tm is None:
        return None
    mask, (mx0, my0, mx1, my1) = tm
    tw, th = mx1 - mx0, my1 - my0
    margin_x = rng.uniform(0.25, 1.4) * th
    above = rng.uniform(0.45, 0.9) * th
    below = rng.uniform(0.35, 0.8) * th
    pw, ph = int(tw + 2 * margin_x), int(th + above + below)
    bg_spec, text_col, inverted = plate_colors(rng)
    plate = draw_background(rng, pw, ph, bg_spec)
    d = ImageDraw.Draw(plate)
    tx, ty = int(margin_x), int(above)

    # State name above, slogan below, at times crowding the character line.
    decor_col = text_col if rng.random() < 0.5 else rand_color(rng, 0, 200) if not inverted else rand_color(rng, 150, 255)
    if rng.random() < 0.85:
        name = STATES[rng.integers(len(STATES))]
        fs = int(th * rng.uniform(0.22, 0.5))
        f = font(decor_fonts[rng.integers(len(decor_fonts))], max(6, fs // 2 * 2))
        bb = f.getbbox(name)
        gap = th * rng.uniform(-0.05, 0.3)
        x = rng.uniform(0, max(1, pw - (bb[2] - bb[0])))
        d.text((x - bb[0], ty - gap - bb[3]), name, font=f, fill=decor_col)
    if rng.random() < 0.7:
        slogan = SLOGANS[rng.integers(len(SLOGANS))]
        fs = int(th * rng.uniform(0.15, 0.35))
        f = font(decor_fonts[rng.integers(len(decor_fonts))], max(6, fs // 2 * 2))
        bb = f.getbbox(slogan)
        gap = th * rng.uniform(-0.03, 0.25)
        x = rng.uniform(0, max(1, pw - (bb[2] - bb[0])))
        d.text((x - bb[0], ty + th + gap - bb[1]), slogan, font=f, fill=decor_col)
    # Stickers in the top corners, maybe reaching into the character line.
    for _ in range(int(rng.choice([0, 1, 2], p=[0.4, 0.4, 0.2]))):
        sw, sh = th * rng.uniform(0.25, 0.6), th * rng.uniform(0.25, 0.55)
        sx = rng.uniform(0, 0.15) * pw if rng.random() < 0.5 else pw - sw - rng.uniform(0, 0.15) * pw
        sy = rng.uniform(0.05, 0.7) * above
        d.rectangle([sx, sy, sx + sw, sy + sh], fill=rand_color(rng, 0, 255))
        if rng.random() < 0.7:
            f = font(decor_fonts[0], max(6, int(sh * 0.5) // 2 * 2))
            d.text((sx + 2, sy + 1), str(int(rng.integers(10, 99))), font=f, fill=rand_color(rng, 0, 255))

    # The characters, embossed sometimes (a shadow offset).
    if rng.random() < 0.4:
        off = (int(rng.integers(-3, 4)), int(rng.integers(1, 4)))
        shade = tuple(int(c * rng.uniform(0.4, 0.8)) for c in bg_spec["bg"])
        plate.paste(Image.new("RGB", mask.size, shade), (tx - mx0 + off[0], ty - my0 + off[1]), mask)
    plate.paste(Image.new("RGB", mask.size, text_col), (tx - mx0, ty - my0), mask)

    # Bolts.
    if rng.random() < 0.6:
        r = th * rng.uniform(0.05, 0.1)
        bx = rng.uniform(0.15, 0.35) * pw
        for x in (bx, pw - bx):
            for y in ([ty - rng.uniform(0.15, 0.45) * th] if rng.random() < 0.7 else [ty - 0.3 * th, ty + th * 1.25]):
                col = rand_color(rng, 90, 220)
                d.ellipse([x - r, y - r, x + r, y + r], fill=col, outline=(60, 60, 60))

    # A bit of car and the plate frame around it.
    pad = int(th * rng.uniform(0.3, 1.0))
    car = Image.new("RGB", (pw + 2 * pad, ph + 2 * pad), rand_color(rng, 0, 255))
    car.paste(plate, (pad, pad))
    if rng.random() < 0.5:
        dc = ImageDraw.Draw(car)
        fw = max(1, int(th * rng.uniform(0.04, 0.2)))
        col = rand_color(rng, 0, 60) if rng.random() < 0.6 else rand_color(rng, 150, 230)
        dc.rectangle([pad - fw, pad - fw, pad + pw + fw, pad + ph + fw], outline=col, width=fw)
        if rng.random() < 0.4:
            # Dealer frames cover the bottom edge, slogan included.
            fb = int(th * rng.uniform(0.2, 0.6))
            dc.rectangle([pad - fw, pad + ph - fb, pad + pw + fw, pad + ph + fw], fill=col)
    box = (tx + pad, ty + pad, tx + pad + tw, ty + pad + th)
    return car, label, box, (pad, pad, pad + pw, pad + ph)


def homography(src, dst):
    return cv2.getPerspectiveTransform(np.float32(src), np.float32(dst))


def camera_view(rng, img, box, region, char_px):
    """Puts the plate image into a camera frame: characters `char_px` tall, rotation, perspective.

    Returns (frame, quad of `region` in the frame).
    """
    th = box[3] - box[1]
    x0, y0, x1, y1 = region
    s = char_px / th
    w, h = img.size
    # Pre-shrink with area filtering so the warp below does not alias more than a camera would.
    if s < 0.7:
        f = max(s * rng.uniform(1.0, 1.6), 0.05)
        img = img.resize((max(8, int(w * f)), max(8, int(h * f))), Image.BOX)
        x0, y0, x1, y1 = x0 * f, y0 * f, x1 * f, y1 * f
        s /= f
        w, h = img.size
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    ang = math.radians(rng.normal(0, 2.5))
    shear = rng.normal(0, 0.06)
    persp_x, persp_y = rng.normal(0, 0.06), rng.normal(0, 0.04)
    cx, cy = w / 2, h / 2
    pts = []
    for px, py in src:
        u, v = (px - cx) / w, (py - cy) / h
        # Perspective: one side nearer the camera than the other.
        k = 1 + persp_x * u * 2 + persp_y * v * 2
        X, Y = (px - cx) * k + shear * (py - cy), (py - cy) * k
        X, Y = X * math.cos(ang) - Y * math.sin(ang), X * math.sin(ang) + Y * math.cos(ang)
        pts.append([X * s, Y * s])
    pts = np.float32(pts)
    aspect = rng.uniform(0.9, 1.1)
    pts[:, 1] *= aspect
    mn = pts.min(axis=0)
    pts -= mn - 4
    size = (int(pts[:, 0].max() + 5), int(pts[:, 1].max() + 5))
    H = homography(src, pts)
    frame = cv2.warpPerspective(np.asarray(img), H, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    quad = cv2.perspectiveTransform(np.float32([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]]), H)[0]
    return frame, quad


def degrade(rng, grey, char_px=30.0):
    """Camera and compression effects on the grey frame (float32 0..255), blur scaled to the
    characters' height in it so that small plates stay (barely) readable."""
    soft = min(1.0, char_px / 20.0)
    g = grey
    r = rng.random()
    if r < 0.12:
        # IR night: reflective plate glows, text contrast drops, noise rises.
        g = 255 - (255 - g) * rng.uniform(0.3, 0.7)
        g = g * rng.uniform(0.8, 1.1) + rng.uniform(0, 40)
    elif r < 0.2:
        g = g * rng.uniform(0.3, 0.6)
    elif r < 0.3:
        g = g * rng.uniform(1.2, 1.8) + rng.uniform(0, 40)
    if rng.random() < 0.35:
        lo, hi = rng.uniform(0, 60), rng.uniform(190, 255)
        g = lo + g * (hi - lo) / 255
    if rng.random() < 0.4:
        gamma = rng.uniform(0.6, 1.6)
        g = 255 * (np.clip(g, 0, 255) / 255) ** gamma
    if rng.random() < 0.15:
        # Uneven light or shadow across the plate.
        h, w = g.shape
        t = np.linspace(rng.uniform(0.4, 1), rng.uniform(0.4, 1), w, dtype=np.float32)[None, :]
        g = g * t
    blurred = rng.random() < 0.45
    if blurred:
        sigma = rng.uniform(0.3, 1.1) * soft
        g = cv2.GaussianBlur(g, (0, 0), sigma)
    if char_px > 14 and rng.random() < (0.1 if blurred else 0.25):
        n = int(rng.integers(3, 6 if char_px > 20 else 5))
        k = np.zeros((n, n), np.float32)
        k[n // 2, :] = 1
        M = cv2.getRotationMatrix2D((n / 2 - 0.5, n / 2 - 0.5), rng.uniform(-30, 30), 1)
        k = cv2.warpAffine(k, M, (n, n))
        k /= max(k.sum(), 1e-6)
        g = cv2.filter2D(g, -1, k)
    if rng.random() < 0.7:
        g = g + rng.standard_normal(g.shape, dtype=np.float32) * np.float32(rng.uniform(1, 12))
    g = np.clip(g, 0, 255).astype(np.uint8)
    if rng.random() < 0.6:
        ok, buf = cv2.imencode(".jpg", g, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(15, 90))])
        g = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    return g


def detector_box(rng, quad, mode):
    """A PP-OCR-like box around a quad: a rotated rectangle, jittered.

    "tight": on the characters, sometimes clipping an edge or reaching into the state line (large
    plates); "loose": more margin (mid-size plates); "whole": the quad is already the plate's
    extent (small plates, where the detector boxes the whole plate, edges and frame included).
    """
    rect = cv2.minAreaRect(np.float32(quad))
    (cx, cy), (w, h), a = rect
    if w < h:
        w, h, a = h, w, a + 90
    if a > 45:
        a -= 180
    elif a < -45:
        a += 180
    a += rng.normal(0, 0.8)
    if mode == "whole":
        top, bottom = h * rng.uniform(-0.04, 0.06, 2)
        left, right = h * rng.uniform(-0.06, 0.1, 2)
    elif mode == "loose":
        top, bottom = h * rng.uniform(0.05, 0.4, 2)
        left, right = h * rng.uniform(0.1, 0.8, 2)
    else:
        top = h * rng.uniform(-0.06, 0.18)
        bottom = h * rng.uniform(-0.06, 0.18)
        if rng.random() < 0.12:
            # The box reaches into the state line or slogan.
            if rng.random() < 0.5:
                top = h * rng.uniform(0.2, 0.55)
            else:
                bottom = h * rng.uniform(0.2, 0.5)
        left = h * rng.uniform(-0.12, 0.3)
        right = h * rng.uniform(-0.12, 0.3)
    rad = math.radians(a)
    ux, uy = math.cos(rad), math.sin(rad)
    vx, vy = -uy, ux
    corners = []
    for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
        dx = (w / 2 + (right if sx > 0 else left)) * sx
        dy = (h / 2 + (bottom if sy > 0 else top)) * sy
        corners.append([cx + dx * ux + dy * vx, cy + dx * uy + dy * vy])
    return np.float32(corners)


def warp_line(image, quad):
    """Exactly the product's crop: quad to 128x32, INTER_LINEAR, BORDER_REPLICATE."""
    dst = np.float32([[0, 0], [LINE_W - 1, 0], [LINE_W - 1, LINE_H - 1], [0, LINE_H - 1]])
    M = cv2.getPerspectiveTransform(np.float32(quad), dst)
    return cv2.warpPerspective(image, M, (LINE_W, LINE_H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def lerp(a, b, t):
    return a + (b - a) * t


def synth_sample(rng, fonts):
    while True:
        out = render_plate(rng, fonts)
        if out is None:
            continue
        img, label, box, plate = out
        mode = ["tight", "loose", "whole"][rng.choice(3, p=[0.45, 0.2, 0.35])]
        if mode == "whole":
            # The plate's extent, give or take: its edges, frame, state line and slogan in view.
            region = (
                lerp(box[0], plate[0], rng.uniform(0.6, 1.15)),
                lerp(box[1], plate[1], rng.uniform(0.3, 1.05)),
                lerp(box[2], plate[2], rng.uniform(0.6, 1.15)),
                lerp(box[3], plate[3], rng.uniform(0.3, 1.05)),
            )
            char_px = rng.uniform(10, 28)
        else:
            region = box
            char_px = rng.uniform(10, 40) if rng.random() < 0.75 else rng.uniform(40, 70)
        frame, quad = camera_view(rng, img, box, region, char_px)
        line_box = detector_box(rng, quad, mode)
        # Camera effects only where the crop looks (plus room for the blur kernels).
        x0, y0 = np.floor(line_box.min(axis=0)).astype(int) - 8
        x1, y1 = np.ceil(line_box.max(axis=0)).astype(int) + 8
        x0, y0 = max(0, x0), max(0, y0)
        x1, y1 = min(frame.shape[1], x1), min(frame.shape[0], y1)
        if x1 - x0 < 4 or y1 - y0 < 4:
            continue
        grey = cv2.cvtColor(frame[y0:y1, x0:x1], cv2.COLOR_RGB2GRAY).astype(np.float32)
        grey = degrade(rng, grey, char_px)
        line = warp_line(grey, line_box - np.float32([x0, y0]))
        if rng.random() < 0.05:
            line = 255 - line
        return line, label


def generate(seed, count, fonts=None):
    fonts = fonts or available_fonts()
    rng = np.random.default_rng(seed)
    xs = np.empty((count, LINE_H, LINE_W), np.uint8)
    labels = []
    for i in range(count):
        xs[i], lab = synth_sample(rng, fonts)
        labels.append(lab)
    return xs, labels


if __name__ == "__main__":
    import sys
    import time

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 48
    t = time.time()
    xs, labels = generate(1234, n)
    dt = time.time() - t
    print("%d samples in %.2fs (%.2f ms each)" % (n, dt, 1000 * dt / n))
    cols = 4
    rows = (min(n, 48) + cols - 1) // cols
    sheet = Image.new("L", (cols * 260, rows * 68), 255)
    for i in range(min(n, 48)):
        sheet.paste(Image.fromarray(xs[i]).resize((256, 64)), ((i % cols) * 260, (i // cols) * 68))
    sheet.save("/tmp/synth.png")
    print(" ".join(labels[:48]))
