#!/usr/bin/env bash
# Renders the sample backup's `check --html` page and takes a screenshot of
# it with headless Chromium, so a person can look at the page without a
# browser of their own; the README's picture is made with it.
#
#   bash scripts/html-screenshot.sh [OUT.png]   # default docs/check-html.png
#
# Needs /usr/bin/chromium (apt-get install chromium); pngquant, when present
# (apt-get install pngquant), reduces the picture's colours so that it stays small.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/check-html.png}"
chromium=/usr/bin/chromium
[[ -x $chromium ]] || { echo "$chromium is not installed (apt-get install chromium)"; exit 1; }
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-$PWD/target}/release/backup-fix"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Exit status 1 means "the import would fail": the page is written either way.
"$bin" check testdata/jira-sample/entities.xml --html "$work/report.html" --quiet >/dev/null || [[ $? == 1 ]]
"$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/profile" --hide-scrollbars --window-size=1200,1600 \
    --screenshot="$work/shot.png" "file://$work/report.html" >"$work/chromium.log" 2>&1 \
    || { cat "$work/chromium.log"; exit 1; }
mkdir -p "$(dirname "$out")"
if command -v pngquant >/dev/null 2>&1; then
    pngquant --force --strip --quality=60-85 --output "$out" "$work/shot.png"
else
    cp "$work/shot.png" "$out"
fi
echo "$out: $(wc -c <"$out") bytes (the page: testdata/jira-sample/entities.xml's check --html)"
