"""Trains the plate OCR model (CRNN + CTC) and exports recognizer/models/<name>.onnx.

Run through train.sh. Steps, all cached under --cache so a rerun skips finished ones:
  1. synthetic plate lines (synth_plates.py), in fixed-seed chunks;
  2. augmented re-warps of the real training lines found by extract-real-lines.js;
  3. whole-plate views of the real training crops (as the plate finder hands plates over);
  4. training with CTC, validation on the selection part's real lines (the Node-cut 128x32
     crops) and its crops as whole plates, keeping the checkpoint with the best mean of the two
     (lines alone when no plate views are trained);
  5. ONNX export (opset 13, softmax inside), then the held-out lines and plates read once by the
     exported checkpoint, for the report only.

The crops are split by holdout.py: held out (never read before the export), selection (never
trained on; picks the checkpoint) and train.
"""
import argparse
import csv
import json
import math
import os
import sys
import time
from multiprocessing import Pool

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synth_plates as sp  # noqa: E402
from holdout import crop_rows, dev_rows  # noqa: E402

CHARSET = sp.CHARSET
NUM_CLASSES = len(CHARSET) + 1  # CTC blank at 0
CHUNK = 5000


# ---------------------------------------------------------------------------------------------
# Model


class PlateCRNN(nn.Module):
    """1x32x128 grey line -> [N, 32, 37] class scores.

    A conv stack takes the line down to height 1 and 32 columns (4 px of input each); dilated 1-D
    convolutions (receptive field 15 columns, about the whole plate) stand in for the usual BiLSTM:
    as accurate on so short a sequence, and several times cheaper to train on a CPU.
    """

    def __init__(self):
        super().__init__()

        def block(cin, cout, k=3, p=1):
            return [nn.Conv2d(cin, cout, k, padding=p, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]

        def block1d(ch, dilation):
            return [nn.Conv1d(ch, ch, 3, padding=dilation, dilation=dilation, bias=False), nn.BatchNorm1d(ch), nn.ReLU(inplace=True)]

        self.features = nn.Sequential(
            *block(1, 16), nn.MaxPool2d(2, 2),                    # 16 x 64
            *block(16, 32), nn.MaxPool2d(2, 2),                   # 8 x 32
            *block(32, 64), nn.MaxPool2d((2, 1), (2, 1)),         # 4 x 32
            *block(64, 96), nn.MaxPool2d((2, 1), (2, 1)),         # 2 x 32
            *block(96, 128, (2, 3), (0, 1)),                      # 1 x 32
        )
        self.sequence = nn.Sequential(*block1d(128, 1), *block1d(128, 2), *block1d(128, 4))
        self.dropout = nn.Dropout(0.1)
        self.head = nn.Conv1d(128, NUM_CLASSES, 1)

    def forward(self, x):
        f = self.features(x).squeeze(2)  # N, C, T
        f = self.sequence(f)
        return self.head(self.dropout(f)).permute(0, 2, 1)  # N, T, classes (logits)


class ExportWrapper(nn.Module):
    """What the product loads: softmax over classes included."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return F.softmax(self.model(x), dim=2)


# ---------------------------------------------------------------------------------------------
# Data


def synth_chunk(args):
    seed, count = args
    cv2.setNumThreads(1)
    return sp.generate(seed, count)


def build_synthetic(cache, total, seed, workers):
    path = os.path.join(cache, "synth-%d-%d.npz" % (total, seed))
    if os.path.exists(path):
        d = np.load(path)
        return d["x"], list(d["y"])
    chunks = [(seed * 100003 + i, min(CHUNK, total - i * CHUNK)) for i in range(math.ceil(total / CHUNK))]
    t = time.time()
    xs, ys = [], []
    with Pool(workers) as pool:
        for i, (x, y) in enumerate(pool.imap(synth_chunk, chunks)):
            xs.append(x)
            ys.extend(y)
            log("synthetic: %d/%d chunks (%.0fs)" % (i + 1, len(chunks), time.time() - t))
    x = np.concatenate(xs)
    np.savez(path, x=x, y=np.array(ys))
    return x, ys


def read_lines_csv(real_dir):
    path = os.path.join(real_dir, "lines.csv")
    if not os.path.exists(path):
        raise SystemExit("train.py: %s is missing; run extract-real-lines.js first (train.sh does)" % path)
    with open(path) as f:
        return list(csv.DictReader(f))


def camera_cut(rng, img, quad, scale, char_px):
    """A real crop as the camera sees it from farther away (shrunk by `scale`, then camera
    effects), and `quad` of it warped to the model's input as inference does; now and then
    inverted (light characters on a dark plate)."""
    small, q = img, quad
    if scale < 0.98:
        h, w = img.shape
        small = cv2.resize(img, (max(8, int(w * scale)), max(8, int(h * scale))), interpolation=cv2.INTER_AREA)
        q = q * np.float32([small.shape[1] / w, small.shape[0] / h])
    grey = sp.degrade(rng, small.astype(np.float32), char_px)
    line = sp.warp_line(grey, q)
    if rng.random() < 0.04:
        line = 255 - line
    return line


def real_aug_one(args):
    """Re-warps one real line from its source crop with detector-box jitter and camera effects."""
    src_path, quad, label, seed, count = args
    cv2.setNumThreads(1)
    rng = np.random.default_rng(seed)
    img = cv2.imread(src_path, cv2.IMREAD_GRAYSCALE)
    out = []
    quad = np.float32(quad).reshape(4, 2)
    h_line = (np.linalg.norm(quad[3] - quad[0]) + np.linalg.norm(quad[2] - quad[1])) / 2
    w_line = (np.linalg.norm(quad[1] - quad[0]) + np.linalg.norm(quad[2] - quad[3])) / 2
    ux = (quad[1] - quad[0] + quad[2] - quad[3]) / 2 / max(w_line, 1)
    uy = (quad[3] - quad[0] + quad[2] - quad[1]) / 2 / max(h_line, 1)
    for _ in range(count):
        # Detector boxes vary: move each side, and each corner a little.
        q = quad.copy()
        r = rng.random()
        if r < 0.5:
            dl, dr = rng.uniform(-0.12, 0.25, 2) * h_line
            dt, db = rng.uniform(-0.1, 0.15, 2) * h_line
        elif r < 0.75:
            # Looser, as on mid-size plates.
            dl, dr = rng.uniform(0.1, 0.8, 2) * h_line
            dt, db = rng.uniform(0.05, 0.4, 2) * h_line
        else:
            # Most of the plate, as the detector boxes small plates.
            dl, dr = rng.uniform(0.3, 1.2, 2) * h_line
            dt, db = rng.uniform(0.2, 0.7, 2) * h_line
        q[0] += -dl * ux - dt * uy
        q[1] += dr * ux - dt * uy
        q[2] += dr * ux + db * uy
        q[3] += -dl * ux + db * uy
        q += rng.normal(0, 0.03 * h_line, q.shape).astype(np.float32)
        # The same plate farther away: characters 10-40 px tall in the camera frame.
        char_px = rng.uniform(10, 28) if r >= 0.75 else rng.uniform(10, 40) if rng.random() < 0.8 else rng.uniform(40, 60)
        out.append(camera_cut(rng, img, q, min(1.0, char_px / max(h_line * 0.8, 1)), char_px))
    return np.stack(out), label


def plate_views_one(args):
    """Views of one real plate crop as the plate finder hands it over: the whole plate or the
    band of its registration line, the finder's box off by a little on each side, more often
    too loose (car around the plate) than too tight, a touch of perspective; the plate 18-70 px
    tall in the camera frame, with camera effects."""
    src_path, label, seed, count = args
    cv2.setNumThreads(1)
    rng = np.random.default_rng(seed)
    plate = cv2.imread(src_path, cv2.IMREAD_GRAYSCALE)
    h, w = plate.shape
    out = []
    for _ in range(count):
        # A bit of car around the plate: a flat tone, or the plate's own edge smeared out.
        pad = int(0.4 * h)
        if rng.random() < 0.6:
            img = cv2.copyMakeBorder(plate, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=int(rng.integers(0, 256)))
        else:
            img = cv2.copyMakeBorder(plate, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        top, bottom = (0.15, 0.85) if rng.random() < 0.5 else (0.0, 1.0)
        dt, db = rng.uniform(-0.06, 0.25, 2) * h
        dl, dr = rng.uniform(-0.03, 0.12, 2) * w
        q = np.float32([[-dl, top * h - dt], [w + dr, top * h - dt], [w + dr, bottom * h + db], [-dl, bottom * h + db]]) + pad
        q += rng.normal(0, 0.025 * h, q.shape).astype(np.float32)
        plate_px = rng.uniform(18, 70)
        # Characters are about half the plate's height.
        char_px = plate_px * 0.5
        out.append(camera_cut(rng, img, q, min(1.0, plate_px / h), char_px))
    return np.stack(out), label


def photo_views_one(args):
    """Views of one labelled plate in a street photo, with its real surroundings, as the plate
    finder hands it over (the same box jitter as plate_views_one)."""
    src_path, box, label, seed, count = args
    cv2.setNumThreads(1)
    rng = np.random.default_rng(seed)
    img = cv2.imread(src_path, cv2.IMREAD_GRAYSCALE)
    x, y, w, h = box
    out = []
    for _ in range(count):
        top, bottom = (0.15, 0.85) if rng.random() < 0.5 else (0.0, 1.0)
        dt, db = rng.uniform(-0.06, 0.25, 2) * h
        dl, dr = rng.uniform(-0.03, 0.12, 2) * w
        q = np.float32([[x - dl, y + top * h - dt], [x + w + dr, y + top * h - dt], [x + w + dr, y + bottom * h + db], [x - dl, y + bottom * h + db]])
        q += rng.normal(0, 0.025 * h, q.shape).astype(np.float32)
        # Photo plates are already camera-sized: shrink only now and then, never enlarge.
        scale = rng.uniform(0.6, 1.0) if rng.random() < 0.3 else 1.0
        out.append(camera_cut(rng, img, q, scale, 0.5 * h * scale))
    return np.stack(out), label


def build_photo_views(cache, dev_dir, per_photo, seed, workers):
    train = dev_rows(dev_dir, "train")
    path = os.path.join(cache, "photo-views-%d-%d-%d.npz" % (len(train), per_photo, seed))
    jobs = [(p, box, lab, seed * 15485863 + i, per_photo) for i, (p, box, lab) in enumerate(train)]
    return cached_views(path, photo_views_one, jobs, 4, workers)


def cached_views(path, make_views, jobs, chunksize, workers):
    """Views made by make_views(job) -> (images, label) over a process pool, or the cached .npz
    of an earlier run with the same inputs."""
    if os.path.exists(path):
        d = np.load(path)
        return d["x"], list(d["y"])
    xs, ys = [], []
    with Pool(workers) as pool:
        for x, y in pool.imap(make_views, jobs, chunksize=chunksize):
            xs.append(x)
            ys.extend([y] * len(x))
    x, y = np.concatenate(xs), ys
    np.savez(path, x=x, y=np.array(y))
    return x, y


def build_plate_views(cache, crops_dir, per_crop, seed, workers):
    """Augmented whole-plate views of the training crops (none when per_crop is 0)."""
    if per_crop == 0:
        return np.zeros((0, sp.LINE_H, sp.LINE_W), np.uint8), []
    train = crop_rows(crops_dir, "train")
    path = os.path.join(cache, "plate-views-%d-%d-%d.npz" % (len(train), per_crop, seed))
    jobs = [(os.path.join(crops_dir, f), lab, seed * 104729 + i, per_crop) for i, (f, lab) in enumerate(train)]
    return cached_views(path, plate_views_one, jobs, 8, workers)


def plain_plate_views(crops_dir, split):
    """The crops of a split as the finder would hand them over (whole, and the registration
    band), without augmentation."""
    xv, yv = [], []
    for f, lab in crop_rows(crops_dir, split):
        img = cv2.imread(os.path.join(crops_dir, f), cv2.IMREAD_GRAYSCALE)
        h, w = img.shape
        for top, bottom in ((0.0, 1.0), (0.15, 0.85)):
            quad = np.float32([[0, top * h], [w, top * h], [w, bottom * h], [0, bottom * h]])
            xv.append(np.clip(np.round(sp.warp_line(img.astype(np.float32), quad)), 0, 255).astype(np.uint8))
            yv.append(lab)
    return np.stack(xv), yv


def build_real(cache, real_dir, crops_dir, per_line, seed, workers):
    rows = read_lines_csv(real_dir)
    if not any(r["split"] == "selection" for r in rows):
        raise SystemExit("train.py: %s has no selection lines; it predates the selection split: delete it and rerun (train.sh re-extracts)" % real_dir)
    train = [r for r in rows if r["split"] == "train"]
    path = os.path.join(cache, "real-aug-%d-%d-%d.npz" % (len(train), per_line, seed))
    if os.path.exists(path):
        d = np.load(path)
        xa, ya = d["x"], list(d["y"])
    else:
        jobs = []
        for i, r in enumerate(train):
            quad = [float(r[k]) for k in ("x0", "y0", "x1", "y1", "x2", "y2", "x3", "y3")]
            jobs.append((os.path.join(crops_dir, r["file"]), quad, r["label"], seed * 7919 + i, per_line))
        xs, ys = [], []
        with Pool(workers) as pool:
            for x, y in pool.imap(real_aug_one, jobs, chunksize=8):
                xs.append(x)
                ys.extend([y] * len(x))
        xa = np.concatenate(xs)
        ya = ys
        np.savez(path, x=xa, y=np.array(ya))
    # The Node-cut crops themselves, exactly as inference sees them.
    def load_png(r):
        im = cv2.imread(os.path.join(real_dir, "png", r["png"]), cv2.IMREAD_GRAYSCALE)
        if im is None or im.shape != (sp.LINE_H, sp.LINE_W):
            raise SystemExit("train.py: bad line crop %s" % r["png"])
        return im

    def part(split):
        chosen = [r for r in rows if r["split"] == split]
        return np.stack([load_png(r) for r in chosen]), [r["label"] for r in chosen], [r["pass"] for r in chosen]

    xt, yt, _ = part("train")
    return (xa, ya), (xt, yt), part("selection")


# ---------------------------------------------------------------------------------------------
# Training


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def to_tensor(x_uint8):
    return torch.from_numpy(x_uint8).float().div_(127.5).sub_(1.0).unsqueeze(1)


def encode(labels):
    targets = torch.tensor([CHARSET.index(c) + 1 for lab in labels for c in lab], dtype=torch.long)
    lengths = torch.tensor([len(lab) for lab in labels], dtype=torch.long)
    return targets, lengths


def greedy(logits):
    best = logits.argmax(2).numpy()
    out = []
    for row in best:
        s, prev = [], 0
        for c in row:
            if c != 0 and c != prev:
                s.append(CHARSET[c - 1])
            prev = c
        out.append("".join(s))
    return out


def by_detector_scale(preds, labels, passes):
    return {
        sc: round(float(np.mean([p == t for p, t, s in zip(preds, labels, passes) if s == sc])), 4)
        for sc in sorted(set(passes), key=float, reverse=True)
    }


def evaluate(model, x, y, batch=256):
    model.eval()
    preds = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            preds.extend(greedy(model(to_tensor(x[i : i + batch]))))
    model.train()
    return np.mean([p == t for p, t in zip(preds, y)]) if len(y) else 0.0, preds


def light_aug(xb, gen):
    """Per-batch photometric jitter on the normalized tensor (cheap, keeps cached data fresh)."""
    n = xb.shape[0]
    contrast = torch.empty(n, 1, 1, 1).uniform_(0.6, 1.2, generator=gen)
    shift = torch.empty(n, 1, 1, 1).uniform_(-0.25, 0.25, generator=gen)
    xb = xb * contrast + shift
    noise = torch.randn(xb.shape, generator=gen) * torch.empty(n, 1, 1, 1).uniform_(0, 0.06, generator=gen)
    return (xb + noise).clamp_(-1.5, 1.5)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", required=True)
    ap.add_argument("--real", required=True, help="output folder of extract-real-lines.js")
    ap.add_argument("--crops", required=True, help="openalpr-us-crops folder")
    ap.add_argument("--out-dir", required=True, help="recognizer/models")
    ap.add_argument("--synthetic", type=int, default=100000)
    ap.add_argument("--real-per-line", type=int, default=40)
    ap.add_argument("--plate-views-per-crop", type=int, default=30,
                    help="augmented whole-plate views of each training crop; 0: none, and the checkpoint is picked on lines alone")
    ap.add_argument("--dev", default=None, help="labelled street photos; only the training half is read")
    ap.add_argument("--photo-views", type=int, default=60, help="augmented views of each training street photo's plate")
    ap.add_argument("--steps", type=int, default=10000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--real-fraction", type=float, default=0.4)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("--recipe", default="plates", choices=["plates", "lines"],
                    help="recorded in the report: plates (default) or lines (train.sh --recipe lines sets its flags)")
    ap.add_argument("--name", default="plate-ocr",
                    help="exports <out-dir>/<name>.onnx; checkpoint and report are <cache>/<name>-best.pt, <name>-train-report.json")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    os.makedirs(args.cache, exist_ok=True)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    t_start = time.time()

    t = time.time()
    xs, ys = build_synthetic(args.cache, args.synthetic, args.seed, args.threads)
    t_synth = time.time() - t
    log("synthetic lines: %d (%.0fs)" % (len(xs), t_synth))
    t = time.time()
    (xa, ya), (xt, yt), (xv, yv, pv) = build_real(args.cache, args.real, args.crops, args.real_per_line, args.seed, args.threads)
    t_real = time.time() - t
    t = time.time()
    xpa, ypa = build_plate_views(args.cache, args.crops, args.plate_views_per_crop, args.seed, args.threads)
    xpv, ypv = plain_plate_views(args.crops, "selection")
    t_real += time.time() - t
    # The real part of each batch: text-detector lines, crops as whole plates and, where the
    # street photos are given, their training half's plates as the finder sees them.
    pools = [(np.concatenate([xa, xt]), ya + yt, 0.5)]
    photo_views = 0
    if len(xpa):
        pools.append((xpa, ypa, 0.35))
    if args.dev:
        t = time.time()
        xph, yph = build_photo_views(args.cache, args.dev, args.photo_views, args.seed, args.threads)
        t_real += time.time() - t
        pools.append((xph, yph, 0.15))
        photo_views = len(xph)
        log("street-photo plate views: %d (training half of %s)" % (len(xph), args.dev))
    pool_p = np.array([w for _, _, w in pools])
    pool_p /= pool_p.sum()
    log("real lines: %d train (%d augmented + %d as cut), %d selection; whole-plate views: %d train, %d selection (%.0fs)"
        % (len(xt), len(xa), len(xt), len(xv), len(xpa), len(xpv), t_real))

    model = PlateCRNN()
    params = sum(p.numel() for p in model.parameters())
    log("model: %d parameters" % params)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.steps, pct_start=0.08)
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    rng = np.random.default_rng(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    n_real = int(round(args.batch * args.real_fraction))
    n_syn = args.batch - n_real

    best = {"acc": -1.0, "step": 0}
    ckpt = os.path.join(args.cache, args.name + "-best.pt")
    history = []
    t_train = time.time()
    running = 0.0
    for step in range(1, args.steps + 1):
        i_s = rng.integers(0, len(xs), n_syn)
        which = rng.choice(len(pools), n_real, p=pool_p)
        real_x, real_y = [], []
        for k, (px, py, _) in enumerate(pools):
            idx = rng.integers(0, len(px), int((which == k).sum()))
            real_x.append(px[idx])
            real_y.extend(py[i] for i in idx)
        xb = to_tensor(np.concatenate([xs[i_s], *real_x]))
        labels = [ys[i] for i in i_s] + real_y
        xb = light_aug(xb, gen)
        targets, lengths = encode(labels)
        logits = model(xb)
        logp = F.log_softmax(logits, 2).permute(1, 0, 2)  # T, N, C
        loss = ctc(logp, targets, torch.full((xb.shape[0],), logp.shape[0], dtype=torch.long), lengths)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        sched.step()
        running = 0.98 * running + 0.02 * loss.item() if step > 1 else loss.item()
        if step % 100 == 0:
            el = time.time() - t_train
            log("step %d loss %.4f lr %.5f (%.3fs/step)" % (step, running, sched.get_last_lr()[0], el / step))
        if step % args.eval_every == 0 or step == args.steps:
            acc, preds = evaluate(model, xv, yv)
            by_scale = by_detector_scale(preds, yv, pv)
            plate_acc, _ = evaluate(model, xpv, ypv)
            syn_acc, _ = evaluate(model, xs[:1000], ys[:1000])
            history.append({"step": step, "loss": round(running, 4), "selection": round(float(acc), 4), "selectionPlates": round(float(plate_acc), 4)})
            log("eval step %d: selection real lines %.4f (by detector scale %s), selection whole plates %.4f, synthetic(train) %.4f"
                % (step, acc, by_scale, plate_acc, syn_acc))
            # Both ways the product cuts plates count: text-detector lines and finder plates (a
            # model trained on lines alone is picked on lines, as that recipe always was).
            score = (acc + plate_acc) / 2 if len(xpa) else acc
            if score > best["acc"]:
                best = {"acc": float(score), "step": step, "lines": float(acc), "plates": float(plate_acc), "byDetectorScale": by_scale}
                torch.save(model.state_dict(), ckpt)
    train_s = time.time() - t_train
    log("best selection score %.4f at step %d; training %.0fs" % (best["acc"], best["step"], train_s))

    # Export the best checkpoint.
    model.load_state_dict(torch.load(ckpt))
    model.eval()
    # The held-out crops as whole plates, read once by the exported checkpoint: reported, never
    # used to choose. (check-onnx.js reads the held-out lines, through the ONNX export.)
    x_held, y_held = plain_plate_views(args.crops, "heldout")
    held_plate_acc, _ = evaluate(model, x_held, y_held)
    heldout = {"plates": round(float(held_plate_acc), 4)}
    log("held out (report only): whole plates %.4f" % held_plate_acc)
    wrapper = ExportWrapper(model).eval()
    onnx_path = os.path.join(args.out_dir, args.name + ".onnx")
    dummy = to_tensor(xv[:2])
    torch.onnx.export(
        wrapper, dummy, onnx_path, opset_version=13, input_names=["x"], output_names=["probs"],
        dynamic_axes={"x": {0: "N"}, "probs": {0: "N"}}, do_constant_folding=True,
    )
    # One charset file for every plate OCR model: the reader votes their views class by class.
    with open(os.path.join(args.out_dir, "plate-ocr.charset.txt"), "w") as f:
        f.write("".join(c + "\n" for c in CHARSET))
    report = {
        "data": {
            "synthetic_lines": int(len(xs)),
            "real_train_plates": int(len(xt)),
            "real_train_augmented_lines": int(len(xa)),
            "real_selection_lines": int(len(xv)),
            "real_train_plate_views": int(len(xpa)),
            "street_photo_views": int(photo_views),
            "pool_weights": [round(float(w), 3) for w in pool_p],
            "real_selection_plate_views": int(len(xpv)),
            "real_heldout_plate_views": int(len(x_held)),
            "real_fraction_per_batch": args.real_fraction,
        },
        "steps": args.steps,
        "batch": args.batch,
        "lr": args.lr,
        "seed": args.seed,
        "threads": args.threads,
        "parameters": int(params),
        "recipe": args.recipe,
        "best": best,
        "heldout": heldout,
        "history": history,
        "seconds": {"synthetic": round(t_synth), "real_augment": round(t_real), "training": round(train_s), "total": round(time.time() - t_start)},
    }
    report_path = os.path.join(args.cache, args.name + "-train-report.json")
    with open(report_path, "w") as f:
        json.dump(report, f, indent=2)
    log("exported %s (%d bytes); report in %s" % (onnx_path, os.path.getsize(onnx_path), report_path))


if __name__ == "__main__":
    main()
