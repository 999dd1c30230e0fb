#!/usr/bin/env bash
# Measures aup's POST /v1/check/upload on this machine. It builds aup and
# benchupload, writes the fixtures (benchupload gen, the same bytes for the
# same SEED) and prints:
#   - uploads screened per second, MiB/s and latency percentiles for a 1 MiB
#     PDF of prose, a 5 MiB 4000×3000 photo-like JPEG and a 10 MiB ZIP of
#     text files and photos, each at 1 and at 2 uploads at once;
#   - for each 50 MiB case (a text file, a ZIP, a PDF, a JPEG too large to
#     decode, and beside them the largest JPEG that is decoded and one over
#     the 50 Mpx limit, which must be refused with 422): the rise of the
#     server's resident memory while screening one upload, peak (VmHWM)
#     minus before (VmRSS), against the budget of 64 MiB. Each run is on
#     a fresh server warmed up with a small upload, so that memory a
#     previous case left with the Go runtime does not hide its cost; the
#     peak is reset after the warm-up by writing 5 to /proc/PID/clear_refs.
# aup runs in development mode (no API keys, loopback) on the embedded
# in-memory store, with the verdict cache off (AUP_CACHE_ENTRIES=0): the
# load posts one file over and over, and with the cache on every upload
# after the first would find its text's verdicts cached, which distinct
# uploads do not.
# Usage: scripts/bench-upload.sh [seconds per throughput run, default 10]
# Environment:
#   SEED         fixture seed (default 1)
#   CONCURRENCY  uploads at once for the throughput runs (default "1 2")
#   MEM_RUNS     fresh servers each memory case is measured on; the table
#                shows the worst (default 3)
# GOGC, GOMEMLIMIT and GODEBUG in the environment reach aup (and benchupload)
# as they reach any Go program.
set -euo pipefail
cd "$(dirname "$0")/.."

secs="${1:-10}"
seed="${SEED:-1}"
concs="${CONCURRENCY:-1 2}"
mem_runs="${MEM_RUNS:-3}"
budget_mib=64
[[ "$secs" =~ ^[1-9][0-9]*$ ]] || { echo "bench-upload: seconds per run must be a whole number >= 1, not '$secs'" >&2; exit 2; }
[[ "$seed" =~ ^[0-9]+$ ]] || { echo "bench-upload: SEED must be a whole number, not '$seed'" >&2; exit 2; }
[[ "$mem_runs" =~ ^[1-9][0-9]*$ ]] || { echo "bench-upload: MEM_RUNS must be a whole number >= 1, not '$mem_runs'" >&2; exit 2; }
for c in $concs; do
  [[ "$c" =~ ^[1-9][0-9]*$ ]] || { echo "bench-upload: CONCURRENCY takes whole numbers >= 1, not '$c'" >&2; exit 2; }
done

. scripts/lib.sh
start_run
fail_logs=(aup.log)

go build -o "$tmp/aup" ./cmd/aup
go build -o "$tmp/benchupload" ./internal/tools/benchupload
mkdir -p "$tmp/fx" "$tmp/spool"
echo "== fixtures (benchupload gen -seed $seed)"
"$tmp/benchupload" gen -dir "$tmp/fx" -seed "$seed"

