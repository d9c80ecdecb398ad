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
BIN=target/release/backup-fix
GEN=target/release/examples/gen_backup

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

declare -A SECS RSS BYTES
TIMEFILE=$(mktemp)
trap 'rm -f "$TIMEFILE"' EXIT

# measure KEY INPUT COMMAND: best wall time of RUNS runs, and its peak RSS.
measure() {
    local key="$1" input="$2" cmd="$3" best="" rss=""
    cat "$input" > /dev/null # warm the page cache
    for _ in $(seq "$RUNS"); do
        local t0 t1
        t0=$(date +%s%N)
        if ! /usr/bin/time -f '%M' -o "$TIMEFILE" bash -c "$cmd" > /dev/null 2>&1; then
            echo "FAILED: $cmd" >&2
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

measure cat "$CLEAN" "cat '$CLEAN' > /dev/null"
measure tr "$CLEAN" "tr -d '\\000-\\010\\013\\014\\016-\\037' < '$CLEAN' > /dev/null"
if command -v xmllint >/dev/null 2>&1; then
    measure xmllint "$CLEAN" "xmllint --stream --noout '$CLEAN'"
fi
measure fix_clean "$CLEAN" "$BIN fix '$CLEAN' -o /dev/null --quiet"
measure fix_defects "$DEFECTS" "$BIN fix '$DEFECTS' -o /dev/null --quiet"
measure fix_huge "$HUGEF" "$BIN fix '$HUGEF' -o /dev/null --quiet"
# check exits 1 when the import would fail: a verdict, not a failure.
measure check "$CLEAN" "$BIN check '$CLEAN' > /dev/null; test \$? -le 1"
if command -v java >/dev/null 2>&1; then
    measure sax "$CLEAN" "java tests/support/SaxCheck.java '$CLEAN'"
fi
MAPS="--map-url http://jira.corp:8080=https://acme.atlassian.net --map-url http://confluence.corp:8090=https://acme.atlassian.net/wiki"
measure fix_tz "$CLEAN" "$BIN fix '$CLEAN' -o /dev/null --quiet --tz Europe/Berlin"
measure fix_links "$CLEAN" "$BIN fix '$CLEAN' -o /dev/null --quiet $MAPS"
measure fix_all "$CLEAN" "$BIN fix '$CLEAN' -o /dev/null --quiet --tz Europe/Berlin $MAPS"

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
    awk -v a="$a" -v b="$b" -v l="$3" 'BEGIN { if (a <= 0) a = 0.001; printf "  %-52s %6.2fx\n", l, b / a }'
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
echo "ratios (higher is better for backup-fix):"
ratio fix_clean tr "fix (clean) vs tr -d"
ratio fix_clean cat "fix (clean) vs cat"
ratio fix_clean xmllint "fix (clean) vs xmllint --stream"
ratio fix_defects tr "fix (defects) vs tr -d"
ratio check xmllint "check vs xmllint --stream (goal >= 3x)"
ratio check sax "check vs JDK SAX parser (goal >= 3x)"
ratio fix_tz fix_clean "fix --tz vs fix (goal >= 0.80x)"
ratio fix_links fix_clean "fix, two --map-url vs fix (goal >= 0.80x)"
ratio fix_all fix_clean "fix --tz + two --map-url vs fix"
