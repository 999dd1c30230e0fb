#!/usr/bin/env bash
# Runs a mixed workload against aup on a private Redis for a fixed time and
# prints throughput, latency percentiles and status counts per operation, and
# aup's resident memory (VmRSS) and Redis's used_memory every 10 s.
# It starts a redis-server (appendonly yes, appendfsync everysec) on a free
# port and aup (built with go build; API keys on: a backend key and two
# moderator keys; AUP_RATE_LIMIT=0, so no request is refused for its rate),
# then runs internal/tools/load: check workers (20% of the checks repeat an
# earlier text, the rest are distinct texts of the labelled evaluation files
# when they are there, synthesised notes when not), report workers filing
# reports about a share of the checked notes, and moderator workers over the
# two keys claiming and deciding the cases.
# Usage: scripts/load.sh [seconds, default 60]
# Environment:
#   EVAL_DATA   directory of JSONL files with the texts (default: the first of
#               ../shared/data/eval and ../../shared/data/eval that has some)
#   LOAD_ARGS   more flags for internal/tools/load (e.g. "-checks 8 -report 0.1")
#   RATE_LIMIT  AUP_RATE_LIMIT for the run (default 0: off)
set -euo pipefail
cd "$(dirname "$0")/.."

secs="${1:-60}"
if [[ -n "${EVAL_DATA:-}" ]]; then
  data=$EVAL_DATA
else
  data=../shared/data/eval
  for d in ../shared/data/eval ../../shared/data/eval; do
    if compgen -G "$d/*.jsonl" >/dev/null; then data=$d; break; fi
  done
fi
rate_limit="${RATE_LIMIT:-0}"
[[ "$secs" =~ ^[1-9][0-9]*$ ]] || { echo "load: seconds must be a whole number >= 1, not '$secs'" >&2; exit 2; }
[[ "$rate_limit" =~ ^[0-9]+$ ]] || { echo "load: RATE_LIMIT must be a whole number >= 0, not '$rate_limit'" >&2; exit 2; }
command -v redis-server >/dev/null || { echo "load: redis-server is not on PATH (apt-get install redis-server)" >&2; exit 1; }

. scripts/lib.sh
start_run
fail_logs=(aup.log redis/redis.log)

go build -o "$tmp/aup" ./cmd/aup
go build -o "$tmp/load" ./internal/tools/load

# Read by the load tool; kept off command lines.
export LOAD_KEY LOAD_MODERATOR_KEYS
LOAD_KEY=$(random_key)
mod1=$(random_key) mod2=$(random_key)
LOAD_MODERATOR_KEYS="$mod1,$mod2"
api_keys="load:backend:$LOAD_KEY,mod1:moderator:$mod1,mod2:moderator:$mod2"

mkdir -p "$tmp/redis"
redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$tmp/redis" --save "" \
  --appendonly yes --appendfsync everysec --daemonize no --logfile "$tmp/redis/redis.log" &
redis_pid=$!
pids+=("$redis_pid")
wait_ready redis-server "$redis_pid" "$redis_port" redis-cli -p "$redis_port" ping

aup_port=$(free_port)
aup_url="http://127.0.0.1:$aup_port"
AUP_ADDR="127.0.0.1:$aup_port" AUP_API_KEYS="$api_keys" AUP_REDIS_URL="redis://127.0.0.1:$redis_port" \
  AUP_PSEUDONYM_KEY="$(random_key)" AUP_LOG_LEVEL=warn AUP_RATE_LIMIT="$rate_limit" \
  "$tmp/aup" serve 2>"$tmp/aup.log" &
aup_pid=$!
pids+=("$aup_pid")
wait_ready aup "$aup_pid" "$aup_port" curl -fs "$aup_url/readyz"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$aup_url/v1/review/claim" -H "Authorization: Bearer $LOAD_KEY")
[[ "$code" == 403 ]] || die "a backend key claimed a case with status $code, want 403: aup is not running with the load keys"

corpus=()
if compgen -G "$data/*.jsonl" >/dev/null; then corpus=(-corpus "$data"); fi

echo "== aup under a mixed load on $(nproc) cores (shared with whatever else runs), redis $(redis-server --version | awk '{ print $3 }' | tr -d v=) appendfsync everysec, AUP_RATE_LIMIT=$rate_limit"
echo "aup VmRSS at ready: $(($(proc_kb "$aup_pid" VmRSS) / 1024)) MB"
# shellcheck disable=SC2086 # LOAD_ARGS is a list of flags
"$tmp/load" -url "$aup_url" -duration "${secs}s" -pid "$aup_pid" -redis "127.0.0.1:$redis_port" "${corpus[@]}" ${LOAD_ARGS:-}
kill -0 "$aup_pid" 2>/dev/null || die "aup died"
echo "redis: $(redis-cli -p "$redis_port" dbsize) keys, aof $(du -sh "$tmp/redis/appendonlydir" 2>/dev/null | cut -f1 || echo '?') on disk; keys by prefix (up to the second ':'):"
redis-cli -p "$redis_port" --scan | cut -d: -f1-2 | sort | uniq -c | sort -rn | head -n 8
