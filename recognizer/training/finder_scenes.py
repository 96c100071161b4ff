"""Training scenes for the plate finder: patches at the finder's scale with a plate mask.

A patch is a background with 0-3 plates placed on it by a random homography. Backgrounds: a
window of a real street photo (the training half of the dev photos, with its labelled plate), of
a nature photo from Debian's wallpaper packages (foliage, grass, water: no plates), of a frame
from the product's synthetic traffic camera (with its plates), or procedural clutter of shapes,
grilles and non-plate text. Plates: real plate photographs (the training split of the labelled
crops, each crop being one whole plate) or plates drawn by `synth_plates.render_plate`. The target is the plate's
whole quad, filled, at stride 4. Camera effects (exposure, IR look, blur, noise, JPEG) apply to
the whole patch. `generate(seed, count, ...)` is a pure function of its arguments.
"""
import math

import cv2
import numpy as np
from PIL import Image, ImageDraw

import synth_plates as sp

PATCH = 256
STRIDE = 4
# Plate widths at the finder's scale (the frame shrunk so its long side is 640 px).
MIN_PLATE_W, MAX_PLATE_W = 14, 190
WORDS = [
    "STOP", "EXIT", "SALE", "OPEN", "PARKING", "NO PARKING", "ONE WAY", "TOYOTA", "FORD", "HONDA",
    "CHEVROLET", "4X4", "HYBRID", "SPORT", "LIMITED", "DEALER", "AUTO MALL", "SPEED LIMIT 35", "BUS",
    "TAXI", "POLICE", "FIRE LANE", "123", "2019", "CAUTION", "PIZZA", "CAFE", "HOTEL", "BANK",
    "www.example.com", "CALL 555-0142", "RENT ME", "ENTRANCE", "LOADING ZONE", "TOW AWAY",
]


def rand_rgb(rng, lo=0, hi=255):
    return tuple(int(v) for v in rng.integers(lo, hi + 1, 3))


def procedural_background(rng, fonts):
    """Clutter with the shapes that fool a plate finder: rectangles, grilles, lights, text."""
    h = w = PATCH
    c0, c1 = np.array(rand_rgb(rng), np.float32), np.array(rand_rgb(rng), np.float32)
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    img = Image.fromarray((c0 * (1 - t) + c1 * t).repeat(w, axis=1).astype(np.uint8))
    d = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(3, 14))):
        x0, y0 = rng.uniform(-40, w), rng.uniform(-40, h)
        x1, y1 = x0 + rng.uniform(5, 160), y0 + rng.uniform(5, 120)
        kind = rng.random()
        if kind < 0.45:
            d.rectangle([x0, y0, x1, y1], fill=rand_rgb(rng), outline=rand_rgb(rng) if rng.random() < 0.3 else None)
        elif kind < 0.65:
            d.ellipse([x0, y0, x1, y1], fill=rand_rgb(rng))
        elif kind < 0.8:
            # Grille: parallel bars.
            step = rng.uniform(3, 10)
            col = rand_rgb(rng)
            for k in range(int((x1 - x0) / step)):
                d.line([x0 + k * step, y0, x0 + k * step, y1], fill=col, width=max(1, int(step / 3)))
        else:
            d.line([x0, y0, x1, y1], fill=rand_rgb(rng), width=int(rng.integers(1, 6)))
    # Non-plate text: signs, badges, stickers, dealer names.
    _, decor = fonts
    for _ in range(int(rng.choice([0, 1, 2, 3], p=[0.3, 0.35, 0.2, 0.15]))):
        word = WORDS[rng.integers(len(WORDS))]
        f = sp.font(decor[rng.integers(len(decor))], int(rng.integers(8, 40)))
        x, y = rng.uniform(-20, w - 20), rng.uniform(-10, h - 10)
        if rng.random() < 0.5:
            bb = f.getbbox(word)
            d.rectangle([x + bb[0] - 3, y + bb[1] - 3, x + bb[2] + 3, y + bb[3] + 3], fill=rand_rgb(rng))
        d.text((x, y), word, font=f, fill=rand_rgb(rng))
    return np.asarray(img).copy(), []


