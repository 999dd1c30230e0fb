#!/usr/bin/env bash
# Measures aup's POST /v1/check against a bare Echo handler that only decodes
# and encodes the same JSON, on this machine, in the production configuration:
# API keys on (the load sends a backend key) and a user_id on every request
# (so the spam-wave counter runs). It prints:
#   - requests/s on distinct notes (cache misses) and on repeated notes
#     (cache hits) as a share of the bare handler's, per round and the median
#     over rounds; each round runs bare, aup-distinct and aup-repeated in turn,
#     and its ratios are against its own bare run;
#   - seconds from start until /readyz answers 200;
#   - resident memory after the rounds and 100,000 more distinct checks.
# Usage: scripts/bench-http.sh [seconds per run, default 8]
# Environment:
#   ROUNDS     rounds of [bare, aup-distinct, aup-repeated] (default 3)
#   REDIS_URL  measure against this Redis (passed as AUP_REDIS_URL); by default
#              aup uses its embedded store, as in the README's one-command run
#   RATE_LIMIT AUP_RATE_LIMIT of the bench key, per second (default 50000: more
#              than aup serves here, so the limiter counts every request, in
#              chunks of 781, and refuses none; 0 turns it off)
set -euo pipefail
cd "$(dirname "$0")/.."

secs="${1:-8}"
rounds="${ROUNDS:-3}"
rate_limit="${RATE_LIMIT:-50000}"
users=1000 # user ids the load draws from
conns=32   # concurrent connections of the load generator
[[ "$secs" =~ ^[1-9][0-9]*$ ]] || { echo "bench-http: seconds per run must be a whole number >= 1, not '$secs'" >&2; exit 2; }
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "bench-http: ROUNDS must be a whole number >= 1, not '$rounds'" >&2; exit 2; }
[[ "$rate_limit" =~ ^[0-9]+$ ]] || { echo "bench-http: RATE_LIMIT must be a whole number >= 0, not '$rate_limit'" >&2; exit 2; }

. scripts/lib.sh
start_run
fail_logs=(bare.log aup.log)

alive() {
  kill -0 "$bare_pid" 2>/dev/null || die "the bare handler died"
  kill -0 "$aup_pid" 2>/dev/null || die "aup died"
}

go build -o "$tmp/aup" ./cmd/aup
go build -o "$tmp/benchhttp" ./internal/tools/benchhttp

export BENCHHTTP_KEY # read by benchhttp load; kept off command lines
BENCHHTTP_KEY=$(random_key)
auth="Authorization: Bearer $BENCHHTTP_KEY"

if [[ -n "${REDIS_URL:-}" ]]; then
  store="Redis at $(sed -E 's#://[^@/]*@#://****@#' <<<"$REDIS_URL") (AUP_REDIS_URL)" store_name=Redis
else
  store="embedded in-memory store (no Redis; set REDIS_URL to measure against Redis)" store_name=embedded
fi

bare_port=$(free_port)
"$tmp/benchhttp" bare -addr "127.0.0.1:$bare_port" 2>"$tmp/bare.log" &
bare_pid=$!
pids+=("$bare_pid")
wait_ready "bare handler" "$bare_pid" "$bare_port" \
  curl -fs -o /dev/null -X POST "http://127.0.0.1:$bare_port/v1/check" -H "$auth" -H 'Content-Type: application/json' -d '{"text":"x","user_id":"u"}'

aup_port=$(free_port)
aup_url="http://127.0.0.1:$aup_port"
t0=$(date +%s.%N)
AUP_ADDR="127.0.0.1:$aup_port" AUP_API_KEYS="bench:backend:$BENCHHTTP_KEY" AUP_REDIS_URL="${REDIS_URL:-}" AUP_PSEUDONYM_KEY="$(random_key)" AUP_RATE_LIMIT="$rate_limit" \
  "$tmp/aup" serve 2>"$tmp/aup.log" &
