"""The fixed parts of the labelled sets (ops/bench/holdout.ts, `sightline bench ocr|accuracy
--split`) and the sets read through them, for the training scripts: what training may see is
decided here.

Each file falls in a bucket, 0-99 (sha256 of its name). The lowest buckets are held out: never
read by training, nor by the choice of a checkpoint; their figures are reported. The next ones,
where a set has them, are the selection part: never trained on, training picks its checkpoint
there. The rest is trained on."""
import hashlib
import os

# ops/bench/holdout.ts: CROP_PARTITION, PHOTO_PARTITION (held-out percent, selection percent).
CROP_PARTITION = (20, 10)
PHOTO_PARTITION = (50, 0)


def bucket_of(name):
    """The first four bytes of sha256(name), big-endian, mod 100."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big") % 100


def split_of(name, partition):
    """"heldout", "selection" or "train"."""
    held, selection = partition
    b = bucket_of(name)
    return "heldout" if b < held else "selection" if b < held + selection else "train"


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
            if split_of(parts[0], CROP_PARTITION) == split:
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
        if len(fields) < 6 or split_of(fields[0], PHOTO_PARTITION) != split:
            continue
        rows.append((os.path.join(dev_dir, fields[0]), tuple(float(v) for v in fields[1:5]), plate_text("".join(fields[5:]))))
    return rows
