#!/usr/bin/env bash
# Accuracy and speed of `rampart match` against osv-scanner v2.5.0, offline,
# on SBOMs built from the corpus OSV records (see mkdata.py and
# docs/matching.md). Needs python3 with PyYAML and osv-scanner on PATH:
#   go install github.com/google/osv-scanner/v2/cmd/osv-scanner@v2.5.0
# usage: bench/osv-compare/run.sh [WORKDIR]   (from the repository root)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
corpus=${RAMPART_CORPUS:-$root/../shared/corpus}
work=${1:-$(mktemp -d)}
osvscanner=${OSV_SCANNER:-$(command -v osv-scanner || echo "$HOME/go/bin/osv-scanner")}
mkdir -p "$work"
(cd "$root" && CGO_ENABLED=0 go build -o "$work/rampart" ./cmd/rampart)
"$osvscanner" --version | head -1

declare -A src=([Go]=go [PyPI]=pypa [crates.io]=rustsec)
for eco in Go PyPI crates.io; do
  d="$work/$eco"
  python3 "$here/mkdata.py" "$corpus/osv/${src[$eco]}" "$eco" "$d" --size 10000
  zip="$d/db/osv-scalibr/$eco/all.zip"
  echo "== $eco: accuracy (all components)"
  set +e
  "$osvscanner" scan source --offline --local-db-path "$d/db" -L "$d/bom.cdx.json" --format json >"$d/osv.json" 2>"$d/osv.err"
  "$work/rampart" match "$d/bom.cdx.json" --vulndb "$zip" --format json >"$d/rampart.json"
  python3 "$here/compare.py" "$d/osv.json" "$d/rampart.json" --show "${SHOW:-40}" | tee "$d/compare.txt"
  echo "-- differences by cause"
  (cd "$here" && python3 explain.py "$zip" "$d/osv.json" "$d/rampart.json")
  set -e
  echo "== $eco: time, 10,000-component SBOM, end to end (load data + read SBOM + match + write JSON)"
  for tool in osv-scanner rampart; do
    if [ $tool = osv-scanner ]; then
      cmd=("$osvscanner" scan source --offline --local-db-path "$d/db" -L "$d/bom-10000.cdx.json" --format json)
    else
      cmd=("$work/rampart" match "$d/bom-10000.cdx.json" --vulndb "$zip" --format json)
    fi
    for run in 1 2 3; do
      /usr/bin/time -f "$tool run $run: %e s wall, %U s user + %S s sys, max RSS %M KB" "${cmd[@]}" >"$d/$tool-10k.json" 2>"$d/$tool-10k.err" || true
      tail -1 "$d/$tool-10k.err"
    done
  done
done
