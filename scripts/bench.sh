#!/usr/bin/env bash
# Times backup-fix against the tools users reach for today, in one run, on
# generated Jira-like backups, and prints throughput, peak RSS and ratios.
#
#   scripts/bench.sh                 # 500 MiB inputs (the issue's figures)
#   BENCH_SIZE=16MiB scripts/bench.sh   # quick smoke run (CI)
#
# Environment: BENCH_SIZE (input size), BENCH_HUGE (size of the single-CDATA
# memory test, default 1GiB, or BENCH_SIZE when that is smaller), BENCH_RUNS
# (best of N, default 3), BENCH_DIR (scratch directory, default bench-out).
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE="${BENCH_SIZE:-500MiB}"
RUNS="${BENCH_RUNS:-3}"
DIR="${BENCH_DIR:-bench-out}"
to_bytes() {
    local s="${1,,}"
    case "$s" in
        *gib) echo $(( ${s%gib} << 30 )) ;;
        *mib) echo $(( ${s%mib} << 20 )) ;;
        *kib) echo $(( ${s%kib} << 10 )) ;;
        *) echo "$s" ;;
    esac
}
SIZE_BYTES=$(to_bytes "$SIZE")
HUGE="${BENCH_HUGE:-1GiB}"
if (( $(to_bytes "$HUGE") > SIZE_BYTES * 2 )) && [[ -z "${BENCH_HUGE:-}" ]] && (( SIZE_BYTES < (256 << 20) )); then
    HUGE="$SIZE"
fi

mkdir -p "$DIR"
echo "building (release)..." >&2
cargo build --release --quiet --all-features --bin backup-fix --example gen_backup
# Where cargo builds (CARGO_TARGET_DIR when set).
TARGET="${CARGO_TARGET_DIR:-target}"
BIN=$TARGET/release/backup-fix
GEN=$TARGET/release/examples/gen_backup

# Baseline tools: install xmllint if missing and we can (Debian, root).
if ! command -v xmllint >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [[ $(id -u) == 0 ]]; then
    echo "installing xmllint (libxml2-utils) for the baseline..." >&2
    (apt-get install -y -q libxml2-utils >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q libxml2-utils >/dev/null 2>&1; }) || true
fi

gen() { # gen NAME ARGS...: generate once per size
    local name="$1"; shift
    local file="$DIR/$name"
    if [[ ! -s "$file" ]]; then
        "$GEN" "$@" -o "$file" 2>/dev/null
    fi
    echo "$file"
}
CLEAN=$(gen "clean-$SIZE.xml" --size "$SIZE")
DEFECTS=$(gen "defects-$SIZE.xml" --size "$SIZE" --defects)
HUGEF=$(gen "huge-cdata-$HUGE.xml" --size 64KiB --huge-cdata "$HUGE")
# The second data shape: many short attribute-only rows, few long CDATA bodies.
ROWSF=$(gen "rows-$SIZE.xml" --size "$SIZE" --shape rows)

declare -A SECS RSS BYTES WHY
TIMEFILE=$(mktemp)
ERRFILE=$(mktemp)
trap 'rm -f "$TIMEFILE" "$ERRFILE"' EXIT

# measure KEY INPUT COMMAND: best wall time of RUNS runs, and its peak RSS.
measure() {
    local key="$1" input="$2" cmd="$3" best="" rss=""
    cat "$input" > /dev/null # warm the page cache
    for _ in $(seq "$RUNS"); do
        local t0 t1
        t0=$(date +%s%N)
        if ! /usr/bin/time -f '%M' -o "$TIMEFILE" bash -c "$cmd" > /dev/null 2> "$ERRFILE"; then
            WHY[$key]=$(tail -n 1 "$ERRFILE" | cut -c 1-160)
            echo "FAILED: $cmd${WHY[$key]:+: ${WHY[$key]}}" >&2
            SECS[$key]="fail"; return
        fi
        t1=$(date +%s%N)
        local s m
        s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
        m=$(tail -n 1 "$TIMEFILE")
        if [[ -z "$best" ]] || awk "BEGIN{exit !($s < $best)}"; then best="$s"; rss="$m"; fi
    done
    SECS[$key]="$best"; RSS[$key]="$rss"; BYTES[$key]=$(stat -c %s "$input")
}

# The hand-made baseline: tr -d of the C0 controls XML 1.0 forbids.
TRD="tr -d '\\000-\\010\\013\\014\\016-\\037'"
measure cat "$CLEAN" "cat '$CLEAN' > /dev/null"
measure tr "$CLEAN" "$TRD < '$CLEAN' > /dev/null"
if command -v xmllint >/dev/null 2>&1; then
    measure xmllint "$CLEAN" "xmllint --stream --noout '$CLEAN'"
