#!/usr/bin/env bash
# Update the kiosk to a new release, and roll back by itself if the player is not healthy.
#
#   sudo kiosk/update.sh [--source DIR] [--timeout 120]
#   kiosk/update.sh --root /tmp/rootfs --no-restart --health-cmd "..."   # tests
#
# Installs the source (default: this checkout) as a new release (kiosk/install.sh, in the
# mode the kiosk was installed in), switches /opt/signage/current to it, restarts the player,
# then waits up to --timeout seconds for a healthy player: `signage status` of the new
# release reports a fresh status, written by a new process running the new release. If it
# does not, the previous release is put back (kiosk/rollback.sh) and the update exits 1.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=kiosk/lib.sh
. "$HERE/lib.sh"
SRC=$(cd "$HERE/.." && pwd)
ROOT=""
TIMEOUT=120
RESTART=1
HEALTH_CMD=""
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

# Healthy: a fresh status (signage status exits 0), from the new release, from a new process
# (the old player writes its last status as it stops).
healthy() {
  local doc
  doc=$("$base/$after/.venv/bin/signage" --config "$ROOT/etc/signage/signage.toml" status --json 2>/dev/null) || return 1
  printf '%s' "$doc" | python3 -c '
import json, os, sys
d = json.load(sys.stdin)
sys.exit(0 if os.path.realpath(str(d.get("release"))) == os.path.realpath(sys.argv[1]) and str(d.get("pid")) != sys.argv[2] else 1)
' "$base/$after" "$old_pid"
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
say "the player did not report healthy within ${TIMEOUT} s: rolling back to ${before:-nothing}"
if [ -n "$before" ] && [ "$before" != "$after" ]; then
  back=()
  [ -z "$ROOT" ] || back+=(--root "$ROOT")
  [ "$RESTART" = 1 ] || back+=(--no-restart)
  "$HERE/rollback.sh" "${back[@]}"
fi
exit 1
