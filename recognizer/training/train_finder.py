"""Trains the plate finder (recognizer/models/plate-finder.onnx) on the CPU.

A small fully convolutional network takes a BGR frame shrunk so its long side is 640 px and
returns, at stride 4, the probability that each cell lies on a licence plate. Training patches
come from `finder_scenes`: street photos (the training half of the dev photos, split by a hash
of the file name; the other half is never read here), nature photos (Debian wallpapers),
synthetic traffic frames and procedural clutter as backgrounds; real plate photos (the crops'
training split) and drawn plates pasted on them. Validation: scenes built only from the crops'
selection split (holdout.py: never trained on) on nature and procedural backgrounds, scored as
plate recall (a plate counts as found when the map is above 0.5 over most of it) and
false-positive area; it picks the checkpoint. The same scenes from the held-out crops are scored
once, after the export, for the report only. Seeds are fixed.

Usage (see train-finder.sh):
  train_finder.py --cache DIR --crops DIR --dev DIR --frames DIR --photos FILE... --out-dir DIR
"""
import argparse
import json
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
import finder_scenes as fs  # noqa: E402
from holdout import crop_rows, dev_rows  # noqa: E402

SEED = 20261126
def load_dev(dev_dir):
    """The training half of the labelled street photos: (BGR image, [plate quad])."""
    out = []
    for path, (x, y, w, h), _ in dev_rows(dev_dir, "train"):
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        if img is None:
            continue
        out.append((img, [np.float32([[x, y], [x + w, y], [x + w, y + h], [x, y + h]])]))
    return out


def load_photos(paths):
    out = []
    for p in paths:
        img = cv2.imread(p, cv2.IMREAD_COLOR)
        if img is not None:
            s = 1280 / max(img.shape[:2])
            out.append((cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_AREA) if s < 1 else img, []))
    return out


def load_crops(crops_dir, split):
    out = []
    for name, _ in crop_rows(crops_dir, split):
        img = cv2.imread(os.path.join(crops_dir, name), cv2.IMREAD_COLOR)
        if img is not None:
            out.append(img[:, :, ::-1].copy())  # RGB like the drawn plates
    return out


def load_frames(frames_dir):
    quads = {}
    with open(os.path.join(frames_dir, "quads.csv")) as f:
        next(f)
        for line in f:
            parts = line.strip().split(",")
            quads.setdefault(parts[0], []).append(np.float32(parts[1:9]).reshape(4, 2))
    frames = []
    for name in sorted(os.listdir(frames_dir)):
        if name.endswith(".png"):
            frames.append((cv2.imread(os.path.join(frames_dir, name)), quads.get(name, [])))
    return frames


_WORKER = {}


def _init(crops_dir, split, sources):
    _WORKER["crops"] = load_crops(crops_dir, split)
    _WORKER["backgrounds"] = {
        "street": load_dev(sources["dev"]) if sources.get("dev") else [],
        "nature": load_photos(sources.get("photos", [])),
        "synthetic": load_frames(sources["frames"]) if sources.get("frames") else [],
    }


def _chunk(args):
    seed, count = args
    return fs.generate(seed, count, _WORKER["crops"], _WORKER["backgrounds"])