fi
measure fix_clean "$CLEAN" "$BIN fix '$CLEAN' -o /dev/null --quiet"
measure fix_defects "$DEFECTS" "$BIN fix '$DEFECTS' -o /dev/null --quiet"
measure fix_huge "$HUGEF" "$BIN fix '$HUGEF' -o /dev/null --quiet"
# check exits 1 when the import would fail: a verdict, not a failure.
measure check "$CLEAN" "$BIN check '$CLEAN' > /dev/null; test \$? -le 1"
if command -v java >/dev/null 2>&1; then
    measure sax "$CLEAN" "java tests/it/support/SaxCheck.java '$CLEAN'"
fi
MAPS="--map-url http://jira.corp:8080=https://acme.atlassian.net --map-url http://confluence.corp:8090=https://acme.atlassian.net/wiki"
measure fix_tz "$CLEAN" "$BIN fix '$CLEAN' -o /dev/null --quiet --tz Europe/Berlin"
measure fix_links "$CLEAN" "$BIN fix '$CLEAN' -o /dev/null --quiet $MAPS"
measure fix_all "$CLEAN" "$BIN fix '$CLEAN' -o /dev/null --quiet --tz Europe/Berlin $MAPS"
# What a migration runs: the zone and the cloud site (from the stated base URL).
measure fix_cloud "$CLEAN" "$BIN fix '$CLEAN' -o /dev/null --quiet --tz Europe/Berlin --cloud-url https://acme.atlassian.net"
MAP1="--map-url http://jira.corp:8080=https://acme.atlassian.net"
MAP10="$MAP1"
for k in 1 2 3 4 5 6 7 8 9; do MAP10="$MAP10 --map-url http://server$k.corp:8080=https://acme.atlassian.net"; done
measure fix_map1 "$CLEAN" "$BIN fix '$CLEAN' -o /dev/null --quiet $MAP1"
measure fix_map10 "$CLEAN" "$BIN fix '$CLEAN' -o /dev/null --quiet $MAP10"
measure tr_rows "$ROWSF" "$TRD < '$ROWSF' > /dev/null"
measure fix_rows "$ROWSF" "$BIN fix '$ROWSF' -o /dev/null --quiet"
measure check_rows "$ROWSF" "$BIN check '$ROWSF' > /dev/null; test \$? -le 1"
measure fix_cloud_rows "$ROWSF" "$BIN fix '$ROWSF' -o /dev/null --quiet --tz Europe/Berlin --cloud-url https://acme.atlassian.net"
# Users, groups and memberships only (about 4,600 memberships per MiB, a
# fifth of the users with stale ids): memory must not grow with them.
MEMBERS=$(gen "memberships-$SIZE.xml" --size "$SIZE" --shape memberships)
measure check_members "$MEMBERS" "$BIN check '$MEMBERS' > /dev/null; test \$? -le 1"
measure fix_members "$MEMBERS" "$BIN fix '$MEMBERS' -o /dev/null --quiet --repair-memberships"

row() { # row KEY LABEL
    local k="$1" label="$2"
    [[ -n "${SECS[$k]:-}" ]] || return 0
    if [[ "${SECS[$k]}" == fail ]]; then printf '%-44s %s\n' "$label" "FAILED"; return; fi
    awk -v l="$label" -v s="${SECS[$k]}" -v b="${BYTES[$k]}" -v r="${RSS[$k]}" \
        'BEGIN { t = (s > 0 ? s : 0.001); printf "%-44s %8.3f s %9.0f MB/s %9.1f MiB\n", l, s, b / t / 1e6, r / 1024 }'
}
ratio() { # ratio A B LABEL: how many times faster A is than B
    local a="${SECS[$1]:-}" b="${SECS[$2]:-}"
    [[ -n "$a" && -n "$b" && "$a" != fail && "$b" != fail ]] || return 0
    awk -v a="$a" -v b="$b" -v l="$3" 'BEGIN { if (a <= 0) a = 0.001; printf "  %-58s %6.2fx\n", l, b / a }'
}

