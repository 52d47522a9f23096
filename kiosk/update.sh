#!/usr/bin/env bash
# Update the kiosk to a new release, and roll back by itself if the player is not healthy.
#
#   sudo kiosk/update.sh [--source DIR] [--timeout 90]
#   kiosk/update.sh --root /tmp/rootfs --no-restart --health-cmd "..."   # tests
#
# Installs the source (default: this checkout) as a new release (kiosk/install.sh), switches
# /opt/signage/current to it, restarts the player, then waits up to --timeout seconds for
# `signage status` to report a fresh status written after the restart. If it does not, the
# previous release is put back (kiosk/rollback.sh) and the update exits 1.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
ROOT=""
TIMEOUT=90
RESTART=1
HEALTH_CMD=""
PASS=()

while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT=$(realpath -m "$2"); PASS+=(--root "$ROOT" --no-apt --no-enable); shift 2 ;;
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

before=$(readlink "$ROOT/opt/signage/current" 2>/dev/null || true)
"$HERE/install.sh" --source "$SRC" "${PASS[@]}"
after=$(readlink "$ROOT/opt/signage/current")
say "current: ${before:-none} -> $after"

started=$(date +%s)
if [ "$RESTART" = 1 ]; then
  systemctl restart signage.service
  systemctl try-restart signage-admin.service || true
fi
if [ -z "$HEALTH_CMD" ]; then
  # healthy = the new player wrote a fresh status after the restart
  HEALTH_CMD="/opt/signage/current/.venv/bin/signage --config /etc/signage/signage.toml status >/dev/null && \
    [ \$(stat -c %Y /run/signage/status.json) -ge $started ]"
fi
deadline=$((started + TIMEOUT))
while :; do
  if bash -c "$HEALTH_CMD"; then
    say "healthy on $after"
    exit 0
  fi
  [ "$(date +%s)" -lt "$deadline" ] || break
  sleep 2
done
say "the player did not report healthy within ${TIMEOUT} s: rolling back to ${before:-nothing}"
if [ -n "$before" ]; then
  back=()
  [ -z "$ROOT" ] || back+=(--root "$ROOT")
  [ "$RESTART" = 1 ] || back+=(--no-restart)
  "$HERE/rollback.sh" "${back[@]}"
fi
exit 1
