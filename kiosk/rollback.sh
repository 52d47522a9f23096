#!/usr/bin/env bash
# Go back to the previous release: /opt/signage/current and /opt/signage/previous swap
# (atomically), then the player restarts. Run it twice to return to where you were.
#
#   sudo kiosk/rollback.sh            kiosk/rollback.sh --root /tmp/rootfs --no-restart
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=kiosk/lib.sh
. "$HERE/lib.sh"
ROOT=""
RESTART=1
while [ $# -gt 0 ]; do
  case "$1" in
    --root|--prefix) ROOT=$(realpath -m "$2"); shift 2 ;;
    --no-restart) RESTART=0; shift ;;
    *) echo "rollback.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
base="$ROOT/opt/signage"
if [ ! -L "$base/previous" ]; then
  echo "signage rollback: no previous release to go back to" >&2
  exit 1
fi
cur=$(readlink "$base/current")
prev=$(readlink "$base/previous")
[ -d "$base/$prev" ] || { echo "signage rollback: $prev is gone" >&2; exit 1; }
switch_link "$base" current "$prev"
switch_link "$base" previous "$cur"
echo "signage rollback: current -> $prev (previous -> $cur)" >&2
if [ "$RESTART" = 1 ]; then
  kiosk_env "$ROOT"
  restart_player
fi
