#!/usr/bin/env python3
"""Add quality-band columns to `lfr eval` data-set CSVs, for `lfr eval identify --group-by`.

Usage:
  lfr eval identify --write-dataset DIR                      # or a force's own CSVs
  cut -d, -f1 DIR/identities.csv DIR/non-mated.csv | grep -v '^image$' > images.txt
  xargs -a images.txt -d '\\n' lfr -q detect --json > faces.json
  scripts/quality_band_csv.py faces.json DIR/identities.csv DIR/non-mated.csv
  lfr eval identify --dataset DIR/identities.banded.csv --non-mated DIR/non-mated.banded.csv \\
      --group-by yaw_band,eyes_band --no-enrolment-rules --json

Each CSV is written again as NAME.banded.csv with two more columns, from the face the
evaluation uses (the central one) as `lfr detect` measured it: yaw_band (|yaw| in 15-degree
bands, "60+" above 60) and eyes_band (pixels between the eyes: <24, 24-32, 32-48, 48+).
An image without a face gets "no face" in both. The image column must be the first and
hold the paths `lfr detect` was given (absolute, as --write-dataset writes them).
"""
import csv
import json
import sys


def load_faces(path):
    """`lfr detect --json` output; xargs may have run it several times (arrays end to end)."""
    text = open(path).read()
    decoder = json.JSONDecoder()
    out, pos = {}, 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return out
        images, pos = decoder.raw_decode(text, pos)
        for im in images:
            out[im["image"]] = im


def bands(image):
    central = [f for f in image.get("faces", []) if f.get("central")]
    if not central:
        return "no face", "no face"
    q = central[0]["quality"]
    yaw = abs(q["yaw_deg"])
    yaw_band = "60+" if yaw >= 60 else f"{int(yaw // 15) * 15}-{int(yaw // 15) * 15 + 15}"
    eyes = q["inter_eye_px"]
    eyes_band = "<24" if eyes < 24 else "24-32" if eyes < 32 else "32-48" if eyes < 48 else "48+"
    return yaw_band, eyes_band


def main(faces_path, csvs):
    faces = load_faces(faces_path)
    for path in csvs:
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
        out_path = path[:-4] + ".banded.csv"
        missing = 0
        with open(out_path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(rows[0] + ["yaw_band", "eyes_band"])
            for row in rows[1:]:
                image = faces.get(row[0])
                if image is None:
                    missing += 1
                    w.writerow(row + ["", ""])
                else:
                    w.writerow(row + list(bands(image)))
        print(f"{out_path}: {len(rows) - 1} images, {missing} not in {faces_path}")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
