#!/usr/bin/env bash
# Make this machine boot straight into the signage player.
#
#   sudo kiosk/install.sh [--mode console|desktop|auto] [--user NAME] [--version NAME]
#        [--controller NAME --contact EMAIL --notice-url URL] [--staff-in-view yes|no]
#   kiosk/install.sh --root /tmp/rootfs --no-apt --no-venv     # into a folder (tests, images)
#   kiosk/install.sh --dry-run                                  # print every action, do nothing
#
# Raspberry Pi OS Bookworm or Trixie, 64-bit (console with KMS, or the labwc desktop), and
# Debian 12 / 13 and Ubuntu 24.04 mini-PCs, with Python 3.11 to 3.13 (another system stops,
# unless SIGNAGE_ANY_OS=1). Idempotent: run it again to repair; /etc/signage/signage.toml is installed
# once and never overwritten. Each install is a release in /opt/signage/releases/<version>
# with its own virtual environment; /opt/signage/current points at the one in use (switched
# atomically), /opt/signage/previous at the one before (kiosk/rollback.sh goes back to it).
# --prefix DIR is the same as --root DIR; DESTDIR=DIR in the environment too.
# --user (desktop mode): the auto-login user whose session shows the player.
# The privacy notice names who runs the screen: asked for when /etc/signage/signage.toml
# still has the placeholders (or the demo's sample), else taken from --controller, --contact,
# --notice-url or SIGNAGE_NOTICE__CONTROLLER/__CONTACT/__URL (unattended); without them the
# install stops (exit 2) before changing anything.
# --staff-in-view yes (or SIGNAGE_STAFF_IN_VIEW=yes): staff work in the camera's view (a till
# beside the screen), so smiles and surprise are never computed: sensing.expressions = "off"
# (docs/privacy.md); no: "on". Asked at a terminal when the configuration does not say yet.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
# shellcheck source=kiosk/lib.sh
. "$HERE/lib.sh"
ROOT=""
[ -z "${DESTDIR:-}" ] || ROOT=$(realpath -m "$DESTDIR")
MODE=auto
SESSION_USER=""
VERSION=""
DRY=0
APT=1
VENV=1
ENABLE=1

NOTICE_CONTROLLER=${SIGNAGE_NOTICE__CONTROLLER:-}
NOTICE_CONTACT=${SIGNAGE_NOTICE__CONTACT:-}
NOTICE_URL=${SIGNAGE_NOTICE__URL:-}
STAFF_IN_VIEW=${SIGNAGE_STAFF_IN_VIEW:-}

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --root|--prefix) ROOT=$(realpath -m "$2"); shift 2 ;;
    --mode) MODE=$2; shift 2 ;;
    --user) SESSION_USER=$2; shift 2 ;;
    --version) VERSION=$2; shift 2 ;;
    --source) SRC=$(cd "$2" && pwd); shift 2 ;;
    --dry-run) DRY=1; shift ;;
    --no-apt) APT=0; shift ;;
    --no-venv) VENV=0; shift ;;
    --no-enable) ENABLE=0; shift ;;
    --controller) NOTICE_CONTROLLER=$2; shift 2 ;;
    --contact) NOTICE_CONTACT=$2; shift 2 ;;
    --notice-url) NOTICE_URL=$2; shift 2 ;;
    --staff-in-view) STAFF_IN_VIEW=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "install.sh: unknown option $1" >&2; usage 2 ;;
  esac
done
case "$MODE" in console|desktop|auto) ;; *) echo "install.sh: --mode is console, desktop or auto" >&2; exit 2 ;; esac
case "$STAFF_IN_VIEW" in yes|no|"") ;;
  *) echo "install.sh: --staff-in-view (SIGNAGE_STAFF_IN_VIEW) is yes or no, not '$STAFF_IN_VIEW'" >&2; exit 2 ;;
esac

