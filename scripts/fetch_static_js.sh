#!/usr/bin/env bash
# Refresh the self-hosted JavaScript under book/_static/ from the npm registry, so the built site
# works with no network. The files are committed; run this only to change a version.
#   @jupyter-widgets/html-manager  renders ipywidgets in static pages (BSD-3-Clause)
#   requirejs                      the AMD loader the widget manager needs (MIT)
#   mathjax@3                      renders the equations, SVG output so no web fonts are needed (Apache-2.0)
set -euo pipefail
HTML_MANAGER=1.0.15
REQUIREJS=2.3.8
MATHJAX=3.2.2

here=$(cd "$(dirname "$0")/.." && pwd)
static="$here/book/_static"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "@jupyter-widgets/html-manager@$HTML_MANAGER" "requirejs@$REQUIREJS" "mathjax@$MATHJAX" >/dev/null
for f in *.tgz; do mkdir -p "${f%.tgz}"; tar xzf "$f" -C "${f%.tgz}"; done

# Widget manager: the AMD bundle and the icon fonts it loads relative to itself. Only the
# woff2/woff variants: every browser that runs the bundle picks one of them first.
hm="jupyter-widgets-html-manager-$HTML_MANAGER/package/dist"
rm -f "$static"/embed-amd.js "$static"/*.woff "$static"/*.woff2
cp "$hm/embed-amd.js" "$static/"
cp "$hm"/*.woff2 "$hm"/*.woff "$static/"
cp "$hm/embed.js.LICENSE.txt" "$static/LICENSE-html-manager-bundled.txt"

# require.js: minify is not needed for a few kB; ship it as published.
cp "requirejs-$REQUIREJS/package/require.js" "$static/require.min.js"

# MathJax: one self-contained component (TeX input, SVG output, all extensions, menu).
rm -rf "$static/mathjax"
mkdir -p "$static/mathjax"
cp "mathjax-$MATHJAX/package/es5/tex-svg-full.js" "$static/mathjax/"
cp "mathjax-$MATHJAX/package/LICENSE" "$static/mathjax/LICENSE"

printf 'html-manager %s\nrequirejs %s\nmathjax %s\n' "$HTML_MANAGER" "$REQUIREJS" "$MATHJAX" > "$static/VERSIONS.txt"
echo "book/_static refreshed: $(du -sh "$static" | cut -f1)"
