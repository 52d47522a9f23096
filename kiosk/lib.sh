# Shared by kiosk/update.sh, kiosk/rollback.sh, kiosk/install.sh and scripts/bootstrap
# (sourced, not run).
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

# --- The system and its Python: scripts/bootstrap and kiosk/install.sh check the same. ---
# They define say() and die() before calling these; AGAIN names the command to run again.

# Debian 12 or 13, Ubuntu 24.04, Raspberry Pi OS Bookworm or Trixie, 64-bit, read from
# /etc/os-release before anything is installed. Sets ID, VERSION_ID, PI (1 on a Raspberry
# Pi), ARCH, OS (a name for messages), FOUND (what os-release says) and SUPPORTED (0: another
# system, which stops here unless SIGNAGE_ANY_OS=1). SIGNAGE_SYSROOT (tests only) is a folder
# standing for / when reading /etc/os-release, /etc/rpi-issue and /proc/device-tree/model.
check_system() {
  ID="" VERSION_ID="" VERSION_CODENAME="" PRETTY_NAME="" SYSROOT=${SIGNAGE_SYSROOT:-}
  if [ -r "$SYSROOT/etc/os-release" ]; then
    while IFS='=' read -r key value; do
      value=${value%\"}; value=${value#\"}; value=${value%\'}; value=${value#\'}
      case "$key" in
        ID) ID=$value ;;
        VERSION_ID) VERSION_ID=$value ;;
        VERSION_CODENAME) VERSION_CODENAME=$value ;;
        PRETTY_NAME) PRETTY_NAME=$value ;;
      esac
    done < "$SYSROOT/etc/os-release"
  fi
  FOUND="${PRETTY_NAME:-an unknown system (no /etc/os-release)}${ID:+ (ID=$ID${VERSION_ID:+ VERSION_ID=$VERSION_ID})}"
  PI=0
  if [ -e "$SYSROOT/etc/rpi-issue" ] || grep -qa 'Raspberry Pi' "$SYSROOT/proc/device-tree/model" 2>/dev/null; then
    PI=1
  fi
  if command -v dpkg >/dev/null 2>&1; then
    ARCH=$(dpkg --print-architecture 2>/dev/null || uname -m)
  else
    ARCH=$(uname -m)
  fi
  case "$ARCH" in
    amd64|x86_64|arm64|aarch64) ;;
    *)
      # 32-bit Raspberry Pi OS (armhf, often on a 64-bit kernel) and other machines: mediapipe,
      # OpenCV and numpy have no wheels for them, whatever SIGNAGE_ANY_OS says.
      if [ "$PI" = 1 ] || [ "$ID" = raspbian ]; then
        die "64-bit Raspberry Pi OS is required: this is ${PRETTY_NAME:-Raspberry Pi OS} for $ARCH (32-bit), for which mediapipe has no wheels; flash the 64-bit Raspberry Pi OS (Bookworm or Trixie) and run $AGAIN again"
      fi
      die "signage needs a 64-bit x86_64 or aarch64 system: this is $FOUND on $ARCH, for which mediapipe has no wheels"
      ;;
  esac
  SUPPORTED=1
  case "$ID:$VERSION_ID" in
    debian:12|debian:13)
      if [ "$PI" = 1 ]; then
        OS="Raspberry Pi OS ${VERSION_CODENAME^} ($ARCH)"
      else
        OS="Debian $VERSION_ID ($ARCH)"
      fi ;;
    ubuntu:24.04) OS="Ubuntu 24.04 ($ARCH)" ;;
    raspbian:*)  # 32-bit userland on a 64-bit architecture name: not possible, but say it plainly
      die "64-bit Raspberry Pi OS is required: this is $FOUND, the 32-bit edition; flash the 64-bit Raspberry Pi OS (Bookworm or Trixie) and run $AGAIN again" ;;
    *)
      SUPPORTED=0
      OS="$FOUND ($ARCH)"
      if [ "${SIGNAGE_ANY_OS:-}" != 1 ]; then
        die "unsupported system: $FOUND. signage supports Debian 12 and 13, Ubuntu 24.04 and Raspberry Pi OS Bookworm and Trixie (64-bit). To try anyway, at your own risk: SIGNAGE_ANY_OS=1 $AGAIN"
      fi ;;
  esac
}

# Python 3.11 to 3.13: python3 if it is one, else the newest python3.1x that is. Sets PY,
# VER, and OTHER (the first Python found out of range, for the message).
pyver() { "$1" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null; }
in_range() { case "$1" in 3.11.*|3.12.*|3.13.*) return 0 ;; *) return 1 ;; esac; }
PY="" VER="" OTHER=""
pick_python() {
  local c p v
  for c in python3 python3.13 python3.12 python3.11; do
    p=$(command -v "$c" 2>/dev/null) || continue
    v=$(pyver "$p") || continue
    if in_range "$v"; then PY=$p VER=$v; return 0; fi
    [ -n "$OTHER" ] || OTHER="Python $v ($p)"
  done
  return 1
}

