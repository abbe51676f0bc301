#!/usr/bin/env bash
# Smoke test: `make run` on this checkout comes up (/healthz, /readyz, a tenant page) and Ctrl-C stops
# everything it started. Used by `make smoke` and CI (.ci/run).
#
# Embedded PostgreSQL/Redis are used (DATABASE_URL/REDIS_URL unset) unless SMOKE_USE_ENV=1.
# Data stays in .data/ like a developer's run, so do not run this while `make run` is up on this checkout.
#
# Tunables: SMOKE_HEALTH_TIMEOUT (s, default 180: the first run migrates and seeds),
#           SMOKE_READY_TIMEOUT (s, default 60: the Celery worker starts after the web),
#           SMOKE_STOP_TIMEOUT (s, default 30), SMOKE_LOG (default .data/smoke-run.log).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd -P)"
DATA_DIR="$ROOT/.data"

HEALTH_TIMEOUT="${SMOKE_HEALTH_TIMEOUT:-180}"
READY_TIMEOUT="${SMOKE_READY_TIMEOUT:-60}"
STOP_TIMEOUT="${SMOKE_STOP_TIMEOUT:-30}"
TENANT_HOST="gd.localhost"
TENANT_NAME="广东省政务服务和数据管理局"

mkdir -p "$DATA_DIR"
LOG="${SMOKE_LOG:-$DATA_DIR/smoke-run.log}"
: >"$LOG"

if [[ "${SMOKE_USE_ENV:-0}" != "1" ]]; then
  unset DATABASE_URL REDIS_URL CELERY_BROKER_URL
fi

PY="${PYTHON:-python3}"
[[ -x .venv/bin/python ]] && PY=.venv/bin/python
PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
BASE="http://127.0.0.1:$PORT"

PGID=""
STARTED_AT=$(date +%s)
elapsed() { echo $(($(date +%s) - STARTED_AT)); }
say() { printf '[smoke %4ss] %s\n' "$(elapsed)" "$*"; }

port_listening() {
  "$PY" - "$PORT" <<'EOF'
import socket, sys
with socket.socket() as s:
    s.settimeout(0.5)
    sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)
EOF
}

# Processes of ours still alive: the process group, anything bound to our .data (embedded PostgreSQL,
# Redis, celery beat's schedule file) — pgrep -f matches the full command line.
leftovers() {
  {
    [[ -n "$PGID" ]] && pgrep -g "$PGID" 2>/dev/null || true
    pgrep -f -- "$DATA_DIR" 2>/dev/null || true
  } | grep -v -x -e "$$" -e "$BASHPID" | sort -u || true
}

show_leftovers() {
  local pids
  pids="$(leftovers | tr '\n' ',' | sed 's/,$//')"
  [[ -n "$pids" ]] && ps -o pid,pgid,user,args -p "$pids" 2>/dev/null || true
}

fail() {
  say "FAIL: $*"
  echo "----- last 80 lines of $LOG -----"
  tail -n 80 "$LOG" || true
  echo "---------------------------------"
  stop_all || true
  exit 1
}

STOPPED=0
# Ctrl-C equivalent to the whole group, then wait; escalate only so a failed run leaves nothing behind.
stop_all() {
  [[ "$STOPPED" == 1 || -z "$PGID" ]] && return 0
  STOPPED=1
  kill -INT -- "-$PGID" 2>/dev/null || true
  local deadline=$(($(date +%s) + STOP_TIMEOUT))
  while [[ $(date +%s) -lt $deadline ]]; do
    if [[ -z "$(leftovers)" ]] && ! port_listening; then
      wait "$RUN_PID" 2>/dev/null || true
      return 0
    fi
    sleep 1
  done
  say "still running ${STOP_TIMEOUT}s after SIGINT:"
  show_leftovers
  kill -TERM -- "-$PGID" 2>/dev/null || true
  sleep 5
  kill -KILL -- "-$PGID" 2>/dev/null || true
  return 1
}
trap 'stop_all >/dev/null 2>&1 || true' EXIT
trap 'say "interrupted"; stop_all; exit 130' INT TERM

if [[ -n "$(pgrep -f -- "$DATA_DIR" || true)" ]]; then
  say "processes already use $DATA_DIR (is \`make run\` up on this checkout?):"
  pgrep -af -- "$DATA_DIR" || true
  exit 2
fi

say "starting \`make run\` on port $PORT (log: $LOG)"
# setsid: its own process group, so one signal reaches make, devstack, honcho, gunicorn and celery the
# way a terminal's Ctrl-C does. stdin from /dev/null: no terminal to read from.
PORT="$PORT" setsid make run </dev/null >>"$LOG" 2>&1 &
RUN_PID=$!
PGID=$RUN_PID  # setsid forks only when already a group leader; a background job of a script is not.
sleep 0.2
actual_pgid="$(ps -o pgid= -p "$RUN_PID" 2>/dev/null | tr -d ' ' || true)"
[[ -z "$actual_pgid" || "$actual_pgid" == "$PGID" ]] || fail "make run is in process group $actual_pgid, not $PGID"

# 1. liveness
deadline=$(($(date +%s) + HEALTH_TIMEOUT))
until curl -fs -o /dev/null --max-time 3 "$BASE/healthz"; do
  kill -0 "$RUN_PID" 2>/dev/null || fail "\`make run\` exited before /healthz answered"
  [[ $(date +%s) -lt $deadline ]] || fail "/healthz did not answer within ${HEALTH_TIMEOUT}s"
  sleep 2
done
say "/healthz 200"

# 2. readiness: database, Redis and a Celery worker answering
deadline=$(($(date +%s) + READY_TIMEOUT))
while :; do
  code="$(curl -sS -o "$DATA_DIR/smoke-readyz.json" -w '%{http_code}' --max-time 10 "$BASE/readyz" || true)"
  [[ "$code" == 200 ]] && break
  kill -0 "$RUN_PID" 2>/dev/null || fail "\`make run\` exited while waiting for /readyz"
  if [[ $(date +%s) -ge $deadline ]]; then
    fail "/readyz answered $code after ${READY_TIMEOUT}s: $(cat "$DATA_DIR/smoke-readyz.json" 2>/dev/null)"
  fi
  sleep 2
done
say "/readyz 200 $(cat "$DATA_DIR/smoke-readyz.json")"
rm -f "$DATA_DIR/smoke-readyz.json"

# 3. a tenant host is routed to its schema and themed
page="$DATA_DIR/smoke-login.html"
code="$(curl -sS -o "$page" -w '%{http_code}' --max-time 10 -H "Host: $TENANT_HOST" "$BASE/accounts/login/" || true)"
[[ "$code" == 200 ]] || fail "GET $TENANT_HOST/accounts/login/ answered $code"
grep -q "$TENANT_NAME" "$page" || fail "$TENANT_HOST/accounts/login/ does not show $TENANT_NAME"
rm -f "$page"
say "$TENANT_HOST/accounts/login/ 200 and names $TENANT_NAME"

# 4. Ctrl-C stops everything
say "sending SIGINT to process group $PGID"
stop_started=$(date +%s)
if ! stop_all; then
  fail "processes outlived SIGINT by ${STOP_TIMEOUT}s (killed)"
fi
if port_listening; then fail "port $PORT still listening after stop"; fi
if [[ -n "$(leftovers)" ]]; then show_leftovers; fail "processes left after stop"; fi
say "everything stopped $(($(date +%s) - stop_started))s after SIGINT"
say "OK"
