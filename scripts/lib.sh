# Shell helpers shared by the benchmark scripts; source it after cd to the
# repository root.

die() { echo "${0##*/}: $*" >&2; exit 1; }

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
