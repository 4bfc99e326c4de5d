#!/usr/bin/env bash
# Regenerate workflow/plots/index.html: DVC's plots HTML template with the
# vega, vega-lite and vega-embed browser bundles inlined, so that
# `dvc plots show` / `dvc plots diff` render without network access.
#
# Usage: bash workflow/plots/build_template.sh   (needs npm, tar, openssl)
#
# The tarballs come from the npm registry at pinned versions and are checked
# against pinned sha512 integrity hashes, so the output is byte-for-byte
# reproducible. Majors match dvc-render 1.0.2 (vega 5, vega-lite 5 / "$schema"
# vega-lite v5, vega-embed 6); vega 6 and vega-embed 7 ship no UMD build.
set -euo pipefail

PACKAGES=(
  "vega 5.33.1 sha512-1fArfVDUqVbb5z8n+/nVQb+VNBzx8svY6CrsyTK4Ujm4yrd9I1auoKxBAPXLCavY1LcrbHUskQbGUP8gXOzyQw=="
  "vega-lite 5.23.0 sha512-l4J6+AWE3DIjvovEoHl2LdtCUkfm4zs8Xxx7INwZEAv+XVb6kR6vIN1gt3t2gN2gs/y4DYTs/RPoTeYAuEg6mA=="
  "vega-embed 6.29.0 sha512-PmlshTLtLFLgWtF/b23T1OwX53AugJ9RZ3qPE2c01VFAbgt3/GSNI/etzA/GzdrkceXFma+FDHNXUppKuM0U6Q=="
)

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/index.html}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for entry in "${PACKAGES[@]}"; do
  read -r name version integrity <<<"$entry"
  (cd "$work" && npm pack --silent "$name@$version" >/dev/null)
  tgz="$work/$name-$version.tgz"
  actual="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 | tr -d '\n')"
  if [[ "$actual" != "$integrity" ]]; then
    echo "integrity mismatch for $name@$version: $actual" >&2
    exit 1
  fi
  mkdir -p "$work/$name"
  tar -xzf "$tgz" -C "$work/$name"
  js="$work/$name/package/build/$name.min.js"
  # Drop the sourceMappingURL comment (the .map file is not shipped).
  sed -i '/^\/\/# sourceMappingURL=/d' "$js"
  # The bundle must not close the <script> element early, nor contain a
  # dvc_render placeholder (it replaces every "{name}" occurrence).
  if grep -qiE '</script|<!--|\{(plot_divs|scripts|refresh_tag)\}' "$js"; then
    echo "$name.min.js contains text that cannot be inlined safely" >&2
    exit 1
  fi
done

{
  cat <<'EOF'
<!DOCTYPE html>
<!--
  Offline HTML template for `dvc plots show|diff` ([plots] html_template in .dvc/config).
  GENERATED, do not edit. Regenerate with: bash workflow/plots/build_template.sh
  Inlined minified UMD builds (build/*.min.js) from the npm registry, all BSD-3-Clause,
  Copyright (c) 2015, University of Washington Interactive Data Lab:
EOF
  for entry in "${PACKAGES[@]}"; do
    read -r name version _ <<<"$entry"
    echo "    $name $version"
  done
  cat <<'EOF'
  Bundled third-party modules keep their own permissive licenses (ISC/MIT, e.g. d3-*, fast-json-patch).
  No scripts placeholder on purpose: dvc_render would put its CDN <script src> tags there.
-->
<html>
<head>
<meta charset="utf-8">
{refresh_tag}
<title>DVC Plot</title>
<style>table { border-spacing: 15px; }</style>
EOF
  for entry in "${PACKAGES[@]}"; do
    read -r name version _ <<<"$entry"
    printf '<script>/* %s %s */\n' "$name" "$version"
    sed -e '$a\' "$work/$name/package/build/$name.min.js"  # ensure final newline
    printf '</script>\n'
  done
  cat <<'EOF'
</head>
<body>
<h2 style="font-family: sans-serif">dlpipe plots</h2>
<nav id="plot-index" style="columns: 3; font: 13px sans-serif"></nav>
{plot_divs}
<script>
// An index of the page: one link per plot (its element id is the file's path, flattened).
const index = document.getElementById("plot-index");
for (const plot of document.querySelectorAll("div[id^='reports_']")) {
  const link = document.createElement("a");
  link.href = "#" + plot.id;
  link.textContent = plot.id.replace(/^reports_/, "");
  link.style.display = "block";
  index.appendChild(link);
}
</script>
</body>
</html>
EOF
} >"$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out ($(wc -c <"$out") bytes)"
