#!/usr/bin/env bash
# Measures aup's POST /v1/check against a bare Echo handler that only decodes
# and encodes the same JSON, in one run on this machine, and prints:
#   - requests/s on distinct notes (cache misses) and on repeated notes
#     (cache hits), each as a share of the bare handler's;
#   - seconds from start until /readyz answers 200;
#   - resident memory after 100,000 checks.
# Usage: scripts/bench-http.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

go build -o "$tmp/aup" ./cmd/aup
go build -o "$tmp/benchhttp" ./internal/tools/benchhttp
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
bare_port=$(port); aup_port=$(port)

"$tmp/benchhttp" bare -addr "127.0.0.1:$bare_port" &
t0=$(date +%s.%N)
AUP_ADDR="127.0.0.1:$aup_port" "$tmp/aup" serve 2>"$tmp/aup.log" &
aup_pid=$!
until curl -fs "http://127.0.0.1:$aup_port/readyz" >/dev/null 2>&1; do sleep 0.02; done
t1=$(date +%s.%N)
until curl -fs -o /dev/null -X POST "http://127.0.0.1:$bare_port/v1/check" -H 'Content-Type: application/json' -d '{"text":"x"}'; do sleep 0.02; done

run() { "$tmp/benchhttp" load -duration "${secs}s" "$@"; }
echo "== /v1/check, ${secs}s each, 32 connections, 300-byte notes"
bare=$(run -url "http://127.0.0.1:$bare_port/v1/check" -label bare-echo); echo "$bare"
miss=$(run -url "http://127.0.0.1:$aup_port/v1/check" -label aup-distinct); echo "$miss"
hit=$(run -url "http://127.0.0.1:$aup_port/v1/check" -repeat 1 -label aup-repeated); echo "$hit"
rps() { sed -E 's/.*rps=([0-9]+).*/\1/' <<<"$1"; }
awk -v b="$(rps "$bare")" -v m="$(rps "$miss")" -v h="$(rps "$hit")" \
  'BEGIN { printf "ratio distinct/bare = %.2f (budget >= 0.3)\nratio repeated/bare = %.2f (budget >= 0.6)\n", m/b, h/b }'
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "ready after %.2f s (budget <= 2 s)\n", b-a }'

"$tmp/benchhttp" load -url "http://127.0.0.1:$aup_port/v1/check" -count 100000 -label aup-100k-distinct
rss=$(awk '/VmRSS/ {print $2}' "/proc/$aup_pid/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$aup_pid/status")
echo "resident memory after the runs above and 100,000 more checks: $((rss/1024)) MB (peak $((hwm/1024)) MB; budget <= 300 MB)"