def window(rng, img, quads, long_side):
    """A PATCH-square window of `img` scaled so its long side is about `long_side`, most often
    over one of its plates; returns the RGB window and the plate quads moved into it."""
    fh, fw = img.shape[:2]
    s = long_side * rng.uniform(0.75, 1.35) / max(fh, fw)
    img = cv2.resize(img, (max(1, int(fw * s)), max(1, int(fh * s))), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    fh, fw = img.shape[:2]
    if quads and rng.random() < 0.75:
        cx, cy = (quads[rng.integers(len(quads))] * s).mean(axis=0)
        x0 = int(np.clip(cx - rng.uniform(30, PATCH - 30), 0, max(0, fw - PATCH)))
        y0 = int(np.clip(cy - rng.uniform(30, PATCH - 30), 0, max(0, fh - PATCH)))
    else:
        x0, y0 = int(rng.integers(0, max(1, fw - PATCH))), int(rng.integers(0, max(1, fh - PATCH)))
    patch = np.zeros((PATCH, PATCH, 3), np.uint8)
    patch[:] = rand_rgb(rng)
    win = img[y0:y0 + PATCH, x0:x0 + PATCH]
    patch[:win.shape[0], :win.shape[1]] = win[:, :, ::-1]  # BGR file -> RGB like the rest
    return patch, [q * s - np.float32([x0, y0]) for q in quads]


def real_plate(rng, crops):
    """A real plate photo with a bit of car around it: (RGB image, plate region box)."""
    crop = crops[rng.integers(len(crops))]
    h, w = crop.shape[:2]
    pad = int(h * rng.uniform(0.05, 0.6))
    car = np.empty((h + 2 * pad, w + 2 * pad, 3), np.uint8)
    car[:] = rand_rgb(rng)
    car[pad:pad + h, pad:pad + w] = crop
    if rng.random() < 0.4:
        fw = max(1, int(h * rng.uniform(0.02, 0.08)))
        cv2.rectangle(car, (pad - fw, pad - fw), (pad + w + fw, pad + h + fw), rand_rgb(rng, 0, 80), fw)
    return car, (pad, pad, pad + w, pad + h)


def drawn_plate(rng, fonts):
    while True:
        out = sp.render_plate(rng, fonts)
        if out is not None:
            car, _label, _box, region = out
            return np.asarray(car), region


def place(rng, patch, plate_img, region, avoid):
    """Warps a plate (with its car surround) into the patch; fills its quad in `mask`."""
    x0, y0, x1, y1 = region
    target_w = math.exp(rng.uniform(math.log(MIN_PLATE_W), math.log(MAX_PLATE_W)))
    s = target_w / (x1 - x0)
    h, w = plate_img.shape[:2]
    if s < 0.6:
        # Shrink with area filtering first so the warp does not alias more than a camera would.
        f = s * rng.uniform(1.0, 1.5)
        plate_img = cv2.resize(plate_img, (max(4, int(w * f)), max(4, int(h * f))), interpolation=cv2.INTER_AREA)
        x0, y0, x1, y1 = x0 * f, y0 * f, x1 * f, y1 * f
        s /= f
        h, w = plate_img.shape[:2]
    ang = math.radians(rng.normal(0, 5))
    shear = rng.normal(0, 0.08)
    px, py = rng.normal(0, 0.08), rng.normal(0, 0.05)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = []
    for sx, sy in src:
        u, v = (sx - cx) / w, (sy - cy) / h
        k = 1 + 2 * px * u + 2 * py * v
        X, Y = (sx - cx) * k + shear * (sy - cy), (sy - cy) * k * rng.uniform(0.97, 1.03)
        X, Y = X * math.cos(ang) - Y * math.sin(ang), X * math.sin(ang) + Y * math.cos(ang)
        dst.append([X * s, Y * s])
    dst = np.float32(dst)
    pw, ph = (x1 - x0) * s, (y1 - y0) * s
    tx = rng.uniform(-0.2 * pw, PATCH - 0.8 * pw)
    ty = rng.uniform(-0.2 * ph, PATCH - 0.8 * ph)
    dst += np.float32([tx + pw / 2, ty + ph / 2])
    H = cv2.getPerspectiveTransform(src, dst)
    quad = cv2.perspectiveTransform(np.float32([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]]), H)[0]
    # Plates do not overlap each other in a scene.
    c = quad.mean(axis=0)
    if any(np.linalg.norm(c - a.mean(axis=0)) < 0.6 * (np.ptp(a[:, 0]) + pw) for a in avoid):
        return None
    warped = cv2.warpPerspective(plate_img, H, (PATCH, PATCH), flags=cv2.INTER_LINEAR)
    alpha = cv2.warpPerspective(np.full((h, w), 255, np.uint8), H, (PATCH, PATCH), flags=cv2.INTER_LINEAR)
    # The car surround fades into the scene; the plate itself is opaque.
    alpha = cv2.GaussianBlur(alpha, (0, 0), max(0.5, 0.05 * ph)).astype(np.float32)[:, :, None] / 255
    patch[:] = (patch * (1 - alpha) + warped * alpha).astype(np.uint8)
    return quad


