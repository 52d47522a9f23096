# Shared by kiosk/update.sh and kiosk/rollback.sh (sourced, not run).
# The installer records the kiosk's mode in /etc/signage/kiosk.env:
#   MODE=console         the system unit signage.service
#   MODE=desktop         the user unit signage.service of SESSION_USER's graphical session
# shellcheck shell=bash

kiosk_env() {  # $1: root ("" for this machine); sets MODE and SESSION_USER
  MODE=console
  SESSION_USER=""
  if [ -f "$1/etc/signage/kiosk.env" ]; then
    # shellcheck disable=SC1091
    . "$1/etc/signage/kiosk.env"
  fi
}

# systemctl for the player's unit: the system manager, or the session user's manager.
player_systemctl() {
  if [ "$MODE" = desktop ]; then
    systemctl --user --machine="${SESSION_USER}@.host" "$@"
  else
    systemctl "$@"
  fi
}

# Restart the player (and the admin service) without waiting for the player to be ready:
# a release that never gets ready must not hang the caller, who checks health itself.
# A crashing release may have hit the unit's start limit: that is reset first.
restart_player() {
  player_systemctl reset-failed signage.service 2>/dev/null || true
  player_systemctl --no-block restart signage.service || printf 'signage: restarting the player failed\n' >&2
  systemctl --no-block try-restart signage-admin.service || true
}

player_pid() {
  player_systemctl show --property=MainPID --value signage.service 2>/dev/null || echo 0
}

# Point $1/<name> at <target> atomically: a new link beside it, renamed over it.
switch_link() {  # $1: folder, $2: link name, $3: target
  ln -sfn "$3" "$1/$2.new"
  mv -T "$1/$2.new" "$1/$2"
}