# The Debian font packages that draw the notice's languages (pygame's bundled FreeSans draws
# Latin, Greek and Cyrillic; signage/render/glyphs.py uses the Noto fonts for the rest).
# Colour emoji always: text slides may hold them. $*: language codes (zh, zh-TW, ar, pt_BR...).
font_packages() {
  local lang out=" fonts-noto-color-emoji "
  for lang in "$@"; do
    case "${lang%%[-_]*}" in
      zh|ja|ko|yue) out="$out fonts-noto-cjk " ;;
      ar|fa|ur|ps|ku|he|yi|hi|mr|ne|sa|bn|as|pa|gu|or|ta|te|kn|ml|si|th|lo|km|my|ka|hy|am|ti|dv|bo|vi|mn|ug|sd)
        out="$out fonts-noto-core " ;;
    esac
  done
  printf '%s\n' $out | awk 'NF && !seen[$0]++'
}

# The notice's languages in a configuration file (en fr when it cannot be read).
notice_languages() {  # $1: the configuration file
  python3 -c 'import sys, tomllib
print(" ".join(tomllib.load(open(sys.argv[1], "rb")).get("notice", {}).get("languages", ["en", "fr"])))' "$1" 2>/dev/null ||
    echo "en fr"
}

# sensing.expressions of a configuration file ("" when it does not say); needs python3.
config_expressions() {  # $1: the configuration file
  python3 -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb")).get("sensing", {}).get("expressions", ""))' "$1"
}

# Set sensing.expressions (on or off) in a configuration file: the key replaced in its
# [sensing] table, or added under it, or the table added at the end; every other line kept.
# The result is checked to parse and say so before it replaces the file (else it is unchanged).
set_expressions() {  # $1: the configuration file, $2: on or off
  local tmp="$1.tmp.$$"
  awk -v v="$2" '
    function emit() { print "expressions = \"" v "\"  # off: staff work in the camera view (kiosk/install.sh --staff-in-view, docs/privacy.md)"; done = 1 }
    /^[[:space:]]*\[/ { if (insec && !done) emit(); insec = ($0 ~ /^[[:space:]]*\[sensing\][[:space:]]*(#.*)?$/); print; next }
    insec && /^[[:space:]]*expressions[[:space:]]*=/ { if (!done) emit(); next }
    { print }
    END { if (insec && !done) emit(); else if (!done) { print ""; print "[sensing]"; emit() } }
  ' "$1" > "$tmp" || { rm -f "$tmp"; return 1; }
  if [ "$(config_expressions "$tmp" 2>/dev/null)" = "$2" ]; then
    cat "$tmp" > "$1"  # in place: the file keeps its owner and mode
    rm -f "$tmp"
  else
    rm -f "$tmp"
    return 1
  fi
}

# --- Releases: kiosk/install.sh and kiosk/install-central.sh install the same way. ---
# They set SRC, ROOT, VERSION, DRY, VENV, MODE and PI, and define say(), die() and run().

# The release: a copy of the project (no .git, no .venv) and its own virtual environment, in
# $ROOT/opt/signage/releases/$VERSION.
install_release() {
  local REL VPY PIP venv_opts lock_opts
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
      # Python 3.11 to 3.13 (kiosk/lib.sh), from the locks, hashes checked: first a pinned pip
      # (it caches the pygame it builds, for the next release) and the build backend, then the
      # player's dependencies, then the release itself (editable: it runs from the release,
      # beside its demo content and playlists). On a Raspberry Pi the .venv also sees the
      # system's packages, for Raspberry Pi OS's picamera2 (apt); what the lock pins is still
      # installed into the .venv, whatever the system has.
      pick_python || die "found ${OTHER:-no Python 3}; signage needs Python 3.11, 3.12 or 3.13 (python3 on Debian 12 and 13, Ubuntu 24.04, Raspberry Pi OS)"
      VPY="$REL/.venv/bin/python"
      PIP=("$VPY" -m pip install -q --disable-pip-version-check --no-input --require-hashes --no-deps)
      venv_opts=() lock_opts=(--only-binary :all:)
      if [ "$PI" = 1 ]; then venv_opts+=(--system-site-packages); lock_opts+=(--ignore-installed); fi
      # console mode: pygame from its source (hashed in the lock) against the system's SDL,
      # for the kmsdrm driver its wheel lacks
      [ "$MODE" != console ] || lock_opts+=(--no-binary pygame --no-build-isolation)
      run "$PY" -m venv "${venv_opts[@]}" "$REL/.venv"
      run "${PIP[@]}" -r "$REL/requirements/kiosk.lock"
      [ "$MODE" != console ] || say "building pygame against the system's SDL (its wheel has no kmsdrm driver); the first time takes minutes"
      run "${PIP[@]}" "${lock_opts[@]}" -r "$REL/requirements/player.lock"
      run "$VPY" -m pip install -q --disable-pip-version-check --no-input --no-deps --no-build-isolation --no-index -e "$REL"
      if [ "$MODE" = console ] && [ "$DRY" = 0 ] && ! "$VPY" "$REL/kiosk/sdl-video-drivers.py" | grep -ix kmsdrm >/dev/null; then
        die "pygame has no kmsdrm driver (built against the system's SDL: is libsdl2-dev's kmsdrm support installed?)"
      fi
    fi
    run touch "$REL/.signage-release-complete"
  fi
}

# /opt/signage/current switched atomically to the release; the one before kept as previous.
switch_release() {
  local base
  base="$ROOT/opt/signage"
  if [ -L "$base/current" ] && [ "$(readlink "$base/current")" != "releases/$VERSION" ]; then
    run switch_link "$base" previous "$(readlink "$base/current")"
  fi
  run switch_link "$base" current "releases/$VERSION"
}
