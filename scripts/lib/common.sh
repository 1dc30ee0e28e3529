# Helpers shared by scripts/run, scripts/test and perf/bench-*: packages,
# meson build dirs, readiness polling and free ports. Sourced, never run;
# assumes the caller runs under `set -euo pipefail` from the repo root.

CH_REPO=${CH_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

ch_log() { echo "${CH_LOG_TAG:-challenged}: $*" >&2; }

# Installs missing Debian packages (scripts/setup is idempotent and cheap
# when everything is present).
ch_setup() {
  "$CH_REPO/scripts/setup"
}

# ch_meson_setup DIR [meson options...]: configures DIR once.
ch_meson_setup() {
  local dir=$1
  shift
  if [[ ! -f $CH_REPO/$dir/build.ninja ]]; then
    ch_log "meson setup $dir $*"
    meson setup "$CH_REPO/$dir" "$CH_REPO" "$@" >"$CH_REPO/.local/meson-setup-${dir//\//_}.log" 2>&1 || {
      cat "$CH_REPO/.local/meson-setup-${dir//\//_}.log" >&2
      return 1
    }
  fi
}

# Prints a TCP port nothing listens on (the kernel's choice for port 0).
ch_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# ch_wait_http URL PID DEADLINE_S [curl args...]: polls URL until it answers
# 200, the process PID dies (returns 1) or DEADLINE_S seconds pass (returns 2).
ch_wait_http() {
  local url=$1 pid=$2 deadline=$((SECONDS + $3))
  shift 3
  while ((SECONDS < deadline)); do
    if curl -fsS -o /dev/null -m 2 "$@" "$url" 2>/dev/null; then
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 2
}

# ch_stop_pid PID [TIMEOUT_S]: SIGTERM, wait, then SIGKILL. Prints nothing
# when the process is already gone. Returns the process's exit status when we
# are its parent.
ch_stop_pid() {
  local pid=$1 deadline=$((SECONDS + ${2:-15}))
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return $?; }
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
    sleep 0.05
  done
  if kill -0 "$pid" 2>/dev/null; then
    ch_log "pid $pid did not stop after SIGTERM; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null
}
