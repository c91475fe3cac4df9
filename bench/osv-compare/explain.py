#!/usr/bin/env python3
"""Classify the differences between osv-scanner and rampart (see compare.py).

usage: explain.py ALL.zip OSV_SCANNER.json RAMPART.json

Known causes (docs/matching.md):
  git-range-first  osv-scanner v2.5.0 stops checking an affected entry's ranges
                   at the first range that is not ECOSYSTEM/SEMVER
                   (rangeAffectsVersion returns false), so when a GIT range is
                   listed first only the explicit `versions` list is consulted.
  pypi-name-form   the record spells the PyPI name un-normalised ("jw.util");
                   osv-scanner normalises the SBOM name (PEP 503: "jw-util")
                   but compares it exactly with the record's spelling, so the
                   package never matches; rampart normalises both sides.
  go-path-case     rampart compares Go module paths case-insensitively
                   (github.com/0xJacky/Nginx-UI = github.com/0xJacky/nginx-ui);
                   osv-scanner compares them exactly.
"""
import json, re, sys, zipfile, collections

from compare import norm_version

zpath, osvp, ramp = sys.argv[1:4]
recs = {}
with zipfile.ZipFile(zpath) as z:
    for n in z.namelist():
        r = json.loads(z.read(n))
        recs[r["id"]] = r
osv = json.load(open(osvp))
ram = json.load(open(ramp))
o_by_comp = collections.defaultdict(set)
for r in osv.get("results", []) or []:
    for p in r.get("packages", []) or []:
        key = (p["package"]["name"], norm_version(p["package"]["version"]))
        for v in p.get("vulnerabilities", []) or []:
            o_by_comp[key].add(v["id"])
causes = collections.Counter()
examples = {}
for m in ram["matches"]:
    c = m["component"]
    key = (c["name"], norm_version(c["version"]))
    ids = set([m["vulnerability"]["id"]] + m["vulnerability"]["aliases"])
    if ids & o_by_comp.get(key, set()):
        continue
    cause = "other"
    src = m["reason"].split(":")[0].split()[-1]  # source record id
    for vid in [src] + sorted(ids):
        rec = recs.get(vid)
        if not rec:
            continue
        for af in rec.get("affected", []):
            name = (af.get("package") or {}).get("name", "")
            if name.lower() != key[0].lower():
                continue
            if name != key[0]:
                cause = "go-path-case"
                break
            if re.sub(r"[-_.]+", "-", name.lower()) != name and key not in o_by_comp:
                cause = "pypi-name-form"
                break
            rs = af.get("ranges", [])
            if rs and rs[0].get("type") == "GIT" and key[1] not in af.get("versions", []) and c["version"] not in af.get("versions", []):
                cause = "git-range-first"
                break
        if cause != "other":
            break
    causes[cause] += 1
    examples.setdefault(cause, f'{key[0]}@{key[1]} {m["vulnerability"]["id"]}: {m["reason"][:150]}')
for k, n in causes.most_common():
    print(f"{k}: {n}   e.g. {examples[k]}")