echo
echo "== backup-fix benchmark: $(nproc) cores, input $SIZE ($(stat -c %s "$CLEAN") bytes), best of $RUNS"
printf '%-44s %10s %14s %13s\n' "command" "time" "throughput" "peak RSS"
row cat "cat (page cache read)"
row tr "tr -d controls (does part of the job)"
row xmllint "xmllint --stream --noout (checks only)"
row fix_clean "backup-fix fix, clean input"
row fix_defects "backup-fix fix, input with defects"
row fix_huge "backup-fix fix, one $HUGE CDATA section"
row check "backup-fix check (verdict + audit)"
row sax "JDK SAX parser (java SaxCheck, verdict only)"
row fix_tz "backup-fix fix --tz Europe/Berlin"
row fix_links "backup-fix fix, two --map-url"
row fix_all "backup-fix fix --tz, two --map-url"
row fix_cloud "backup-fix fix --tz --cloud-url"
row fix_map1 "backup-fix fix, one --map-url"
row fix_map10 "backup-fix fix, ten --map-url"
row tr_rows "tr -d controls (rows shape)"
row fix_rows "backup-fix fix (rows shape)"
row check_rows "backup-fix check (rows shape)"
row fix_cloud_rows "backup-fix fix --tz --cloud-url (rows shape)"
row check_members "backup-fix check (memberships shape)"
row fix_members "fix --repair-memberships (memberships shape)"
echo "ratios (higher is better for backup-fix):"
ratio fix_clean tr "fix (clean) vs tr -d (goal >= 1.5x)"
ratio fix_rows tr_rows "fix (rows shape) vs tr -d (goal >= 1.5x)"
ratio check tr "check vs tr -d (goal >= 1.5x)"
ratio check_rows tr_rows "check (rows shape) vs tr -d (goal >= 1.5x)"
ratio fix_clean cat "fix (clean) vs cat"
ratio fix_clean xmllint "fix (clean) vs xmllint --stream"
ratio fix_defects tr "fix (defects) vs tr -d"
ratio check xmllint "check vs xmllint --stream (goal >= 3x)"
ratio check sax "check vs JDK SAX parser (goal >= 3x)"
ratio fix_tz fix_clean "fix --tz vs fix (goal >= 0.80x)"
ratio fix_links fix_clean "fix, two --map-url vs fix (goal >= 0.80x)"
ratio fix_all fix_clean "fix --tz + two --map-url vs fix"
ratio fix_cloud fix_clean "fix --tz --cloud-url vs fix (goal >= 0.80x)"
ratio fix_cloud_rows fix_rows "fix --tz --cloud-url vs fix, rows shape (goal >= 0.80x)"
ratio fix_map10 fix_map1 "ten --map-url vs one (goal 1.00x)"

# ==== split (issue 6): media zips vs cp -r, zip -r -0 and zipsplit ===# Environment: BENCH_SPLIT_SIZE (attachment tree, default 160MiB, or BENCH_SIZE
# when that is smaller), BENCH_SPLIT_SMALL (tree of ~1 KiB files for the memory
# check, default 64MiB, or BENCH_SIZE/4 when BENCH_SIZE is smaller).
# Outputs of every run are kept until the measurement is over (each run writes
# to a new directory), then deleted; peak disk use is about 5x the tree.
SPLIT_SIZE="${BENCH_SPLIT_SIZE:-160MiB}"
SPLIT_SMALL="${BENCH_SPLIT_SMALL:-64MiB}"
if [[ -z "${BENCH_SPLIT_SIZE:-}" ]] && (( SIZE_BYTES < $(to_bytes "$SPLIT_SIZE") )); then SPLIT_SIZE="$SIZE"; fi
if [[ -z "${BENCH_SPLIT_SMALL:-}" ]] && (( SIZE_BYTES < $(to_bytes "$SPLIT_SMALL") )); then
    SPLIT_SMALL="$(( SIZE_BYTES / 4 ))"
fi
SPLIT_MAX=$(( $(to_bytes "$SPLIT_SIZE") / 4 ))
SPLIT_MIN=$(( SPLIT_MAX / 2 ))
cargo build --release --quiet --all-features --example gen_attachments
GENA=$TARGET/release/examples/gen_attachments
SHOME="$DIR/split-home-$SPLIT_SIZE"
SSMALL="$DIR/split-small-$SPLIT_SMALL"
SZIP="$DIR/split-media-$SPLIT_SIZE.zip"
mkdir -p "$DIR/split-runs"
RUNSDIR="$(cd "$DIR/split-runs" && pwd)"
if [[ ! -d "$SHOME" ]]; then
    "$GENA" --size "$SPLIT_SIZE" --projects 8 --mean 200KiB --large "2x$(( $(to_bytes "$SPLIT_SIZE") / 16 ))" -o "$SHOME" 2>/dev/null
fi
if [[ ! -d "$SSMALL" ]]; then
    "$GENA" --size "$SPLIT_SMALL" --projects 4 --mean 1KiB --no-thumbnails -o "$SSMALL" 2>/dev/null
fi
if [[ ! -s "$SZIP" ]]; then # an existing media zip: the whole tree, stored, made by backup-fix
    rm -rf "$DIR/split-onezip"
    "$BIN" split "$SHOME" -o "$DIR/split-onezip" --max-size 64GiB --min-size 0 --no-sync -q
    mv "$DIR/split-onezip/media-001.zip" "$SZIP"
    rm -rf "$DIR/split-onezip"