say() { printf 'signage install: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
PI=0
if [ -z "$ROOT" ]; then
  AGAIN=kiosk/install.sh
  check_system  # kiosk/lib.sh: a supported, 64-bit system, before anything is installed
elif [ -e "$ROOT/etc/rpi-issue" ]; then
  PI=1
fi
run() {  # run (or, with --dry-run, print) one action
  if [ "$DRY" = 1 ]; then printf 'would run: %s\n' "$*"; else "$@"; fi
}
# Append a line to a file once (a marker comment makes it idempotent).
add_line() {  # $1: file, $2: line
  if [ -f "$1" ] && grep -qF -- "$2" "$1"; then return 0; fi
  if [ "$DRY" = 1 ]; then printf 'would run: append %q to %s\n' "$2" "$1"; return 0; fi
  mkdir -p "$(dirname "$1")"
  printf '%s\n' "$2" >> "$1"
}

# The notice is read with the system's Python (kiosk/notice.py); a minimal system may have none
# yet: it is the one package installed before the check (the install needs it anyway).
if [ -z "$ROOT" ] && [ "$DRY" = 0 ] && ! command -v python3 >/dev/null 2>&1; then
  say "no python3 on this system yet: installing it first (apt-get install python3)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 \
    || die "cannot install python3 (needed to read the configuration)"
fi

# 0. The privacy notice must name this site, before anything is installed (kiosk/notice.py):
#    what the configuration (the one kept, else the one installed) says, with the values given.
CONFIG="$ROOT/etc/signage/signage.toml"
notice() {  # $1: check or set, $2: the file
  local a=()
  [ -z "$NOTICE_CONTROLLER" ] || a+=(--controller "$NOTICE_CONTROLLER")
  [ -z "$NOTICE_CONTACT" ] || a+=(--contact "$NOTICE_CONTACT")
  [ -z "$NOTICE_URL" ] || a+=(--url "$NOTICE_URL")
  python3 "$SRC/kiosk/notice.py" "$1" "$2" "${a[@]}"
}
notice_file=$CONFIG
[ -e "$notice_file" ] || notice_file="$SRC/kiosk/signage.toml"
rc=0
missing=$(notice check "$notice_file") || rc=$?
[ "$rc" = 0 ] || [ -n "$missing" ] || die "cannot read the privacy notice in $notice_file (kiosk/notice.py, Python 3.11 or later)"
if [ -n "$missing" ]; then
  if [ "$DRY" = 0 ] && [ -t 0 ]; then
    say "the privacy notice on the screen names who runs it; set it for this site:"
    while read -r field _; do
      case "$field" in
        controller:) read -r -p "  who runs this screen (the data controller): " NOTICE_CONTROLLER </dev/tty ;;
        contact:) read -r -p "  privacy contact (e-mail or phone): " NOTICE_CONTACT </dev/tty ;;
        url:) read -r -p "  address of the full privacy notice (https://...): " NOTICE_URL </dev/tty ;;
      esac
    done <<< "$missing"
    missing=$(notice check "$notice_file") || true
  fi
  if [ -n "$missing" ]; then
    if [ "$DRY" = 1 ]; then
      say "would stop here: the privacy notice is not set for this site ($(tr '\n' ';' <<< "$missing"))"
    else
      say "the privacy notice is not set for this site, in ${notice_file#"$ROOT"}:"
      sed 's/^/  notice./' <<< "$missing" >&2
      say "give --controller NAME --contact EMAIL --notice-url URL (or SIGNAGE_NOTICE__CONTROLLER, __CONTACT, __URL), run it from a terminal to be asked, or edit $CONFIG; nothing was installed"
      exit 2
    fi
  fi
fi

# Staff in the camera's view (AI Act, Art. 5(1)(f): docs/privacy.md): asked at a terminal when
# neither an option nor the configuration says; unattended, the configuration stays as it is.
if [ -z "$STAFF_IN_VIEW" ] && [ -z "$(config_expressions "$notice_file")" ]; then
  if [ "$DRY" = 0 ] && [ -t 0 ]; then
    while [ "$STAFF_IN_VIEW" != yes ] && [ "$STAFF_IN_VIEW" != no ]; do
      read -r -p "  do staff work in the camera's view (a till, a counter)? yes/no: " STAFF_IN_VIEW </dev/tty
    done
  else
    say "staff in the camera's view: not said (--staff-in-view yes|no); smiles and surprise are measured unless sensing.expressions = \"off\""
  fi
