#!/usr/bin/env python3
"""Compare osv-scanner JSON and `rampart match --format json` on the same SBOM.

usage: compare.py OSV_SCANNER.json RAMPART.json [--show N]

Pairs are (component name, version, vulnerability). osv-scanner reports one
entry per OSV id; rampart merges ids that alias each other into one
vulnerability (id + aliases). A pair counts as shared when the osv-scanner id
is the rampart id or one of its aliases for the same component.
"""
import json, sys, argparse, collections


def norm_version(v):
    return v[1:] if v.startswith("v") else v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("osv")
    ap.add_argument("rampart")
    ap.add_argument("--show", type=int, default=20)
    a = ap.parse_args()
    osv = json.load(open(a.osv))
    ram = json.load(open(a.rampart))

    o_pairs = set()
    for r in osv.get("results", []) or []:
        for p in r.get("packages", []) or []:
            pk = p["package"]
            key = (pk["name"], norm_version(pk["version"]))
            for v in p.get("vulnerabilities", []) or []:
                o_pairs.add((key, v["id"]))

    r_groups = collections.defaultdict(list)  # component -> list of id sets
    r_reason = {}
    for m in ram["matches"]:
        c = m["component"]
        key = (c["name"], norm_version(c["version"]))
        ids = frozenset([m["vulnerability"]["id"]] + m["vulnerability"]["aliases"])
        r_groups[key].append(ids)
        r_reason[(key, ids)] = m["reason"]

    only_osv = []
    for key, vid in sorted(o_pairs):
        if not any(vid in ids for ids in r_groups.get(key, [])):
            only_osv.append((key, vid))
    o_by_comp = collections.defaultdict(set)
    for key, vid in o_pairs:
        o_by_comp[key].add(vid)
    only_ram = []
    shared_groups = 0
    for key, groups in sorted(r_groups.items()):
        for ids in groups:
            if ids & o_by_comp.get(key, set()):
                shared_groups += 1
            else:
                only_ram.append((key, ids))
    r_total = sum(len(g) for g in r_groups.values())
    print(f"osv-scanner pairs (component, OSV id): {len(o_pairs)}")
    print(f"rampart matches (component, merged vulnerability): {r_total}")
    print(f"osv-scanner pairs found by rampart: {len(o_pairs) - len(only_osv)}")
    print(f"rampart matches reported by osv-scanner under some id: {shared_groups}")
    print(f"only osv-scanner: {len(only_osv)}")
    for key, vid in only_osv[: a.show]:
        print(f"  - {key[0]}@{key[1]} {vid}")
    print(f"only rampart: {len(only_ram)}")
    for key, ids in only_ram[: a.show]:
        print(f"  + {key[0]}@{key[1]} {sorted(ids)[0]}  reason: {r_reason[(key, ids)][:160]}")
    return 0 if not only_osv and not only_ram else 1


if __name__ == "__main__":
    sys.exit(main())