fi
tree_bytes() { find "$1" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'; }
SHOME_BYTES=$(tree_bytes "$SHOME")
SSMALL_FILES=$(find "$SSMALL" -type f | wc -l)
MARK="$DIR/split-mark" # measure() warms and sizes its input file; trees are warmed here
: > "$MARK"
# measure_tree KEY TREE COMMAND: like measure, on a tree; COMMAND writes to "$d".
measure_tree() {
    local key="$1" tree="$2" cmd="$3"
    find "$tree" -type f -exec cat {} + > /dev/null
    sync
    measure "$key" "$MARK" "d=\$(mktemp -d -p '$RUNSDIR'); $cmd"
    BYTES[$key]=$(tree_bytes "$tree")
    rm -rf "${RUNSDIR:?}"/*
    sync
}
measure_zip() { # measure_zip KEY COMMAND: on the existing media zip
    sync
    measure "$1" "$SZIP" "d=\$(mktemp -d -p '$RUNSDIR'); $2"
    BYTES[$1]=$SHOME_BYTES
    rm -rf "${RUNSDIR:?}"/*
    sync
}
SPLIT_ARGS="--max-size $SPLIT_MAX --min-size $SPLIT_MIN -q"
measure_tree s_cp "$SHOME" "cp -r '$SHOME' \"\$d/t\""
if command -v zip >/dev/null 2>&1; then
    measure_tree s_zip "$SHOME" "cd '$SHOME' && zip -qr -0 \"\$d/all.zip\" data logos"
fi
measure_tree s_tree "$SHOME" "$BIN split '$SHOME' -o \"\$d\" $SPLIT_ARGS"
measure_tree s_tree_ns "$SHOME" "$BIN split '$SHOME' -o \"\$d\" $SPLIT_ARGS --no-sync"
measure_tree s_auto_ns "$SHOME" "$BIN split '$SHOME' -o \"\$d\" $SPLIT_ARGS --no-sync --compress auto"
if command -v zipsplit >/dev/null 2>&1; then
    measure_zip s_zipsplit "zipsplit -q -n $SPLIT_MAX -b \"\$d\" '$SZIP'"
fi
measure_zip s_zsplit "$BIN split '$SZIP' -o \"\$d\" $SPLIT_ARGS"
measure_zip s_zsplit_ns "$BIN split '$SZIP' -o \"\$d\" $SPLIT_ARGS --no-sync"
measure_tree s_small_cp "$SSMALL" "cp -r '$SSMALL' \"\$d/t\""
measure_tree s_small_ns "$SSMALL" "$BIN split '$SSMALL' -o \"\$d\" --max-size 4GiB -q --no-sync"

echo
echo "== split benchmark: tree $SPLIT_SIZE ($SHOME_BYTES bytes, $(find "$SHOME" -type f | wc -l) files), --max-size $SPLIT_MAX, best of $RUNS"
printf '%-44s %10s %14s %13s\n' "command" "time" "throughput" "peak RSS"
row s_cp "cp -r (tree)"
row s_zip "zip -r -0 (tree, one stored zip)"
row s_tree "backup-fix split, tree (fsync, default)"
row s_tree_ns "backup-fix split, tree, --no-sync"
row s_auto_ns "backup-fix split, tree, --compress auto"
row s_zipsplit "zipsplit (existing stored zip)"
row s_zsplit "backup-fix split, existing zip (fsync)"
row s_zsplit_ns "backup-fix split, existing zip, --no-sync"
row s_small_cp "cp -r ($SSMALL_FILES small files)"
row s_small_ns "backup-fix split ($SSMALL_FILES small files)"
echo "ratios (higher is better for backup-fix; goal: tree >= 0.80 of cp -r):"
ratio s_tree_ns s_cp "split tree --no-sync vs cp -r"
ratio s_tree s_cp "split tree (fsync) vs cp -r"
ratio s_tree_ns s_zip "split tree --no-sync vs zip -r -0"
ratio s_zsplit_ns s_cp "split zip --no-sync vs cp -r"
ratio s_zsplit s_cp "split zip (fsync) vs cp -r"
ratio s_zsplit_ns s_tree_ns "split zip vs split tree (both --no-sync)"
ratio s_zsplit_ns s_zipsplit "split zip --no-sync vs zipsplit"
ratio s_small_ns s_small_cp "split small files vs cp -r"

# ---- issue 5: whole backups (backup-fix fix backup.zip) ------------------------------
# A generated Jira backup zip (entities.xml of $SIZE, activeobjects.xml, 20 attachments
# of 1 MiB, deflated at level 6 like Jira's) repaired by backup-fix, against the pipeline
# a user builds today: unzip -p | tr -d | zip (which cleans only part of what we clean,
# and only entities.xml), at zip's default level 6 and at -1. Throughput counts
# uncompressed entities.xml bytes. A second zip holding one $HUGE CDATA section shows
# peak RSS does not follow the data's size.
# Goals (issue 12): by default the repaired entities.xml is at most 1.05x the size of the
# level-6 pipeline's (the pipeline's zip holds only that entry, so the whole zips are
# shown apart), and fix is at least 3x faster than that pipeline; --level 1 at least 3x
# the zip -1 pipeline. Peak RSS under 64 MiB.
if ! command -v zip >/dev/null 2>&1 || ! command -v unzip >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1 && [[ $(id -u) == 0 ]]; then
        echo "installing zip and unzip for the archive baseline..." >&2
        (apt-get install -y -q zip unzip >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q zip unzip >/dev/null 2>&1; }) || true
    fi
fi
if command -v zip >/dev/null 2>&1 && command -v unzip >/dev/null 2>&1; then
    cargo build --release --quiet --all-features --example gen_backup_zip
    GENZIP=$TARGET/release/examples/gen_backup_zip
    ZIPIN="$DIR/backup-$SIZE.zip"
    [[ -s "$ZIPIN" ]] || "$GENZIP" --size "$SIZE" --attachments 20 --attachment-size 1MiB -o "$ZIPIN" 2>/dev/null
    ZIPHUGE="$DIR/backup-huge-cdata-$HUGE.zip"
    [[ -s "$ZIPHUGE" ]] || "$GENZIP" --size 64KiB --huge-cdata "$HUGE" --attachments 2 --level 1 -o "$ZIPHUGE" 2>/dev/null
    xml_bytes() { unzip -l "$1" entities.xml | awk 'NR == 4 { print $1 }'; }
    # entry_size ZIP NAME: the compressed size of one entry
    entry_size() { unzip -v "$1" "$2" | awk 'NR == 4 { print $3 }'; }
    BASE6="$DIR/baseline-6.zip"
    BASE1="$DIR/baseline-1.zip"
    FIXED="$DIR/fixed.zip"
    FIXED1="$DIR/fixed-level-1.zip"
    rm -f "$BASE6" "$BASE1" "$FIXED" "$FIXED1"
    measure zip_base "$ZIPIN" "rm -f '$BASE6'; unzip -p '$ZIPIN' entities.xml | $TRD | zip -q -fz '$BASE6' -"
    CPU6="$DIR/fixed-report.json"
    CPU1="$DIR/fixed-level-1-report.json"
    measure zip_fix "$ZIPIN" "$BIN fix '$ZIPIN' -o '$FIXED' --quiet --report '$CPU6'"
    measure zip_fix1 "$ZIPIN" "$BIN fix '$ZIPIN' -o '$FIXED' --quiet --threads 1"
    measure zip_base1 "$ZIPIN" "rm -f '$BASE1'; unzip -p '$ZIPIN' entities.xml | $TRD | zip -1 -q -fz '$BASE1' -"
    measure zip_fix_l1 "$ZIPIN" "$BIN fix '$ZIPIN' -o '$FIXED1' --quiet --level 1 --report '$CPU1'"
    measure zip_huge "$ZIPHUGE" "$BIN fix '$ZIPHUGE' -o '$DIR/fixed-huge.zip' --quiet"
    for k in zip_base zip_fix zip_fix1 zip_base1 zip_fix_l1; do BYTES[$k]=$(xml_bytes "$ZIPIN"); done
    BYTES[zip_huge]=$(xml_bytes "$ZIPHUGE")
    unzip -tq "$DIR/fixed-huge.zip" >/dev/null || echo "WARNING: unzip -t found errors in the repaired huge-CDATA zip" >&2
    unzip -tq "$FIXED" >/dev/null || echo "WARNING: unzip -t found errors in the repaired zip" >&2
    huge_size=$(stat -c %s "$DIR/fixed-huge.zip" 2>/dev/null || echo 0)
    # size_ratio A B LABEL: A / B, lower is better for backup-fix
    size_ratio() {
        [[ -n "$1" && -n "$2" && "$2" != 0 ]] || return 0
        awk -v a="$1" -v b="$2" -v l="$3" 'BEGIN { printf "  %-52s %6.3fx\n", l, a / b }'
    }
    echo
    echo "== whole backup zip: entities.xml $SIZE ($(xml_bytes "$ZIPIN") bytes) + activeobjects.xml + 20 attachments, zip $(stat -c %s "$ZIPIN") bytes, best of $RUNS"
    printf '%-44s %10s %14s %13s\n' "command" "time" "XML rate" "peak RSS"
    row zip_base "unzip -p | tr -d | zip (level 6, baseline)"
    row zip_fix "backup-fix fix backup.zip (default level)"
    row zip_fix1 "backup-fix fix backup.zip --threads 1"
    row zip_base1 "unzip -p | tr -d | zip -1 (baseline)"
    row zip_fix_l1 "backup-fix fix backup.zip --level 1"
    row zip_huge "backup-fix fix, zip with one $HUGE CDATA"
    echo "ratios (higher is better for backup-fix):"
    ratio zip_fix zip_base "fix zip vs unzip|tr|zip (goal >= 3x)"
    ratio zip_fix1 zip_base "fix zip --threads 1 vs unzip|tr|zip"
    ratio zip_fix_l1 zip_base1 "fix zip --level 1 vs unzip|tr|zip -1 (goal >= 3x)"
    echo "sizes (lower is better for backup-fix):"
    size_ratio "$(entry_size "$FIXED" entities.xml)" "$(entry_size "$BASE6" -)" "entities.xml: fix vs unzip|tr|zip (goal <= 1.05x)"
    size_ratio "$(entry_size "$FIXED1" entities.xml)" "$(entry_size "$BASE1" -)" "entities.xml: fix --level 1 vs unzip|tr|zip -1"
    size_ratio "$(stat -c %s "$FIXED")" "$(stat -c %s "$ZIPIN")" "whole zip: fix vs the input backup"
    echo "output sizes: backup-fix $(stat -c %s "$FIXED") bytes, --level 1 $(stat -c %s "$FIXED1") bytes (all entries);" \
        "baseline $(stat -c %s "$BASE6") bytes, -1 $(stat -c %s "$BASE1") bytes (entities.xml only); huge-CDATA output $huge_size bytes"
    # cpu_split REPORT LABEL: where entities.xml's CPU time went (the last run's --report)
    cpu_split() {
        [[ -s "$1" ]] || return 0
        python3 - "$1" "$2" <<'PY'
import json, sys
x = [e for e in json.load(open(sys.argv[1]))["archive"]["xml"] if e["name"].endswith("entities.xml")]
c = x[0].get("cpu") if x else None
if c:
    total = c["inflate"] + c["xml"] + c["deflate"] + c["write"]
    print("  %-26s inflate %.2f s, XML %.2f s, deflate %.2f s on %d threads, write %.2f s;"
          " %.2f s CPU in %.2f s wall (%.2f cores)" % (sys.argv[2], c["inflate"], c["xml"],
          c["deflate"], c["deflate_threads"], c["write"], total, c["wall"], total / max(c["wall"], 1e-9)))
else:
    print("  %-26s not measured on this system" % sys.argv[2])
PY
    }
    echo "CPU time of entities.xml by stage (last run; the machine's load average: $(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null)):"
    cpu_split "$CPU6" "default level:"
    cpu_split "$CPU1" "--level 1:"
    rm -f "$BASE6" "$BASE1" "$FIXED" "$FIXED1" "$DIR/fixed-huge.zip" "$CPU6" "$CPU1"
else
    echo
    echo "SKIPPED: whole-backup benchmark (zip and unzip are not installed and could not be installed)"
fi
# ---- end of issue 5 section -----------------------------------------------------------

# ---- many entries (issue 11) ----------------------------------------------------------
# A Confluence-like site export of BENCH_ENTRIES entries (default 1000000, or 20000 when
# BENCH_SIZE is under 256 MiB): a / entry first, a directory entry per page and per
# attachment, ~100-byte attachment files, a data descriptor on every entry, as
# Confluence 6.13 writes them; entities.xml has an Attachment object per file. fix and
# check against the tools that do the same per-entry work (zip -U copies every entry,
# unzip -tq inflates and tests every entry); split too, on the same zip without
# entities.xml and the descriptor (split refuses backups). Rates are entries per second.
# Goal: fix and check at least as fast as their baselines, peak RSS under 64 MiB.
ENTRIES="${BENCH_ENTRIES:-1000000}"
if [[ -z "${BENCH_ENTRIES:-}" ]] && (( SIZE_BYTES < (256 << 20) )); then ENTRIES=20000; fi
if command -v zip >/dev/null 2>&1 && command -v unzip >/dev/null 2>&1; then
    cargo build --release --quiet --all-features --example gen_confluence_export
    GENC=$TARGET/release/examples/gen_confluence_export
    MANY="$DIR/confluence-export-$ENTRIES.zip"
    [[ -s "$MANY" ]] || "$GENC" --entries "$ENTRIES" -o "$MANY" 2>/dev/null
    MANY_N=$(zipinfo -h "$MANY" | sed -n 's/.*number of entries: \([0-9]*\).*/\1/p')
    MOUT="$DIR/many-out.zip"
    MSPLIT="$DIR/many-split"
    MCHECK="$DIR/many-check.txt"
    rm -rf "$MOUT" "$MSPLIT"
    measure m_zipu "$MANY" "rm -f '$MOUT'; zip -q -U '$MANY' --out '$MOUT'"
    measure m_fix "$MANY" "rm -f '$MOUT'; $BIN fix '$MANY' -o '$MOUT' --quiet"
    measure m_unzip "$MANY" "unzip -tq '$MANY'"
    # check exits 1 when the import would fail: a verdict, not a failure.
    measure m_check "$MANY" "$BIN check '$MANY' --quiet > '$MCHECK'; test \$? -le 1"
    # split refuses a backup: it gets the same entries without the export's XML.
    MMEDIA="$DIR/many-media-$ENTRIES.zip"
    [[ -s "$MMEDIA" ]] || { cp "$MANY" "$MMEDIA" && zip -q -d "$MMEDIA" entities.xml exportDescriptor.properties; }
    measure m_split "$MMEDIA" "rm -rf '$MSPLIT'; $BIN split '$MMEDIA' -o '$MSPLIT' --no-sync -q"
    rm -rf "$MOUT" "$MSPLIT"
    erow() { # erow KEY LABEL: like row, in entries per second
        local k="$1" label="$2"
        [[ -n "${SECS[$k]:-}" ]] || return 0
        if [[ "${SECS[$k]}" == fail ]]; then
            local why
            why=$(sed -E 's/^backup-fix: error: [^:]*: //' <<< "${WHY[$k]:-}" | cut -c 1-90)
            printf '%-44s %s\n' "$label" "FAILED${why:+: $why}"
            return
        fi
        awk -v l="$label" -v s="${SECS[$k]}" -v n="$MANY_N" -v r="${RSS[$k]}" \
            'BEGIN { t = (s > 0 ? s : 0.001); printf "%-44s %8.3f s %9.0f e/s %10.1f MiB\n", l, s, n / t, r / 1024 }'
    }
    rss_goal() { # rss_goal KEY LABEL: peak RSS against the 64 MiB goal
        local k="$1"
        [[ -n "${SECS[$k]:-}" && "${SECS[$k]}" != fail ]] || return 0
        awk -v l="$2" -v r="${RSS[$k]}" \
            'BEGIN { m = r / 1024; printf "  %-52s %6.1f MiB %s\n", l, m, (m < 64 ? "(met)" : "(MISSED)") }'
    }
    echo
    echo "== many entries: Confluence-like export, $MANY_N entries, zip $(stat -c %s "$MANY") bytes, best of $RUNS"
    printf '%-44s %10s %14s %13s\n' "command" "time" "entries/s" "peak RSS"
    erow m_zipu "zip -U --out (copies every entry)"
    erow m_fix "backup-fix fix"
    erow m_unzip "unzip -tq (tests every entry)"
    erow m_check "backup-fix check"
    erow m_split "backup-fix split --no-sync (without the XML)"
    # A check that refuses the archive (an Archive error) stops before the entries.
    refused=$(grep -m 1 '^  ERROR   Archive' "$MCHECK" 2>/dev/null | sed 's/^  ERROR   Archive *//' | cut -c 1-100 || true)
    rm -f "$MCHECK"
    if [[ -n "$refused" && "${SECS[m_check]:-}" != fail ]]; then
        echo "note: check refused the archive, so its row is not a full check: $refused"
        SECS[m_check]=fail
    fi
    echo "ratios (higher is better for backup-fix):"
    ratio m_fix m_zipu "fix vs zip -U (goal >= 1x)"
    ratio m_check m_unzip "check vs unzip -tq (goal >= 1x)"
    echo "peak RSS goal < 64 MiB:"
    rss_goal m_fix "fix"
    rss_goal m_check "check"
    rss_goal m_split "split"
else
    echo
    echo "SKIPPED: many-entries benchmark (zip and unzip are not installed)"
fi
# ---- end of issue 11 section ----------------------------------------------------------

# ---- issue 14: attachments checked against the backup ---------------------------------
# A generated Jira home of BENCH_XCHECK_FILES files (default 300,000; 3,000 when
# BENCH_SIZE is below 500MiB, the smoke run) of ~1 KiB (about half attachments, half
# thumbnails, 8 projects, a renamed project, the old layout), with a matching backup in
# export/ (every 50th row left out: orphans). split with and without --backup (the
# cross-check; goal: at most 1.10x), and check --attachments (goal: peak RSS < 64 MiB).
# Medians of BENCH_RUNS rounds (at least 5 outside the smoke run), the commands taking
# turns, each run's output deleted between runs, outside the timing.
XFILES="${BENCH_XCHECK_FILES:-300000}"
XRUNS="$RUNS"
if [[ -z "${BENCH_XCHECK_FILES:-}" ]] && (( SIZE_BYTES < (500 << 20) )); then XFILES=3000; elif (( XRUNS < 5 )); then XRUNS=5; fi
cargo build --release --quiet --all-features --example gen_jira_home
GENH=$TARGET/release/examples/gen_jira_home
XHOME="$DIR/xcheck-home-$XFILES"
if [[ ! -d "$XHOME" ]]; then
    # About 1.8 files (an attachment, most with a thumbnail) per attachment asked for.
    "$GENH" "$XHOME" $(( XFILES * 10 / 18 )) 50 0 > /dev/null
fi
XBACKUP=$(find "$XHOME/export" -name '*.zip' | head -n 1)
XN=$(find "$XHOME/data" "$XHOME/logos" -type f | wc -l)
find "$XHOME" -type f -exec cat {} + > /dev/null # warm the page cache
XOUT="$DIR/xcheck-out"
# xmeasure KEY COMMAND [KEY COMMAND ...]: the commands run in turn, XRUNS rounds after
# one discarded warm-up round (so none of them pays alone for a cold cache or for
# writeback); per command the median wall time, and the largest peak RSS.
# Each COMMAND writes to $XOUT, which is emptied before every run, outside the timing.
xmeasure() {
    local -a keys=() cmds=()
    while (( $# >= 2 )); do keys+=("$1"); cmds+=("$2"); shift 2; done
    declare -A times=() peak=()
    local round k
    for round in $(seq 0 "$XRUNS"); do
        for k in "${!keys[@]}"; do
            local key="${keys[$k]}"
            [[ "${SECS[$key]:-}" == fail ]] && continue
            rm -rf "$XOUT"
            if ! /usr/bin/time -f '%e %M' -o "$TIMEFILE" bash -c "${cmds[$k]}" > /dev/null 2> "$ERRFILE"; then
                echo "FAILED: ${cmds[$k]}: $(tail -n 1 "$ERRFILE" | cut -c 1-160)" >&2
                SECS[$key]="fail"; continue
            fi
            (( round == 0 )) && continue
            local t m
            read -r t m < <(tail -n 1 "$TIMEFILE")
            times[$key]+="$t "
            (( m > ${peak[$key]:-0} )) && peak[$key]="$m"
        done
    done
    rm -rf "$XOUT"
    for key in "${keys[@]}"; do
        [[ "${SECS[$key]:-}" == fail ]] && continue
        SECS[$key]=$(printf '%s\n' ${times[$key]} | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
        RSS[$key]="${peak[$key]}"
    done
}
XARGS="--max-size 4GiB --min-size 0 --no-sync -q"
xmeasure x_split "$BIN split '$XHOME' -o '$XOUT' $XARGS" \
    x_split_b "$BIN split '$XHOME' -o '$XOUT' $XARGS --backup '$XBACKUP'" \
    x_split_or "$BIN split '$XHOME' -o '$XOUT' $XARGS --backup '$XBACKUP' --only-referenced --no-thumbnails" \
    x_check "$BIN check '$XBACKUP' --attachments '$XHOME' > /dev/null; test \$? -le 1"
xrow() { # xrow KEY LABEL: time, files per second, peak RSS
    local k="$1"
    [[ -n "${SECS[$k]:-}" ]] || return 0
    if [[ "${SECS[$k]}" == fail ]]; then printf '%-52s %s\n' "$2" "FAILED"; return; fi
    awk -v l="$2" -v s="${SECS[$k]}" -v n="$XN" -v r="${RSS[$k]}" \
        'BEGIN { t = (s > 0 ? s : 0.01); printf "%-52s %8.2f s %9.0f files/s %7.1f MiB\n", l, s, n / t, r / 1024 }'
}
echo
echo "== attachments cross-check: Jira home of $XN files, backup $(stat -c %s "$XBACKUP") bytes, median of $XRUNS (peak RSS: the largest)"
printf '%-52s %10s %15s %11s\n' "command" "time" "files/s" "peak RSS"
xrow x_split "backup-fix split --no-sync"
xrow x_split_b "backup-fix split --no-sync --backup (cross-check)"
xrow x_split_or "  ... --only-referenced --no-thumbnails"
xrow x_check "backup-fix check --attachments"
if [[ "${SECS[x_split]:-fail}" != fail && "${SECS[x_split_b]:-fail}" != fail ]]; then
    awk -v a="${SECS[x_split_b]}" -v b="${SECS[x_split]}" \
        'BEGIN { if (b <= 0) b = 0.01; r = a / b; printf "  %-58s %6.2fx %s\n", "split --backup vs split (goal <= 1.10x)", r, (b < 0.5 ? "(too short to judge: smoke run)" : (r <= 1.10 ? "(met)" : "(MISSED)")) }'
fi
if [[ "${SECS[x_check]:-fail}" != fail ]]; then
    awk -v r="${RSS[x_check]}" 'BEGIN { m = r / 1024; printf "  %-58s %6.1f MiB %s\n", "check --attachments peak RSS (goal < 64 MiB)", m, (m < 64 ? "(met)" : "(MISSED)") }'
fi
# ---- end of issue 14 section ----------------------------------------------------------
