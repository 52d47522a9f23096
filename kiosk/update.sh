#!/usr/bin/env bash
# Update the kiosk to a new release, and roll back by itself if the player is not healthy.
#
#   sudo kiosk/update.sh [--source DIR] [--timeout 120] [--settle 10]
#   kiosk/update.sh --root /tmp/rootfs --no-restart --health-cmd "..."   # tests
#   kiosk/update.sh --root /tmp/rootfs --no-restart --signage "CMD"     # tests: this signage
#
# Installs the source (default: this checkout) as a new release (kiosk/install.sh, in the
# mode the kiosk was installed in), switches /opt/signage/current to it, restarts the player,
# then waits up to --timeout seconds for a healthy player: `signage status` of the new
# release exits 0 (a fresh status with no problem: a display as configured, proof of play
# being written, a playlist; docs/health.md), written by a new process running the new
# release that has been up for --settle seconds (so a database that cannot be written has
# had the time to show). If it does not, the previous release is put back
# (kiosk/rollback.sh) and the update exits 1, saying why.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=kiosk/lib.sh
. "$HERE/lib.sh"
SRC=$(cd "$HERE/.." && pwd)
ROOT=""
TIMEOUT=120
RESTART=1
HEALTH_CMD=""
SETTLE=10
SIGNAGE_CMD=()
PASS=()

while [ $# -gt 0 ]; do
  case "$1" in
    --root|--prefix) ROOT=$(realpath -m "$2"); PASS+=(--root "$ROOT" --no-apt --no-enable); shift 2 ;;
    --source) SRC=$(cd "$2" && pwd); shift 2 ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    --no-restart) RESTART=0; shift ;;
    --no-venv) PASS+=(--no-venv); shift ;;
    --version) PASS+=(--version "$2"); shift 2 ;;
    --health-cmd) HEALTH_CMD=$2; shift 2 ;;
    --settle) SETTLE=$2; shift 2 ;;
    --signage) read -r -a SIGNAGE_CMD <<< "$2"; shift 2 ;;
    *) echo "update.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
say() { printf 'signage update: %s\n' "$*" >&2; }

kiosk_env "$ROOT"
base="$ROOT/opt/signage"
before=$(readlink "$base/current" 2>/dev/null || true)
old_pid=0
[ "$RESTART" = 0 ] || old_pid=$(player_pid)
if ! "$HERE/install.sh" --source "$SRC" --mode "$MODE" ${SESSION_USER:+--user "$SESSION_USER"} "${PASS[@]}"; then
  # the release could not be built: nothing changed, unless the install stopped after the switch
  if [ -n "$before" ] && [ "$(readlink "$base/current" 2>/dev/null)" != "$before" ]; then
    switch_link "$base" current "$before"
  fi
  say "the new release could not be installed; still on ${before:-nothing}"
  exit 1
fi
after=$(readlink "$base/current")
say "current: ${before:-none} -> $after"

[ "$RESTART" = 0 ] || restart_player

# Healthy: a fresh status with no problem (signage status exits 0), from the new release,
# from a new process (the old player writes its last status as it stops), up for $SETTLE s.
# WHY: what was wrong at the last look.
[ "${#SIGNAGE_CMD[@]}" -gt 0 ] || SIGNAGE_CMD=("$base/$after/.venv/bin/signage")
WHY="no status yet"
healthy() {
  local doc rc=0
  doc=$("${SIGNAGE_CMD[@]}" --config "$ROOT/etc/signage/signage.toml" status --json 2>/dev/null) || rc=$?
  if [ -z "$doc" ]; then WHY="no status from the new player (signage status: exit $rc)"; return 1; fi
  WHY=$(printf '%s' "$doc" | python3 -c '
import json, os, sys
release, old_pid, settle = sys.argv[1], sys.argv[2], float(sys.argv[3])
try:
    d = json.load(sys.stdin)
except ValueError:
    sys.exit("the status cannot be read")
got = str(d.get("release"))
if os.path.realpath(got) != os.path.realpath(release):
    sys.exit(f"the status is from {got}, not the new release")
if str(d.get("pid")) == old_pid:
    sys.exit(f"the status is still the old player\x27s (pid {old_pid})")
if not d.get("healthy", False):
    sys.exit("unhealthy: " + "; ".join(d.get("problems") or ["(no reason given)"]))
up = float(d.get("uptime_s") or 0)
if up < settle:
    sys.exit(f"up {up:.0f} s, waiting for {settle:.0f} s")
' "$base/$after" "$old_pid" "$SETTLE" 2>&1) && return 0
  [ "$rc" = 0 ] || [ -n "$WHY" ] || WHY="signage status: exit $rc"
  return 1
}

deadline=$(($(date +%s) + TIMEOUT))
while :; do
  if { [ -n "$HEALTH_CMD" ] && bash -c "$HEALTH_CMD"; } || { [ -z "$HEALTH_CMD" ] && healthy; }; then
    say "healthy on $after"
    exit 0
  fi
  [ "$(date +%s)" -lt "$deadline" ] || break
  sleep 2
done
[ -z "$HEALTH_CMD" ] || WHY="--health-cmd failed"
say "the player did not report healthy within ${TIMEOUT} s (${WHY}): rolling back to ${before:-nothing}"
if [ -n "$before" ] && [ "$before" != "$after" ]; then
  back=()
  [ -z "$ROOT" ] || back+=(--root "$ROOT")
  [ "$RESTART" = 1 ] || back+=(--no-restart)
  "$HERE/rollback.sh" "${back[@]}"
fi
exit 1