aup_pid=$!
pids+=("$aup_pid")
wait_ready aup "$aup_pid" "$aup_port" curl -fs "$aup_url/readyz"
t1=$(date +%s.%N)

# The key must be needed and must work, or this is not the production path.
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$aup_url/v1/check" -H 'Content-Type: application/json' -d '{"text":"x","user_id":"u"}')
[[ "$code" == 401 ]] || die "aup answered a check without an API key with $code, want 401: it is not running with keys"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$aup_url/v1/check" -H "$auth" -H 'Content-Type: application/json' -d '{"text":"x","user_id":"u"}')
[[ "$code" == 200 ]] || die "aup answered a check with the bench key with $code, want 200"

echo "== aup POST /v1/check vs a bare Echo handler, $(nproc) cores"
echo "store: $store"
echo "rate limit: $( ((rate_limit > 0)) && echo "$rate_limit requests/s for the bench key (AUP_RATE_LIMIT)" || echo off)"
echo "load: $conns connections, 300-byte notes, user_id from $users users, API key (backend role) on every request (the bare handler ignores it)"
echo "$rounds rounds of [bare, aup-distinct, aup-repeated], ${secs}s each"

load() { "$tmp/benchhttp" load -duration "${secs}s" -c "$conns" -users "$users" "$@"; }
rps() { sed -E 's/.*rps=([0-9]+).*/\1/' <<<"$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a/b }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%.3f", NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2 }'; }
verdict() { awk -v v="$1" -v b="$2" 'BEGIN { print (v >= b ? "met" : "MISSED") }'; }

miss_ratios=() hit_ratios=()
for round in $(seq "$rounds"); do
  seed=$(od -An -N7 -tu8 /dev/urandom | tr -d ' ') # the same bodies for bare and aup-distinct
  echo "-- round $round"
  bare=$(load -url "http://127.0.0.1:$bare_port/v1/check" -seed "$seed" -label bare-echo) || { alive; die "round $round: bare run failed"; }
  echo "$bare"
  miss=$(load -url "$aup_url/v1/check" -seed "$seed" -label aup-distinct) || { alive; die "round $round: aup-distinct run failed"; }
  echo "$miss"
  hit=$(load -url "$aup_url/v1/check" -repeat 1 -label aup-repeated) || { alive; die "round $round: aup-repeated run failed"; }
  echo "$hit"
  alive
  m=$(ratio "$(rps "$miss")" "$(rps "$bare")") h=$(ratio "$(rps "$hit")" "$(rps "$bare")")
  miss_ratios+=("$m") hit_ratios+=("$h")
  printf 'round %d: distinct/bare = %.3f, repeated/bare = %.3f\n' "$round" "$m" "$h"
done

echo "== summary (store: $store_name)"
mm=$(median "${miss_ratios[@]}") mh=$(median "${hit_ratios[@]}")
echo "median distinct/bare over $rounds rounds = $mm (rounds: ${miss_ratios[*]}; budget >= 0.3: $(verdict "$mm" 0.3))"
echo "median repeated/bare over $rounds rounds = $mh (rounds: ${hit_ratios[*]}; budget >= 0.6: $(verdict "$mh" 0.6))"
ready=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b-a }')
echo "ready after $ready s (start to /readyz 200; budget <= 2 s: $(verdict 2 "$ready"))"

"$tmp/benchhttp" load -url "$aup_url/v1/check" -c "$conns" -users "$users" -count 100000 -label aup-100k-distinct || { alive; die "100k run failed"; }
alive
rss=$(proc_kb "$aup_pid" VmRSS) hwm=$(proc_kb "$aup_pid" VmHWM)
echo "resident memory after the rounds and 100,000 more distinct checks: VmRSS $((rss / 1024)) MB, VmHWM (peak) $((hwm / 1024)) MB (budget <= 300 MB: $(verdict 300 "$((rss / 1024))"))"
