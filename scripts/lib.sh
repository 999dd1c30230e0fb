# Shell helpers shared by the benchmark scripts; source it after cd to the
# repository root.

die() { echo "${0##*/}: $*" >&2; exit 1; }

# start_run makes the scratch directory $tmp and sets traps so that on exit
# every process in pids is stopped and $tmp removed, and, if the script
# failed, the last lines of the logs matching the patterns in fail_logs
# (relative to $tmp) are shown, request lines left out.
start_run() {
  tmp=$(mktemp -d)
  pids=() # every process the script starts
  fail_logs=()
  trap on_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# stop_all stops every process in pids and waits for it.
stop_all() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}

on_exit() {
  local status=$? pattern log
  stop_all
  if ((status != 0)); then
    for pattern in "${fail_logs[@]}"; do
      for log in "$tmp"/$pattern; do
        [[ -s "$log" ]] || continue
        echo "--- last lines of ${log#"$tmp"/} (request lines left out) ---" >&2
        grep -v '"msg":"request"' "$log" | tail -n 15 >&2 || true
      done
    done
  fi
  rm -rf "$tmp"
  exit "$status"
}

# random_key prints 32 random hex digits.
random_key() { head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# proc_kb PID FIELD prints a kB figure of /proc/PID/status, e.g. VmRSS.
proc_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# free_port prints a loopback port that nothing listens on now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# owns_port PID PORT: whether process PID holds the listening socket on PORT,
# so that a busy port answered by someone else's server is not measured.
owns_port() {
  local inode
  inode=$(awk -v p="$(printf ':%04X' "$2")" '$4 == "0A" && substr($2, length($2)-4) == p { print $10; exit }' /proc/net/tcp /proc/net/tcp6)
  [[ -n "$inode" ]] && ls -l "/proc/$1/fd" 2>/dev/null | grep -qF "socket:[$inode]"
}

# wait_ready NAME PID PORT CMD...: runs CMD until it succeeds while PID lives,
# for at most 30 s, then checks that PID is the one listening on PORT.
wait_ready() {
  local name=$1 pid=$2 port=$3 deadline=$((SECONDS + 30))
  shift 3
  until "$@" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || die "$name exited before it was ready (is port $port busy?)"
    ((SECONDS < deadline)) || die "$name is not ready after 30 s"
    sleep 0.02
  done
  owns_port "$pid" "$port" || die "port $port answered, but not from the $name started here: the port is busy"
}
