#!/usr/bin/env bash
# Make this machine boot straight into the signage player.
#
#   sudo kiosk/install.sh [--mode console|desktop|auto] [--version NAME]
#   kiosk/install.sh --root /tmp/rootfs --no-apt --no-venv     # into a folder (tests, images)
#   kiosk/install.sh --dry-run                                  # print every action, do nothing
#
# Raspberry Pi OS Bookworm (console with KMS, or the labwc desktop) and Debian 12 / Ubuntu
# 24.04 mini-PCs. Idempotent: run it again to repair; /etc/signage/signage.toml is installed
# once and never overwritten. Each install is a release in /opt/signage/releases/<version>
# with its own virtual environment; /opt/signage/current points at the one in use (switched
# atomically), /opt/signage/previous at the one before (kiosk/rollback.sh goes back to it).
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
ROOT=""
MODE=auto
VERSION=""
DRY=0
APT=1
VENV=1
ENABLE=1

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT=$(realpath -m "$2"); shift 2 ;;
    --mode) MODE=$2; shift 2 ;;
    --version) VERSION=$2; shift 2 ;;
    --source) SRC=$(cd "$2" && pwd); shift 2 ;;
    --dry-run) DRY=1; shift ;;
    --no-apt) APT=0; shift ;;
    --no-venv) VENV=0; shift ;;
    --no-enable) ENABLE=0; shift ;;
    -h|--help) usage 0 ;;
    *) echo "install.sh: unknown option $1" >&2; usage 2 ;;
  esac
done
case "$MODE" in console|desktop|auto) ;; *) echo "install.sh: --mode is console, desktop or auto" >&2; exit 2 ;; esac

say() { printf 'signage install: %s\n' "$*" >&2; }
run() {  # run (or, with --dry-run, print) one action
  if [ "$DRY" = 1 ]; then printf 'would run: %s\n' "$*"; else "$@"; fi
}

if [ -z "$VERSION" ]; then
  VERSION=$(git -C "$SRC" describe --always --dirty 2>/dev/null || date -u +%Y%m%d%H%M%S)
  VERSION="$(date -u +%Y%m%d-%H%M%S)-${VERSION}"
fi
if [ "$MODE" = auto ]; then
  # A desktop session manager installed (labwc, wayfire, lightdm...) means desktop mode.
  if [ -e "$ROOT/usr/bin/labwc" ] || [ -e "$ROOT/usr/bin/wayfire" ] || [ -e "$ROOT/usr/sbin/lightdm" ]; then
    MODE=desktop
  else
    MODE=console
  fi
fi
say "source $SRC, release $VERSION, mode $MODE${ROOT:+, into $ROOT}"

# 1. System packages (OpenCV's libGL and glib, venv, camera tools).
if [ "$APT" = 1 ] && [ -z "$ROOT" ]; then
  run apt-get update -qq
  run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    python3-venv libgl1 libglib2.0-0 v4l-utils fonts-dejavu-core
fi

# 2. The signage user (camera, GPU, input), declared for systemd-sysusers.
run install -D -m 0644 "$SRC/kiosk/sysusers-signage.conf" "$ROOT/etc/sysusers.d/signage.conf"
if [ -z "$ROOT" ]; then
  run systemd-sysusers /etc/sysusers.d/signage.conf
else
  run systemd-sysusers --root="$ROOT" signage.conf
fi

# 3. The release: a copy of the project (no .git, no .venv) and its own virtual environment.
REL="$ROOT/opt/signage/releases/$VERSION"
# A virtual environment cannot be moved, so the release is built in place and marked complete
# last; an incomplete one (an interrupted install) is removed and built again.
if [ -e "$REL/.signage-release-complete" ]; then
  say "release $VERSION is already installed"
else
  [ ! -e "$REL" ] || run rm -rf "$REL"
  run mkdir -p "$REL"
  if [ "$DRY" = 1 ]; then
    echo "would run: copy $SRC to $REL (without .git, .venv, caches)"
  else
    tar -C "$SRC" --exclude=.git --exclude=.venv --exclude=__pycache__ --exclude='*.egg-info' \
        --exclude=.pytest_cache --exclude=.hypothesis -cf - . | tar -C "$REL" -xf -
  fi
  if [ "$VENV" = 1 ]; then
    PY=""
    for c in python3.12 python3.11 python3; do
      if "$c" -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 12) else 1)' 2>/dev/null; then
        PY=$(command -v "$c"); break
      fi
    done
    [ -n "$PY" ] || { say "need Python 3.11 or 3.12"; exit 1; }
    run "$PY" -m venv "$REL/.venv"
    # editable: the package runs from the release, beside its demo content and playlists
    run "$REL/.venv/bin/python" -m pip install -q --disable-pip-version-check -e "$REL"
  fi
  run touch "$REL/.signage-release-complete"