fi

if [ -z "$VERSION" ]; then
  VERSION=$(git -C "$SRC" describe --always --dirty 2>/dev/null || echo src)
  VERSION="$(date -u +%Y%m%d-%H%M%S)-${VERSION}"
fi
if [ "$MODE" = auto ]; then
  # A desktop session manager installed (labwc, wayfire, lightdm...) means desktop mode.
  if [ -e "$ROOT/usr/bin/labwc" ] || [ -e "$ROOT/usr/bin/wayfire" ] || [ -e "$ROOT/usr/sbin/lightdm" ] \
     || [ -e "$ROOT/usr/sbin/gdm3" ]; then
    MODE=desktop
  else
    MODE=console
  fi
fi
if [ "$MODE" = desktop ] && [ -z "$SESSION_USER" ]; then
  # lightdm's auto-login user (Raspberry Pi OS), else who ran sudo, else the first user.
  SESSION_USER=$(sed -n 's/^autologin-user=\(.*\)$/\1/p' "$ROOT"/etc/lightdm/lightdm.conf 2>/dev/null | tail -n 1 || true)
  [ -n "$SESSION_USER" ] || SESSION_USER=${SUDO_USER:-}
  [ -n "$SESSION_USER" ] || SESSION_USER=$(awk -F: '$3 == 1000 { print $1 }' "$ROOT/etc/passwd" 2>/dev/null || true)
  [ -n "$SESSION_USER" ] || { say "desktop mode: say which user's session shows the player (--user NAME)"; exit 2; }
fi
R=()  # systemctl's options for a folder standing for a root
[ -z "$ROOT" ] || R=(--root="$ROOT")
say "source $SRC, release $VERSION, mode $MODE${SESSION_USER:+ (session of $SESSION_USER)}${ROOT:+, into $ROOT}"

# 1. System packages: venv, the libraries OpenCV and mediapipe link against (libGL, EGL,
#    GLESv2, glib, xcb), camera tools, fonts (the Noto fonts of the notice's languages); on a Raspberry Pi its camera stack
#    (python3-picamera2, seen by the release's .venv). The console mode draws with SDL's
#    kmsdrm driver, which pygame's wheel lacks: SDL and what pygame needs to build against
#    it. The desktop mode: xset for X11 sessions.
if [ "$APT" = 1 ] && [ -z "$ROOT" ]; then
  pkgs=(python3-venv libgl1 libegl1 libgles2 libglib2.0-0 libxcb1 v4l-utils fonts-dejavu-core)
  # the Noto fonts for the notice's languages, and colour emoji (kiosk/lib.sh: font_packages)
  # shellcheck disable=SC2046
  mapfile -t font_pkgs < <(font_packages $(notice_languages "$notice_file"))
  pkgs+=("${font_pkgs[@]}")
  [ "$PI" = 0 ] || pkgs+=(python3-picamera2)
  if [ "$MODE" = console ]; then
    pkgs+=(libsdl2-2.0-0 gcc libc6-dev python3-dev pkg-config libsdl2-dev libsdl2-image-dev libsdl2-mixer-dev
           libsdl2-ttf-dev libfreetype-dev libportmidi-dev libjpeg-dev libpng-dev)
  else
    pkgs+=(x11-xserver-utils)
  fi
  run apt-get update -qq
  run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
fi

# 2. The signage user (camera, GPU, input), declared for systemd-sysusers.
run install -D -m 0644 "$SRC/kiosk/sysusers-signage.conf" "$ROOT/etc/sysusers.d/signage.conf"
if [ -z "$ROOT" ]; then
  run systemd-sysusers /etc/sysusers.d/signage.conf
else
  # A folder root made by an ordinary user (an image, the tests): systemd-sysusers leaves
  # shadow and gshadow at mode 0000 there, which only root could read again on the next run.
  if [ "$(id -u)" != 0 ]; then
    for f in "$ROOT/etc/shadow" "$ROOT/etc/gshadow"; do [ ! -e "$f" ] || run chmod u+rw "$f"; done
  fi
  run systemd-sysusers --root="$ROOT" signage.conf
