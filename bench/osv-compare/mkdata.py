#!/usr/bin/env python3
"""Build an osv-scanner offline database and CycloneDX SBOMs from corpus OSV records.

usage: mkdata.py CORPUS_OSV_SUBDIR ECOSYSTEM OUTDIR [--size N]

For every affected package of ECOSYSTEM in the OSV records under
CORPUS_OSV_SUBDIR, the SBOM gets one component per version named in the
record (introduced, fixed, last_affected events and listed versions) plus a
version just below each fixed one when it can be derived. That puts components
on every range boundary. A known-vulnerable control component is always added.

Writes OUTDIR/db/osv-scalibr/ECOSYSTEM/all.zip (flat zip of JSON records, the
layout `osv-scanner --offline --local-db-path OUTDIR/db` reads),
OUTDIR/bom.cdx.json (all components) and, with --size N, OUTDIR/bom-N.cdx.json
(first N components, for timing).
"""
import json, os, re, sys, zipfile, argparse, random

import yaml

PURL_TYPE = {"Go": "golang", "PyPI": "pypi", "crates.io": "cargo"}
CONTROL = {
    "Go": ("github.com/gin-gonic/gin", "1.6.0"),
    "PyPI": ("django", "3.2.0"),
    "crates.io": ("tokio", "1.0.0"),
}


def load(path):
    with open(path, "rb") as f:
        if path.endswith((".yaml", ".yml")):
            return yaml.load(f, Loader=yaml.BaseLoader)  # every scalar a string
        return json.load(f)


def below(v):
    """A version just below v for simple dotted versions (1.2.3 -> 1.2.2), else None."""
    m = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", v)
    if m:
        a, b, c = map(int, m.groups())
        if c > 0:
            return f"{a}.{b}.{c-1}"
        if b > 0:
            return f"{a}.{b-1}.99"
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("ecosystem")
    ap.add_argument("out")
    ap.add_argument("--size", type=int, default=0)
    a = ap.parse_args()
    eco = a.ecosystem
    os.makedirs(os.path.join(a.out, "db", "osv-scalibr", eco), exist_ok=True)
    zpath = os.path.join(a.out, "db", "osv-scalibr", eco, "all.zip")
    comps = {}
    n = 0
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as z:
        for root, _, files in os.walk(a.src):
            for fn in sorted(files):
                if not fn.endswith((".json", ".yaml", ".yml")):
                    continue
                rec = load(os.path.join(root, fn))
                if not isinstance(rec, dict) or "id" not in rec:
                    continue
                n += 1
                z.writestr(rec["id"] + ".json", json.dumps(rec))
                for af in rec.get("affected", []) or []:
                    pkg = af.get("package") or {}
                    if pkg.get("ecosystem", "").split(":")[0] != eco:
                        continue
                    name = pkg["name"]
                    vs = set(af.get("versions", []) or [])
                    for r in af.get("ranges", []) or []:
                        if r.get("type") == "GIT":
                            continue
                        for ev in r.get("events", []):
                            for k in ("introduced", "fixed", "last_affected"):
                                v = ev.get(k)
                                if v and v != "0":
                                    vs.add(v)
                                    if k == "fixed" and below(v):
                                        vs.add(below(v))
                    for v in vs:
                        comps[(name, v)] = True
    cname, cver = CONTROL[eco]
    comps[(cname, cver)] = True
    keys = sorted(comps)
    random.Random(42).shuffle(keys)
    keys.remove((cname, cver))
    keys.insert(0, (cname, cver))

    def bom(ks):
        out = []
        for i, (name, v) in enumerate(ks):
            pv = ("v" + v) if eco == "Go" and not v.startswith("v") else v
            purl = f"pkg:{PURL_TYPE[eco]}/{name}@{pv}"
            out.append({"type": "library", "bom-ref": f"c{i}", "name": name, "version": pv, "purl": purl})
        return {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": out}

    with open(os.path.join(a.out, "bom.cdx.json"), "w") as f:
        json.dump(bom(keys), f)
    if a.size:
        ks = keys[: a.size]
        while len(ks) < a.size:  # pad with repeats of real components under new refs
            ks = ks + keys[: a.size - len(ks)]
        with open(os.path.join(a.out, f"bom-{a.size}.cdx.json"), "w") as f:
            json.dump(bom(ks), f)
    print(f"{eco}: {n} records, {len(keys)} components -> {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