aup_pid='' aup_url=''
# start_aup starts a fresh aup serve and waits until /readyz answers 200.
start_aup() {
  stop_all
  local port
  port=$(free_port)
  aup_url="http://127.0.0.1:$port"
  env -u AUP_API_KEYS -u AUP_REDIS_URL AUP_ADDR="127.0.0.1:$port" AUP_LOG_LEVEL=warn AUP_CACHE_ENTRIES=0 \
    AUP_MAX_UPLOAD_BYTES=$((64 << 20)) AUP_UPLOAD_DIR="$tmp/spool" "$tmp/aup" serve 2>"$tmp/aup.log" &
  aup_pid=$!
  pids+=("$aup_pid")
  wait_ready aup "$aup_pid" "$port" curl -fs "$aup_url/readyz"
}
load() { "$tmp/benchupload" load -url "$aup_url/v1/check/upload" "$@"; }
alive() { kill -0 "$aup_pid" 2>/dev/null || die "aup died"; }
kb() { proc_kb "$aup_pid" "$1"; }
field() { sed -nE "1s#.* $1=([^ ]+).*#\1#p" <<<"$2"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

echo "== throughput: aup $(git describe --always --dirty 2>/dev/null || echo '?'), $(nproc) cores, $(go env GOVERSION), ${secs}s a run"
echo "   (uploads are started for ${secs}s; those under way then are waited for and counted)"
start_aup
load -file "$tmp/fx/warmup.txt" -count 20 -label warm-up >/dev/null || { alive; die "warm-up failed"; }
rows=()
for fx in pdf-1MB.pdf jpeg-5MB.jpg zip-10MB.zip; do
  for c in $concs; do
    out=$(load -file "$tmp/fx/$fx" -duration "${secs}s" -concurrency "$c") || { echo "$out"; alive; die "$fx at concurrency $c failed"; }
    echo "$out"
    rows+=("$(printf '%-14s %8s %3s %10s %7s %9s %9s %7s' "$fx" "$(field size "$out")" "$c" "$(field uploads/s "$out")" \
      "$(field MiB/s "$out")" "$(field p50 "$out")" "$(field p99 "$out")" "$(field n "$out")")")
  done
done
alive

echo "== resident memory for one 50 MiB upload: $mem_runs runs a case, each on a fresh server warmed up with a small upload; budget ${budget_mib} MiB"
mem_rows=()
for spec in text-50MB.txt:200 zip-50MB.zip:200 pdf-50MB.pdf:200 jpeg-50MB.jpg:200 jpeg-16Mpx.jpg:200 jpeg-56Mpx.jpg:422; do
  fx=${spec%:*} want=${spec#*:}
  rises=() worst=-1 worst_before=0 worst_peak=0
  for run in $(seq "$mem_runs"); do
    start_aup
    load -file "$tmp/fx/warmup.txt" -count 20 -label warm-up >/dev/null || { alive; die "warm-up failed"; }
    # Reset the peak to the current resident memory, and check that it was.
    echo 5 >"/proc/$aup_pid/clear_refs" 2>/dev/null || true
    before=$(kb VmRSS) hwm0=$(kb VmHWM)
    reset=yes
    if ((hwm0 > before + 1024)); then
      reset="no: VmHWM stayed at $(mib "$hwm0") MiB after clear_refs, so the peak includes start-up"
    fi
    out=$(load -file "$tmp/fx/$fx" -count 1 -expect "$want") || { echo "$out"; alive; die "$fx failed"; }
    alive
    peak=$(kb VmHWM) after=$(kb VmRSS)
    rise=$((peak - before))
    ((run > 1)) || echo "$out"
    echo "$(printf '%-16s' '') run $run: VmRSS before $(mib "$before") MiB, VmHWM peak $(mib "$peak") MiB, VmRSS after $(mib "$after") MiB: rise $(mib "$rise") MiB; peak reset: $reset"
    rises+=("$(mib "$rise")")
    if ((rise > worst)); then worst=$rise worst_before=$before worst_peak=$peak; fi
  done
  met=$(awk -v r="$worst" -v b="$budget_mib" 'BEGIN { print (r <= b * 1024 ? "met" : "MISSED") }')
  mem_rows+=("$(printf '%-15s %8s %6s %9s %8s %8s %8s  %-6s %s' "$fx" "$(field size "$out")" "$(field status "$out" | sed 's/×.*//')" \
    "$(field p50 "$out")" "$(mib "$worst_before")" "$(mib "$worst_peak")" "$(mib "$worst")" "$met" "$(IFS=/; echo "${rises[*]}")")")
done
stop_all

echo
echo "== summary ($(nproc) cores; verdict cache off; in-memory store)"
printf '%-14s %8s %3s %10s %7s %9s %9s %7s\n' fixture size c uploads/s MiB/s p50 p99 uploads
printf '%s\n' "${rows[@]}"
echo
echo "(rise = VmHWM peak - VmRSS before, MiB; the worst of $mem_runs runs, with that run's before and peak; latency of the last run)"
printf '%-15s %8s %6s %9s %8s %8s %8s  %-6s %s\n' "50 MiB case" size status latency before peak rise "<=${budget_mib}" "rise in each run"
printf '%s\n' "${mem_rows[@]}"
