#!/usr/bin/env python3
"""Tally what the enrolment rules refuse, and why, from `lfr detect --json`.

Usage: lfr detect --json IMAGE... > faces.json; scripts/enrolment_faces_tally.py faces.json...
Mirrors PickEnrolmentFace (src/match/watchlist.cc) for each version of its "several faces"
rule, so a change of rule can be measured on a set of photos before it is made:
  version 1: every other face of at least 0.35 of the largest face's width counts;
  version 2: another face counts only if it passes the quality gate, its box lies wholly
             inside the image, and it is at least 0.5 of the largest face's width.
For each version: how many images are refused and for what (no face, several faces, the
largest face not central, the quality gate), and, for version 1's several-faces refusals,
what the other face was (cut by the image's edge, failing the gate, smaller than half).
"""
import json
import sys
from collections import Counter


def inside(face, width, height):
    b = face["box"]
    return b["x"] >= 0 and b["y"] >= 0 and b["x"] + b["w"] <= width and b["y"] + b["h"] <= height


def counts(face, subject, image, version):
    if face is subject:
        return False
    ratio = face["box"]["w"] / subject["box"]["w"]
    if version == 1:
        return ratio >= 0.35
    return face["quality"]["passed"] and inside(face, image["width"], image["height"]) and ratio >= 0.5


def verdict(image, version):
    faces = image["faces"]
    if not faces:
        return "no face found"
    subject = max(faces, key=lambda f: f["box"]["w"])
    if any(counts(f, subject, image, version) for f in faces):
        return "several faces found"
    if not subject.get("central"):
        return "the face is not central in the image"
    if not subject["quality"]["passed"]:
        return "quality gate: " + subject["quality"]["reasons"][0].split(":")[0]
    return "enrolled"


def bystander(image):
    """What the largest other face is, for an image version 1 refuses as several faces."""
    subject = max(image["faces"], key=lambda f: f["box"]["w"])
    others = [f for f in image["faces"] if counts(f, subject, image, 1)]
    f = max(others, key=lambda x: x["box"]["w"])
    if not inside(f, image["width"], image["height"]):
        return "cut by the image's edge"
    if not f["quality"]["passed"]:
        return "fails the quality gate"
    if f["box"]["w"] < 0.5 * subject["box"]["w"]:
        return "less than half the subject's width"
    return "usable, in the picture, at least half the width"


def main(paths):
    images = []
    for p in paths:
        with open(p) as f:
            images.extend(json.load(f))
    print(f"{len(images)} images")
    for version in (1, 2):
        tally = Counter(verdict(im, version) for im in images)
        print(f"\nrules version {version}:")
        for what, n in tally.most_common():
            print(f"  {n:6d}  {what}")
    kinds = Counter(bystander(im) for im in images if verdict(im, 1) == "several faces found")
    print("\nversion 1's several-faces refusals, by the largest other face:")
    for what, n in kinds.most_common():
        print(f"  {n:6d}  {what}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