fi

# 3. The release: a copy of the project (no .git, no .venv) and its own virtual environment;
# 4. /opt/signage/current switched to it atomically, the one before kept as previous (kiosk/lib.sh).
install_release
switch_release

# 5. Configuration (once), what update.sh and rollback.sh need to know, and the state folder
#    (setgid, shared by the player and the admin service, and in desktop mode with the
#    session user, who joins the signage group).
if [ -e "$CONFIG" ]; then
  say "keeping /etc/signage/signage.toml"
else
  run install -D -m 0644 "$SRC/kiosk/signage.toml" "$CONFIG"
fi
if [ -n "$NOTICE_CONTROLLER$NOTICE_CONTACT$NOTICE_URL" ]; then
  if [ "$DRY" = 1 ]; then
    echo "would run: set the privacy notice's controller, contact and address in $CONFIG"
  else
    notice set "$CONFIG" || die "the privacy notice's values were refused (above); $CONFIG is unchanged"
    say "privacy notice: $(python3 -c 'import sys, tomllib; n = tomllib.load(open(sys.argv[1], "rb"))["notice"]; print(n["controller"], "·", n["contact"], "·", n["url"])' "$CONFIG")"
  fi
fi
if [ -n "$STAFF_IN_VIEW" ]; then
  expressions=on
  [ "$STAFF_IN_VIEW" = no ] || expressions=off
  if [ "$DRY" = 1 ]; then
    echo "would run: set sensing.expressions = \"$expressions\" in $CONFIG"
  else
    set_expressions "$CONFIG" "$expressions" || die "cannot set sensing.expressions in $CONFIG (is it valid TOML?); it is unchanged"
    if [ "$expressions" = off ]; then
      say "staff in view: sensing.expressions = \"off\" (faces counted, looking measured; no smile or surprise)"
    else
      say "no staff in view: sensing.expressions = \"on\""
    fi
  fi
fi
if [ "$DRY" = 1 ]; then
  echo "would run: write $ROOT/etc/signage/kiosk.env (MODE=$MODE SESSION_USER=$SESSION_USER)"
else
  printf '# written by kiosk/install.sh: the mode update.sh and rollback.sh restart\nMODE=%s\nSESSION_USER=%s\n' \
    "$MODE" "$SESSION_USER" > "$ROOT/etc/signage/kiosk.env"
fi
run install -D -m 0644 "$SRC/kiosk/tmpfiles-signage.conf" "$ROOT/etc/tmpfiles.d/signage.conf"
run install -d -m 2770 "$ROOT/var/lib/signage" "$ROOT/var/lib/signage/content" "$ROOT/var/lib/signage/admin"
if [ "$(id -u)" = 0 ]; then
  if [ -n "$ROOT" ] && [ "$DRY" = 0 ]; then
    # the ids this root's own passwd gives the signage user
    ids=$(awk -F: '$1 == "signage" { print $3 ":" $4 }' "$ROOT/etc/passwd")
    [ -z "$ids" ] || run chown -R "$ids" "$ROOT/var/lib/signage"
  else
    run chown -R signage:signage "$ROOT/var/lib/signage"
  fi
fi
if [ "$MODE" = desktop ]; then
  # the session user runs the player: the state, the camera, the GPU, input devices
  for g in signage video render input; do
    if [ -z "$ROOT" ]; then
      run usermod -a -G "$g" "$SESSION_USER"
    elif [ "$DRY" = 1 ]; then
      echo "would run: add $SESSION_USER to group $g in $ROOT/etc/group"
    else
      awk -F: -v OFS=: -v g="$g" -v u="$SESSION_USER" '
        $1 == g { n = split($4, m, ","); for (i = 1; i <= n; i++) if (m[i] == u) { print; next }
                  $4 = ($4 == "" ? u : $4 "," u) }
        { print }' "$ROOT/etc/group" > "$ROOT/etc/group.signage-new"
      mv "$ROOT/etc/group.signage-new" "$ROOT/etc/group"
    fi
  done
