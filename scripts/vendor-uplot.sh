#!/usr/bin/env bash
# Re-vendor uPlot (MIT) from the npm registry into generator/data/uplot/, inlined by `slogen report slo --format html`.
# Usage: scripts/vendor-uplot.sh [VERSION]   (default: the version in generator/data/uplot/VERSION)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
dest="$here/generator/data/uplot"
version="${1:-$(cat "$dest/VERSION")}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "uplot@$version" >/dev/null && tar xzf "uplot-$version.tgz")
cp "$work/package/dist/uPlot.iife.min.js" "$work/package/dist/uPlot.min.css" "$work/package/LICENSE" "$dest/"
echo "$version" > "$dest/VERSION"
echo "vendored uPlot $version into $dest"
