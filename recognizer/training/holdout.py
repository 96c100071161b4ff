"""The fixed hold-out of `sightline bench ocr|accuracy --split` (ops/bench/holdout.ts) and the
labelled sets read through it, for the training scripts: what training may see is decided here."""
import hashlib
import os

# ops/bench/holdout.ts: CROP_HOLDOUT_PERCENT, PHOTO_HOLDOUT_PERCENT.
CROP_HOLDOUT_PERCENT = 20
PHOTO_HOLDOUT_PERCENT = 50


def split_of(name, percent):
    """"val" when the first four bytes of sha256(name), big-endian, mod 100 are below percent."""
    h = int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big")
    return "val" if h % 100 < percent else "train"


def plate_text(label):
    return "".join(c for c in label.upper() if c.isalnum())


def crop_rows(crops_dir, split):
    """(file, plate) of the labelled crops (groundtruth.csv: file,state,PLATE) in a split."""
    rows = []
    with open(os.path.join(crops_dir, "groundtruth.csv")) as f:
        for line in f:
            parts = [p.strip() for p in line.strip().split(",")]
            if len(parts) != 3:
                continue
            if split_of(parts[0], CROP_HOLDOUT_PERCENT) == split:
                rows.append((parts[0], plate_text(parts[2])))
    return rows


def dev_rows(dev_dir, split):
    """(photo path, (x, y, w, h), plate) of the labelled street photos (NAME.txt beside them) in a split."""
    rows = []
    for name in sorted(os.listdir(dev_dir)):
        if not name.endswith(".txt"):
            continue
        with open(os.path.join(dev_dir, name)) as f:
            fields = f.readline().strip().split("\t")
        if len(fields) < 6 or split_of(fields[0], PHOTO_HOLDOUT_PERCENT) != split:
            continue
        rows.append((os.path.join(dev_dir, fields[0]), tuple(float(v) for v in fields[1:5]), plate_text("".join(fields[5:]))))
    return rows