def build(cache, name, total, seed, crops_dir, split, sources, workers):
    # The split's size is in the name: a cache made under another split is not reused.
    path = os.path.join(cache, "%s-%s%d-%d-%d.npz" % (name, split, len(crop_rows(crops_dir, split)), total, seed))
    if os.path.exists(path):
        d = np.load(path)
        return d["x"], d["y"]
    chunk = 500
    jobs = [(seed * 1000 + i, min(chunk, total - i * chunk)) for i in range((total + chunk - 1) // chunk)]
    with Pool(workers, initializer=_init, initargs=(crops_dir, split, sources)) as pool:
        parts = pool.map(_chunk, jobs)
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    np.savez(path, x=x, y=y)
    return x, y


def cbr(cin, cout, stride=1, dilation=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, dilation, dilation=dilation, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
    )


class PlateFinder(nn.Module):
    """BGR [N,3,H,W] in -1..1 -> plate logits [N,1,H/4,W/4]; H and W multiples of 16.

    Three stride-2 stages to 1/16 (with a dilated layer: a plate's surroundings, bumper and car,
    are part of what tells it from a sign), merged back to 1/4 like a small FPN.
    """

    def __init__(self, c=(16, 32, 48, 64)):
        super().__init__()
        self.s4 = nn.Sequential(cbr(3, c[0], 2), cbr(c[0], c[1], 2), cbr(c[1], c[1]))
        self.s8 = nn.Sequential(cbr(c[1], c[2], 2), cbr(c[2], c[2]))
        self.s16 = nn.Sequential(cbr(c[2], c[3], 2), cbr(c[3], c[3]), cbr(c[3], c[3], dilation=2))
        self.lat8 = nn.Conv2d(c[2], c[1], 1)
        self.lat16 = nn.Conv2d(c[3], c[1], 1)
        self.head = nn.Sequential(cbr(c[1], c[1]), nn.Conv2d(c[1], 1, 1))

    def forward(self, x):
        a = self.s4(x)
        b = self.s8(a)
        d = self.s16(b)
        up = self.lat8(b) + F.interpolate(self.lat16(d), scale_factor=2.0, mode="nearest")
        return self.head(a + F.interpolate(up, scale_factor=2.0, mode="nearest"))


class ExportWrapper(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return torch.sigmoid(self.model(x))


def to_input(x_uint8):
    return torch.from_numpy(x_uint8).permute(0, 3, 1, 2).float().div_(127.5).sub_(1)


def loss_fn(logits, target):
    bce = F.binary_cross_entropy_with_logits(logits, target, pos_weight=torch.tensor(3.0))
    p = torch.sigmoid(logits)
    inter = (p * target).sum()
    dice = 1 - (2 * inter + 1) / (p.sum() + target.sum() + 1)
    return bce + dice


def evaluate(model, x, y, batch=64):
    """Plate recall and false-positive area at threshold 0.5."""
    model.eval()
    found = plates = 0
    fp = neg = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            p = torch.sigmoid(model(to_input(x[i:i + batch]))).numpy()[:, 0]
            t = y[i:i + batch].astype(np.float32)
            for pm, tm in zip(p, t):
                n, labels = cv2.connectedComponents((tm > 0.5).astype(np.uint8))
                for k in range(1, n):
                    plates += 1
                    found += float((pm[labels == k] > 0.5).mean()) > 0.5
                fp += float(((pm > 0.5) & (tm < 0.05)).sum())
                neg += float((tm < 0.05).sum())
    model.train()
    return found / max(plates, 1), fp / max(neg, 1)


def log(msg):
    print("[train_finder %s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", required=True)
    ap.add_argument("--crops", required=True)
    ap.add_argument("--frames", required=True)
    ap.add_argument("--dev", required=True, help="labelled street photos; only the training half is read")
    ap.add_argument("--photos", nargs="*", default=[], help="nature photos without plates")
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--train-scenes", type=int, default=12000)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=24)
    args = ap.parse_args()
    torch.manual_seed(SEED)
    torch.set_num_threads(args.threads)
    os.makedirs(args.cache, exist_ok=True)

    t0 = time.time()
    sources = {"dev": args.dev, "photos": args.photos, "frames": args.frames}
    xt, yt = build(args.cache, "finder-train", args.train_scenes, SEED, args.crops, "train", sources, args.threads)
    # Validation plates are selection crops only; no street photo at all.
    xv, yv = build(args.cache, "finder-val", 600, SEED + 1, args.crops, "selection", {"photos": args.photos}, args.threads)
    t_data = time.time() - t0
    log("scenes: %d train, %d validation (selection crops only) in %.0fs" % (len(xt), len(xv), t_data))

    model = PlateFinder()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=args.steps, pct_start=0.1)
    gen = np.random.default_rng(SEED)
    best = {"recall": -1.0}
    history = []
    t1 = time.time()
    running = None
    for step in range(1, args.steps + 1):
        idx = gen.integers(0, len(xt), args.batch)
        xb, yb = xt[idx], yt[idx].astype(np.float32)
        if gen.random() < 0.5:
            xb, yb = xb[:, :, ::-1], yb[:, :, ::-1]
        logits = model(to_input(np.ascontiguousarray(xb)))
        loss = loss_fn(logits, torch.from_numpy(np.ascontiguousarray(yb))[:, None])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        if step % 250 == 0 or step == args.steps:
            recall, fp = evaluate(model, xv, yv)
            history.append({"step": step, "loss": round(running, 4), "recall": round(recall, 4), "fp_area": round(fp, 5)})
            log("step %d loss %.4f selection recall %.4f false-positive area %.5f (%.0fs)" % (step, running, recall, fp, time.time() - t1))
            score = recall - 5 * fp
            if score > best["recall"]:
                best = {"recall": score, "step": step, "state": {k: v.clone() for k, v in model.state_dict().items()}, "metrics": history[-1]}
    train_s = time.time() - t1
    model.load_state_dict(best["state"])
    model.eval()
    # The held-out crops, read once by the chosen checkpoint: reported, never used to choose.
    xh, yh = build(args.cache, "finder-val", 600, SEED + 1, args.crops, "heldout", {"photos": args.photos}, args.threads)
    held_recall, held_fp = evaluate(model, xh, yh)
    log("held out (report only): recall %.4f false-positive area %.5f" % (held_recall, held_fp))
    model.eval()  # evaluate() leaves the model in training mode
    out = os.path.join(args.out_dir, "plate-finder.onnx")
    torch.onnx.export(
        ExportWrapper(model), torch.zeros(1, 3, 352, 640), out, input_names=["x"], output_names=["prob"],
        dynamic_axes={"x": {2: "h", 3: "w"}, "prob": {2: "h4", 3: "w4"}}, opset_version=13,
    )
    report = {
        "model": "plate-finder.onnx",
        "parameters": int(sum(p.numel() for p in model.parameters())),
        "seed": SEED,
        "train_scenes": int(len(xt)),
        "street_photos": len(load_dev(args.dev)),
        "nature_photos": len(args.photos),
        "validation_scenes": int(len(xv)),
        "steps": args.steps,
        "batch": args.batch,
        "threads": args.threads,
        "data_seconds": round(t_data),
        "train_seconds": round(train_s),
        "best": best["metrics"],
        "heldout": {"scenes": int(len(xh)), "recall": round(held_recall, 4), "fp_area": round(held_fp, 5)},
        "history": history,
    }
    with open(os.path.join(args.cache, "finder-report.json"), "w") as f:
        json.dump(report, f, indent=1)
    log("best at step %d: %s; wrote %s" % (best["step"], best["metrics"], out))


if __name__ == "__main__":
    main()