def camera_effects(rng, img):
    img = img.astype(np.float32)
    if rng.random() < 0.2:
        # IR night: grey, strong plate reflection, dark surround.
        g = img.mean(axis=2, keepdims=True)
        img = np.clip((g - 60) * rng.uniform(1.2, 2.0), 0, 255).repeat(3, axis=2)
    img = img * rng.uniform(0.55, 1.35) + rng.uniform(-35, 35)
    gamma = rng.uniform(0.7, 1.4)
    img = 255 * (np.clip(img, 0, 255) / 255) ** gamma
    sigma = rng.choice([0, rng.uniform(0.4, 1.4)], p=[0.4, 0.6])
    if sigma > 0:
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    if rng.random() < 0.15:
        k = int(rng.integers(3, 7))
        kern = np.zeros((k, k), np.float32)
        kern[k // 2, :] = 1 / k
        img = cv2.filter2D(img, -1, kern)
    img = img + rng.normal(0, rng.uniform(0, 7), img.shape)
    img = np.clip(img, 0, 255).astype(np.uint8)
    ok, enc = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(35, 96))])
    return cv2.imdecode(enc, cv2.IMREAD_UNCHANGED)


def scene(rng, fonts, crops, backgrounds):
    """One training patch: (BGR uint8 PATCH x PATCH x 3, float32 mask PATCH/STRIDE square).

    `backgrounds` maps a kind (street, nature, synthetic) to (BGR image, plate quads) pairs; an
    empty kind is skipped.
    """
    kinds = [(k, w) for k, w in (("street", 0.3), ("nature", 0.2), ("synthetic", 0.15), ("procedural", 0.35)) if k == "procedural" or backgrounds.get(k)]
    weights = np.array([w for _, w in kinds])
    kind = kinds[rng.choice(len(kinds), p=weights / weights.sum())][0]
    if kind == "procedural":
        patch, quads = procedural_background(rng, fonts)
        n = int(rng.choice([0, 1, 2, 3], p=[0.12, 0.5, 0.28, 0.1]))
    else:
        pool = backgrounds[kind]
        img, plates = pool[rng.integers(len(pool))]
        # Every kind is scaled as the finder sees a frame: long side about 640.
        patch, quads = window(rng, img, plates, 640)
        n = int(rng.choice([0, 1, 2], p=[0.45, 0.4, 0.15]))
    for _ in range(n):
        img, region = real_plate(rng, crops) if rng.random() < 0.55 else drawn_plate(rng, fonts)
        q = place(rng, patch, img, region, quads)
        if q is not None:
            quads.append(q)
    bgr = camera_effects(rng, patch[:, :, ::-1])
    full = np.zeros((PATCH, PATCH), np.uint8)
    for q in quads:
        cv2.fillConvexPoly(full, np.round(q).astype(np.int32), 255)
    mask = cv2.resize(full, (PATCH // STRIDE, PATCH // STRIDE), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    return bgr, mask


def generate(seed, count, crops, backgrounds, fonts=None):
    fonts = fonts or sp.available_fonts()
    rng = np.random.default_rng(seed)
    xs = np.empty((count, PATCH, PATCH, 3), np.uint8)
    ys = np.empty((count, PATCH // STRIDE, PATCH // STRIDE), np.float16)
    for i in range(count):
        xs[i], ys[i] = scene(rng, fonts, crops, backgrounds)
    return xs, ys