fi

# 4. Switch /opt/signage/current atomically; keep the one before as previous.
switch_current() {  # $1: release directory name
  local base="$ROOT/opt/signage"
  if [ -L "$base/current" ] && [ "$(readlink "$base/current")" != "releases/$1" ]; then
    run ln -sfn "$(readlink "$base/current")" "$base/previous.new"
    run mv -T "$base/previous.new" "$base/previous"
  fi
  run ln -sfn "releases/$1" "$base/current.new"
  run mv -T "$base/current.new" "$base/current"
}
switch_current "$VERSION"

# 5. Configuration (once) and state.
if [ -e "$ROOT/etc/signage/signage.toml" ]; then
  say "keeping /etc/signage/signage.toml"
else
  run install -D -m 0644 "$SRC/kiosk/signage.toml" "$ROOT/etc/signage/signage.toml"
fi
run install -d -m 0750 "$ROOT/var/lib/signage" "$ROOT/var/lib/signage/content" "$ROOT/var/lib/signage/admin"
if [ -z "$ROOT" ] || [ "$(id -u)" = 0 ]; then
  if [ "$DRY" = 1 ] || getent passwd signage >/dev/null 2>&1 || [ -n "$ROOT" ]; then
    run chown -R signage:signage "$ROOT/var/lib/signage" 2>/dev/null || say "chown skipped (no signage user in this root)"
  fi
fi

# 6. systemd units.
run install -D -m 0644 "$SRC/kiosk/signage-admin.service" "$ROOT/etc/systemd/system/signage-admin.service"
if [ "$MODE" = console ]; then
  run install -D -m 0644 "$SRC/kiosk/signage.service" "$ROOT/etc/systemd/system/signage.service"
  run install -D -m 0644 "$SRC/kiosk/console.conf" "$ROOT/etc/systemd/system/signage.service.d/console.conf"
else
  run install -D -m 0644 "$SRC/kiosk/signage-user.service" "$ROOT/etc/systemd/user/signage.service"
fi

# 7. No screen blanking, no cursor.
if [ "$MODE" = console ]; then
  # The kernel console must not blank the panel (Raspberry Pi: cmdline.txt).
  for cmdline in "$ROOT/boot/firmware/cmdline.txt" "$ROOT/boot/cmdline.txt"; do
    if [ -f "$cmdline" ] && ! grep -q 'consoleblank=0' "$cmdline"; then
      run sed -i '1 s/$/ consoleblank=0/' "$cmdline"
      break
    fi
  done
else
  # labwc (Raspberry Pi OS desktop): no idle blanking, and the cursor hidden by the player.
  run install -d "$ROOT/etc/xdg/labwc"
  if [ -f "$ROOT/etc/xdg/labwc/autostart" ] && grep -q swayidle "$ROOT/etc/xdg/labwc/autostart"; then
    run sed -i 's/^\(.*swayidle.*\)$/# signage kiosk: no blanking: \1/' "$ROOT/etc/xdg/labwc/autostart"
  fi
  if [ -z "$ROOT" ] && command -v raspi-config >/dev/null 2>&1; then
    run raspi-config nonint do_blanking 1 || true
  fi
fi

# 8. Enable at boot.
if [ "$ENABLE" = 1 ]; then
  R=()
  [ -z "$ROOT" ] || R=(--root="$ROOT")
  if [ "$MODE" = console ]; then
    run systemctl "${R[@]}" enable signage.service signage-admin.service
  else
    run systemctl "${R[@]}" --global enable signage.service
    run systemctl "${R[@]}" enable signage-admin.service
  fi
  if [ -z "$ROOT" ] && [ "$DRY" = 0 ]; then
    systemctl daemon-reload
    say "installed; start now with: systemctl restart signage signage-admin (or reboot)"
  fi
fi
say "done: /opt/signage/current -> releases/$VERSION"
