#!/usr/bin/env bash
# Measures aup's review desk on this machine against a private Redis with the
# append-only file on, once with appendfsync everysec (the usual setting) and
# once with appendfsync always (every write on disk before Redis answers).
# For each it starts a fresh redis-server and aup (built with go build, API
# keys on: a backend key and two moderator keys) and prints:
#   - reports accepted per second (POST /v1/reports, 202), each from its own
#     reporter about its own note, with latency percentiles;
#   - claim+decide round trips per second (POST /v1/review/claim, then POST
#     /v1/review/items/{id}/decision keep or remove), working the queue that
#     the reports run filled, with percentiles of the round trip, the claim
#     and the decision.
# Usage: scripts/bench-review.sh [seconds per run, default 10]
# Environment:
#   REPORT_CONNS  concurrent report workers (default 32)
#   DECIDE_CONNS  concurrent moderator workers, taking the two keys in turn
#                 (default 16)
#   FSYNC         the appendfsync settings to run (default "everysec always")
set -euo pipefail
cd "$(dirname "$0")/.."

secs="${1:-10}"
report_conns="${REPORT_CONNS:-32}"
decide_conns="${DECIDE_CONNS:-16}"
fsyncs="${FSYNC:-everysec always}"
for v in "$secs" "$report_conns" "$decide_conns"; do
  [[ "$v" =~ ^[1-9][0-9]*$ ]] || { echo "bench-review: seconds and connection counts must be whole numbers >= 1, not '$v'" >&2; exit 2; }
done
for f in $fsyncs; do
  [[ "$f" == everysec || "$f" == always || "$f" == no ]] || { echo "bench-review: FSYNC takes everysec, always or no, not '$f'" >&2; exit 2; }
done
command -v redis-server >/dev/null || { echo "bench-review: redis-server is not on PATH (apt-get install redis-server)" >&2; exit 1; }

. scripts/lib.sh
start_run
fail_logs=('aup-*.log' 'redis-*/redis.log')

go build -o "$tmp/aup" ./cmd/aup
go build -o "$tmp/benchreview" ./internal/tools/benchreview

# Read by benchreview; kept off command lines.
export BENCHREVIEW_KEY BENCHREVIEW_MODERATOR_KEYS
BENCHREVIEW_KEY=$(random_key)
mod1=$(random_key) mod2=$(random_key)
BENCHREVIEW_MODERATOR_KEYS="$mod1,$mod2"
api_keys="bench:backend:$BENCHREVIEW_KEY,mod1:moderator:$mod1,mod2:moderator:$mod2"

echo "== aup review desk on $(nproc) cores, $(redis-server --version | awk '{ print $3 }' | tr -d v=)"
echo "load: reports from $report_conns workers (distinct reporters and notes, 200-byte text that aup screens), ${secs}s;"
echo "      claim+decide from $decide_conns workers over 2 moderator keys on the queue the reports filled, up to ${secs}s"

for fsync in $fsyncs; do
  dir="$tmp/redis-$fsync"
  mkdir -p "$dir"
  redis_port=$(free_port)
  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$dir" --save "" \
    --appendonly yes --appendfsync "$fsync" --daemonize no --logfile "$dir/redis.log" &
  redis_pid=$!
  pids+=("$redis_pid")
  wait_ready redis-server "$redis_pid" "$redis_port" redis-cli -p "$redis_port" ping
  got=$(redis-cli -p "$redis_port" config get appendfsync | tail -n 1)
  [[ "$got" == "$fsync" ]] || die "redis-server reports appendfsync $got, want $fsync"

  aup_port=$(free_port)
  aup_url="http://127.0.0.1:$aup_port"
  # No rate limit: one backend key files more reports a second than the
  # default AUP_RATE_LIMIT lets a key make.
  AUP_ADDR="127.0.0.1:$aup_port" AUP_API_KEYS="$api_keys" AUP_REDIS_URL="redis://127.0.0.1:$redis_port" AUP_PSEUDONYM_KEY="$(random_key)" AUP_LOG_LEVEL=warn AUP_RATE_LIMIT=0 \
    "$tmp/aup" serve 2>"$tmp/aup-$fsync.log" &
  aup_pid=$!
  pids+=("$aup_pid")
  wait_ready aup "$aup_pid" "$aup_port" curl -fs "$aup_url/readyz"
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$aup_url/v1/review/claim" -H "Authorization: Bearer $BENCHREVIEW_KEY")
  [[ "$code" == 403 ]] || die "a backend key claimed a case with status $code, want 403: aup is not running with the bench keys"

  echo "-- appendonly yes, appendfsync $fsync"
  "$tmp/benchreview" reports -url "$aup_url" -c "$report_conns" -duration "${secs}s" -label "reports ($fsync)" ||
    die "the reports run failed (appendfsync $fsync)"
  "$tmp/benchreview" decide -url "$aup_url" -c "$decide_conns" -prefill 0 -duration "${secs}s" -label "claim+decide ($fsync)" ||
    die "the claim+decide run failed (appendfsync $fsync)"
  kill -0 "$aup_pid" 2>/dev/null || die "aup died"
  echo "aof: $(du -h "$dir"/appendonlydir 2>/dev/null | tail -n 1 | cut -f1 || echo '?') on disk, $(redis-cli -p "$redis_port" dbsize) keys"
  stop_all
done
