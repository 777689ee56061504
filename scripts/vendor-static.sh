#!/usr/bin/env bash
# Refresh the front-end libraries and the icon set vendored under src/partnerdesk/static/vendor/
# from the npm registry. The committed files are what runs: no npm at run time, in CI or in `make test`;
# run this only to change a pinned version (edit the pin and its integrity below, run it,
# commit the files it wrote, say why in the commit message).
#
#   scripts/vendor-static.sh
#
# Each package: the pinned tarball is fetched with `npm pack` into a temporary directory, its
# integrity (the registry's sha512, `npm view <pkg>@<version> dist.integrity`) is checked, and
# the minified UMD build and the licence are copied. The build's `sourceMappingURL` comment is
# dropped: the source map is not vendored, and a comment naming a missing file would make the
# production `collectstatic` (manifest storage) fail.
#
# The icon set (Lucide, ISC): only the icons the templates use, as one SVG sprite of <symbol>s
# (`{% icon "bell" %}`, core/templatetags/icons.py). To use another icon, add its Lucide name to
# the list below, run this script and commit the sprite it wrote.
set -euo pipefail
cd "$(dirname "$0")/.."

vendor=src/partnerdesk/static/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# name  version  integrity  file-in-package  license-in-package  target-dir
packages=(
  "chart.js 4.6.1 sha512-hJyniucsFmq//EvXYvJ6c6mahPoI3kaxdjVH8awTaJ/fDNWeSqqqArixMJWkWNN6fcYvPU3HneSANFNYtRi61g== dist/chart.umd.min.js LICENSE.md chartjs"
)

for row in "${packages[@]}"; do
  read -r name version integrity file license target <<<"$row"
  echo "vendoring $name@$version"
  tarball=$(cd "$work" && npm pack --silent "$name@$version")
  actual="sha512-$(openssl dgst -sha512 -binary "$work/$tarball" | base64 -w0)"
  if [ "$actual" != "$integrity" ]; then
    echo "integrity mismatch for $name@$version: got $actual" >&2
    exit 1
  fi
  mkdir -p "$work/$target"
  tar -xzf "$work/$tarball" -C "$work/$target"
  mkdir -p "$vendor/$target"
  sed '/^\/\/# sourceMappingURL=/d' "$work/$target/package/$file" >"$vendor/$target/$(basename "$file")"
  cp "$work/$target/package/$license" "$vendor/$target/LICENSE.md"
  printf '%s %s\n' "$name" "$version" >"$vendor/$target/VERSION"
done

# name  version  integrity  target-dir  icon names...
icon_sets=(
  "lucide-static 1.62.0 sha512-WBZA/m2PvkFpMGHDtsBck5P2A9G4ehLlYu4GwwICcmEm1BvYVgj00lCDxKRWLlbMlOibLaiwdQ88G5pHkSWgwA== lucide arrow-right bell building-2 calendar chart-column check check-check chevron-down chevron-left chevron-right circle-alert circle-check clock copy external-link eye eye-off flag globe grip-vertical house inbox kanban list-checks mail menu paperclip pause plus search settings ticket timer trending-up triangle-alert user users x zap"
)

for row in "${icon_sets[@]}"; do
  read -r name version integrity target icons <<<"$row"
  echo "vendoring $name@$version (icons: $icons)"
  tarball=$(cd "$work" && npm pack --silent "$name@$version")
  actual="sha512-$(openssl dgst -sha512 -binary "$work/$tarball" | base64 -w0)"
  if [ "$actual" != "$integrity" ]; then
    echo "integrity mismatch for $name@$version: got $actual" >&2
    exit 1
  fi
  mkdir -p "$work/$target"
  tar -xzf "$work/$tarball" -C "$work/$target"
  mkdir -p "$vendor/$target"
  sprite="$vendor/$target/icons.svg"
  {
    printf '<!-- %s %s (ISC, see LICENSE): the icons Partnerdesk uses, one <symbol> each -->\n' "$name" "$version"
    printf '<svg xmlns="http://www.w3.org/2000/svg">\n'
    for icon in $icons; do
      source="$work/$target/package/icons/$icon.svg"
      # Each icon is a 24x24 stroked drawing; its elements are the lines indented by two spaces.
      grep -q 'viewBox="0 0 24 24"' "$source" || { echo "$icon: unexpected viewBox" >&2; exit 1; }
      printf '<symbol id="%s" viewBox="0 0 24 24">\n' "$icon"
      grep -E '^  <' "$source"
      printf '</symbol>\n'
    done
    printf '</svg>\n'
  } >"$sprite"
  cp "$work/$target/package/LICENSE" "$vendor/$target/LICENSE"
  printf '%s %s\n' "$name" "$version" >"$vendor/$target/VERSION"
done
echo "done: review and commit $vendor"
