#!/usr/bin/env bash
# Desktop kiosk: run from the graphical session's autostart (kiosk/signage.desktop, labwc's
# autostart). Hands the session's display to the user's systemd manager, turns X11's screen
# saver and power saving off (a Wayland session has none of its own; labwc's swayidle is
# disabled by the installer), then starts the player's user unit (a no-op if already running).
set -euo pipefail
vars=()
for v in WAYLAND_DISPLAY DISPLAY XAUTHORITY XDG_CURRENT_DESKTOP XDG_SESSION_TYPE; do
  [ -z "${!v:-}" ] || vars+=("$v")
done
[ ${#vars[@]} -eq 0 ] || systemctl --user import-environment "${vars[@]}"
if [ -n "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && command -v xset >/dev/null 2>&1; then
  xset s off -dpms s noblank || true
fi
exec systemctl --user start signage.service
