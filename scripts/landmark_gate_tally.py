#!/usr/bin/env python3
"""Tally what the quality gate's landmark-geometry rules refuse, from `lfr detect --json`.

Usage: lfr detect --json IMAGE... > faces.json; scripts/landmark_gate_tally.py faces.json...
Only each image's central face counts (the face enrolment takes). For every geometry rule:
how many central faces it refuses, and how many of those pass every other gate (the faces
the geometry check alone costs: its false-rejection cost if they are usable faces).
"""
import json
import sys
from collections import Counter

RULES = [
    ("eyes closer than the box implies", "implausible landmarks: eyes ", " apart in a "),
    ("eyes to mouth too short for the box", "implausible landmarks: eyes to mouth", None),
    ("a landmark outside the grown box", "a landmark lies outside the face box", None),
    ("mouth above or level with the eye line", "implausible landmarks: mouth a", None),
    ("mouth level with the eye line", "implausible landmarks: mouth level", None),
    ("nose outside the eye-mouth band", "nose outside the band", None),
    ("mouth corners reversed", "mouth corners in the opposite order", None),
    ("mouth width implausible", "implausible landmarks: mouth ", " px wide"),
    ("both eyes at one point", "both eyes at one point", None),
]


def rule_of(reason):
    for name, start, also in RULES:
        if start in reason and (also is None or also in reason):
            return name
    return None


def main(paths):
    images = faces = 0
    geometry = 0
    geometry_only = 0
    per_rule = Counter()
    per_rule_only = Counter()
    other_gates = Counter()
    examples = {}
    by_source = Counter()
    for p in paths:
        for img in json.load(open(p)):
            images += 1
            central = [f for f in img.get("faces", []) if f.get("central")]
            if not central:
                continue
            faces += 1
            q = central[0]["quality"]
            rules = set()
            others = []
            for r in q["reasons"]:
                name = rule_of(r)
                if name:
                    rules.add(name)
                else:
                    others.append(r.split(":")[0].split(" ")[0])
            if rules:
                geometry += 1
                src = "fairface" if "fairface" in img["image"] else "lfw" if "/lfw/" in img["image"] else "other"
                by_source[src] += 1
                for n in rules:
                    per_rule[n] += 1
                    examples.setdefault(n, img["image"])
                if not others:
                    geometry_only += 1
                    for n in rules:
                        per_rule_only[n] += 1
                for o in set(others):
                    other_gates[o] += 1
    print(f"images {images}, central faces {faces}")
    print(f"refused by a geometry rule: {geometry} ({100.0 * geometry / max(faces, 1):.2f} %), by source {dict(by_source)}")
    print(f"  of which passing every other gate (the geometry check's own cost): {geometry_only}")
    print("rule | central faces refused | of them passing every other gate | example")
    for name, _, _ in RULES:
        if per_rule[name] or name in examples:
            print(f"{name} | {per_rule[name]} | {per_rule_only[name]} | {examples.get(name, '')}")
    print("other gates those faces also fail:", dict(other_gates))


if __name__ == "__main__":
    main(sys.argv[1:])
