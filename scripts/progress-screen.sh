#!/usr/bin/env bash
# Runs `backup-fix fix` (on XML and on a zip), `check` and `split` in a real
# terminal (a detached tmux session), captures the screen several times a
# second, and prints every distinct progress line it saw. It fails if the
# main phase label is missing (phases shorter than a tenth of a second, such
# as verifying a two-entry zip, may not be seen), so a person and a script
# both see what the bar shows.
#
#   bash scripts/progress-screen.sh [SIZE_MB]     # default 300 (MB of XML)
#
# Needs tmux, python3 and zip; builds the release binary.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tmux >/dev/null || { echo "tmux is not installed"; exit 1; }
size_mb="${1:-300}"
cargo build --release --quiet
bin="$PWD/target/release/backup-fix"
work="$(mktemp -d)"
trap 'tmux kill-session -t bfprogress 2>/dev/null || true; rm -rf "$work"' EXIT

# A Jira-shaped entities.xml of about SIZE_MB, with a stated zone, and a zip of it.
python3 - "$work/entities.xml" "$size_mb" <<'PY'
import sys
path, mb = sys.argv[1], int(sys.argv[2])
row = ('<Issue id="{i}" key="ABC-{i}" project="10000" created="2019-07-01 14:03:25.0" '
       'updated="2019-07-02 09:00:00.0" summary="Issue {i} with some words in it"><description>'
       '<![CDATA[See http://jira.corp:8080/browse/ABC-{i} for the log of the failing build.]]>'
       '</description></Issue>\n')
with open(path, "w") as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<!--\n    JIRA Build : 7.10.0#710001\n'
            '    jira.baseurl : http://jira.corp:8080\n    jvm.system.timezone : Europe/Berlin\n-->\n'
            '<entity-engine-xml>\n')
    i, written = 0, 0
    while written < mb * 1_000_000:
        r = row.format(i=i)
        f.write(r)
        written += len(r)
        i += 1
    f.write('</entity-engine-xml>\n')
PY
printf '<?xml version="1.0"?><backup/>\n' >"$work/activeobjects.xml"
(cd "$work" && zip -q -1 backup.zip entities.xml activeobjects.xml)
mkdir -p "$work/home/data/attachments/ABC/10000/ABC-1"
for i in $(seq 1 40); do
    head -c 4000000 /dev/urandom >"$work/home/data/attachments/ABC/10000/ABC-1/$((10000 + i))"
done

status=0
# Runs one command in the terminal and prints the progress lines it showed.
screen() {
    local name="$1"; shift
    local want="$1"; shift
    tmux kill-session -t bfprogress 2>/dev/null || true
    tmux new-session -d -s bfprogress -x 160 -y 10 "$* ; echo __done__; sleep 30"
    local seen="$work/$name.screen"
    : >"$seen"
    for _ in $(seq 1 1200); do
        tmux capture-pane -p -t bfprogress >>"$seen" 2>/dev/null || true
        grep -q __done__ "$seen" && break
        sleep 0.1
    done
    echo "== $name: $*"
    # Progress lines carry the elapsed time in brackets; show each label once.
    grep -E '\[[0-9]{2}:[0-9]{2}:[0-9]{2}\]' "$seen" | sed -E 's/ +$//' | awk '{ key = $2 " " $3; if (!(key in s)) { s[key] = 1; print "  " $0 } }' || true
    local label
    IFS='|' read -ra labels <<<"$want"
    for label in "${labels[@]}"; do
        if ! grep -q -- "$label" "$seen"; then
            echo "  MISSING: no \"$label\" on the screen"
            status=1
        fi
    done
}

screen fix-xml "repairing" "$bin" fix "$work/entities.xml" -o "$work/fixed.xml" --tz auto
screen fix-zip "repairing entries" "$bin" fix "$work/backup.zip" -o "$work/fixed.zip" --level 6
screen check "checking" "$bin" check "$work/backup.zip"
screen split "media-001.zip" "$bin" split "$work/home" -o "$work/media" --max-size 40MB --min-size 0
exit "$status"