fi

# 6. systemd units (see kiosk/README.md, "Two modes").
run install -D -m 0644 "$SRC/kiosk/signage-admin.service" "$ROOT/etc/systemd/system/signage-admin.service"
if [ "$MODE" = console ]; then
  run install -D -m 0644 "$SRC/kiosk/signage.service" "$ROOT/etc/systemd/system/signage.service"
  run install -D -m 0644 "$SRC/kiosk/console.conf" "$ROOT/etc/systemd/system/signage.service.d/console.conf"
  run rm -f "$ROOT/etc/systemd/user/signage.service" "$ROOT/etc/xdg/autostart/signage.desktop"
else
  run install -D -m 0644 "$SRC/kiosk/signage-user.service" "$ROOT/etc/systemd/user/signage.service"
  # Sessions that never start graphical-session.target (Raspberry Pi OS's labwc, LXDE) start
  # the unit from the desktop's autostart instead: XDG autostart (GNOME, XFCE, LXDE, and
  # labwc on Raspberry Pi OS through lxsession-xdg-autostart) and labwc's own autostart.
  run install -D -m 0644 "$SRC/kiosk/signage.desktop" "$ROOT/etc/xdg/autostart/signage.desktop"
  if [ -e "$ROOT/usr/bin/labwc" ]; then
    add_line "$ROOT/etc/xdg/labwc/autostart" "/opt/signage/current/kiosk/session-start.sh &  # signage kiosk"
  fi
  if [ -e "$ROOT/etc/systemd/system/signage.service" ]; then
    [ "$ENABLE" = 0 ] || run systemctl "${R[@]}" disable signage.service
    run rm -rf "$ROOT/etc/systemd/system/signage.service" "$ROOT/etc/systemd/system/signage.service.d"
  fi
fi

# 7. No screen blanking (the player hides the mouse cursor itself).
if [ "$MODE" = console ]; then
  # console.conf runs `setterm --blank 0` at each start; on a Raspberry Pi the kernel is told
  # too (cmdline.txt), so the console never blanks before the player is up.
  for cmdline in "$ROOT/boot/firmware/cmdline.txt" "$ROOT/boot/cmdline.txt"; do
    if [ -f "$cmdline" ]; then
      grep -q 'consoleblank=0' "$cmdline" || run sed -i '1 s/$/ consoleblank=0/' "$cmdline"
      break
    fi
  done
else
  # labwc (Raspberry Pi OS): its idle daemon (swayidle) is what blanks; comment it out, in the
  # system's and the session user's autostart. X11 sessions: session-start.sh runs xset.
  home=$(awk -F: -v u="$SESSION_USER" '$1 == u { print $6 }' "$ROOT/etc/passwd" 2>/dev/null || true)
  for autostart in "$ROOT/etc/xdg/labwc/autostart" ${home:+"$ROOT$home/.config/labwc/autostart"}; do
    if [ -f "$autostart" ] && grep -q '^[^#]*swayidle' "$autostart"; then
      run sed -i 's/^\([^#]*swayidle.*\)$/# signage kiosk: no blanking: \1/' "$autostart"
    fi
  done
  if [ -z "$ROOT" ] && command -v raspi-config >/dev/null 2>&1; then
    run raspi-config nonint do_blanking 1 || true
  fi
fi

# 8. Enable at boot.
if [ "$ENABLE" = 1 ]; then
  if [ "$MODE" = console ]; then
    run systemctl "${R[@]}" enable signage.service signage-admin.service
  else
    run systemctl "${R[@]}" --global enable signage.service
    run systemctl "${R[@]}" enable signage-admin.service
  fi
  # Only a running systemd can reload (not a chroot, a container being built, an image).
  if [ -z "$ROOT" ] && [ -d /run/systemd/system ]; then
    run systemctl daemon-reload
    run systemd-tmpfiles --create /etc/tmpfiles.d/signage.conf
    say "installed; start now with: systemctl restart signage signage-admin (or reboot)"
  fi
fi
say "done: /opt/signage/current -> releases/$VERSION"
