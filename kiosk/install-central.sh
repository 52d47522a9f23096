#!/usr/bin/env bash
# Make this machine the fleet's central side (docs/fleet.md): Mosquitto, PostgreSQL, the
# collector and the admin service with its fleet view, as systemd units.
#
#   sudo kiosk/install-central.sh [--screens ID,ID,...] [--content-url URL] [--listen ADDR]
#        [--tls-cert FILE --tls-key FILE] [--version NAME]
#   sudo kiosk/install-central.sh --add-screen ID [--site SITE] [--broker HOST:PORT] [--kiosk-dir DIR]
#   kiosk/install-central.sh --dry-run ...                     # print every action, do nothing
#
# Debian 12 / 13, Ubuntu 24.04 or Raspberry Pi OS (64-bit), Python 3.11 to 3.13. Idempotent:
# run it again to repair; passwords and /etc/signage/signage.toml are made once, never
# overwritten. The release is built as kiosk/install.sh builds a kiosk's
# (/opt/signage/releases/<version>, /opt/signage/current), but nothing plays on this machine.
# --screens: broker users for these screens (more later with --add-screen); each one's
#   password goes to /etc/signage/screens/<ID>.password, to copy to that kiosk.
# --content-url: where kiosks fetch a version's files by hash (default
#   http://127.0.0.1:8470/fleet/content: kiosks on this machine; others reach the admin
#   service through a TLS reverse proxy, docs/admin.md).
# --listen: the admin service's address (default 127.0.0.1).
# --tls-cert/--tls-key: a TLS listener on 8883 for kiosks elsewhere; without them the broker
#   listens on 127.0.0.1:1883 only (kiosks on this machine, or through a tunnel: docs/fleet.md).
# --add-screen: one more screen's broker user (and its password file); prints the [fleet]
#   block for that kiosk's /etc/signage/signage.toml. --kiosk-dir DIR: instead, a kiosk to try
#   on this machine: DIR/signage.toml (the block, and its files in DIR) and DIR/fleet.password,
#   owned by the user who ran sudo; then: signage --config DIR/signage.toml run --headless.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
# shellcheck source=kiosk/lib.sh
. "$HERE/lib.sh"
ROOT="" MODE=desktop VENV=1 DRY=0 APT=1 ENABLE=1 VERSION=""
SCREENS="" ADD="" KIOSK_DIR="" SITE="" BROKER="" LISTEN=127.0.0.1 CONTENT_URL="" TLS_CERT="" TLS_KEY=""
ID_RE='^[a-z0-9][a-z0-9_-]{0,63}$'  # a fleet id (signage/fleet/messages.py ID_PATTERN)

usage() { sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --screens) SCREENS=$2; shift 2 ;;
    --add-screen) ADD=$2; shift 2 ;;
    --site) SITE=$2; shift 2 ;;
    --kiosk-dir) KIOSK_DIR=$2; shift 2 ;;
    --broker) BROKER=$2; shift 2 ;;
    --listen) LISTEN=$2; shift 2 ;;
    --content-url) CONTENT_URL=$2; shift 2 ;;
    --tls-cert) TLS_CERT=$2; shift 2 ;;
    --tls-key) TLS_KEY=$2; shift 2 ;;
    --version) VERSION=$2; shift 2 ;;
    --dry-run) DRY=1; shift ;;
    --no-apt) APT=0; shift ;;
    --no-enable) ENABLE=0; shift ;;
    -h|--help) usage 0 ;;
    *) echo "install-central.sh: unknown option $1" >&2; usage 2 ;;
  esac
done

say() { printf 'signage central: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
bad() { say "$*"; exit 2; }
run() { if [ "$DRY" = 1 ]; then printf 'would run: %s\n' "$*"; else "$@"; fi; }

IFS=', ' read -r -a SCREEN_IDS <<< "$SCREENS"
for s in "${SCREEN_IDS[@]}" ${ADD:+"$ADD"} ${SITE:+"$SITE"}; do
  [[ "$s" =~ $ID_RE ]] || bad "'$s' is not a fleet id: lower-case letters, digits, '-' and '_', at most 64, starting with a letter or digit"
done
for s in "${SCREEN_IDS[@]}" ${ADD:+"$ADD"}; do
  case "$s" in collector|central) bad "'$s' is a service user on the broker (collector, central), not a screen id" ;; esac
done
[ -z "$TLS_CERT$TLS_KEY" ] || { [ -n "$TLS_CERT" ] && [ -n "$TLS_KEY" ]; } || bad "--tls-cert and --tls-key go together"
for f in "$TLS_CERT" "$TLS_KEY"; do [ -z "$f" ] || [ -r "$f" ] || bad "cannot read $f"; done
[ -z "$BROKER" ] || [[ "$BROKER" =~ ^[A-Za-z0-9.-]+:[0-9]{1,5}$ ]] || bad "--broker is HOST:PORT (the address kiosks reach the broker at), not '$BROKER'"
case "$CONTENT_URL" in ""|http://*|https://*) ;; *) bad "--content-url is an http:// or https:// address, not '$CONTENT_URL'" ;; esac
[ "$DRY" = 1 ] || [ "$(id -u)" = 0 ] || bad "run it as root (sudo kiosk/install-central.sh ...), or with --dry-run"

ETC=/etc/signage
PASSWD=/etc/mosquitto/signage.passwd
SIGNAGE=/opt/signage/current/.venv/bin/signage
DB="dbname=signage host=/var/run/postgresql"

secret() { python3 -c 'import secrets; print(secrets.token_urlsafe(24))'; }

# A broker user with a password made once: kept in $2 (its first line), readable by $3.
broker_user() {  # $1: user, $2: password file, $3: group that may read it
  if [ "$DRY" = 1 ]; then echo "would run: broker user $1 (password in $2)"; return 0; fi
  if [ ! -s "$2" ]; then
    install -d -m 0750 -g "$3" "$(dirname "$2")"
    (umask 0027; secret > "$2")
    chgrp "$3" "$2"
  fi
  # The broker re-reads the file on a reload as the user mosquitto: the file is its own (0600).
  # mosquitto_passwd warns about any owner but root (eclipse-mosquitto/mosquitto#2925), so it
  # edits a root-owned copy, put in place after. The password goes on its standard input (asked
  # twice), never on a command line that other users could read in ps.
  local tmp opt=() pw
  tmp=$(mktemp /etc/mosquitto/.signage.passwd.XXXXXX)
  if [ -e "$PASSWD" ]; then cat "$PASSWD" > "$tmp"; else opt=(-c); fi
  pw=$(head -n 1 "$2")
  printf '%s\n%s\n' "$pw" "$pw" | mosquitto_passwd "${opt[@]}" "$tmp" "$1" > /dev/null \
    || { rm -f "$tmp"; die "mosquitto_passwd failed for $1"; }
  install -o mosquitto -g mosquitto -m 0600 "$tmp" "$PASSWD"
  rm -f "$tmp"
}

reload_broker() {
  if [ "$DRY" = 1 ]; then echo "would run: systemctl reload mosquitto"; return 0; fi
  if [ "$ENABLE" = 1 ]; then
    if systemctl is-active --quiet mosquitto; then run systemctl reload mosquitto; else run systemctl restart mosquitto; fi
  fi
}

fleet_block() {  # $1: screen id, $2: its password file: what that kiosk's signage.toml needs
  local host=${BROKER%:*} port=${BROKER##*:} mode=plain ca="" site=${SITE:-"<the shop id>"}
  [ -n "$BROKER" ] || { host=127.0.0.1; port=1883; }
  if [ "$port" != 1883 ]; then
    mode=tls
    ca=$'\nca_file = "/etc/signage/fleet-ca.pem"            # the CA that signed the broker certificate'
  fi
  cat <<EOF
[fleet]
enabled = true
broker_host = "$host"
broker_port = $port
site = "$site"
screen = "$1"
password_file = "$2"

[fleet.tls]
mode = "$mode"$ca

[screen]
id = "$1"                        # the same id in the kiosk's own exports
EOF
}

if [ -n "$ADD" ]; then
  command -v mosquitto_passwd >/dev/null 2>&1 || [ "$DRY" = 1 ] || die "no mosquitto_passwd here: run kiosk/install-central.sh first"
  broker_user "$ADD" "$ETC/screens/$ADD.password" root
  reload_broker
  say "screen $ADD can connect; its password is the first line of $ETC/screens/$ADD.password"
  if [ -z "$KIOSK_DIR" ]; then
    say "on that kiosk: copy it to /etc/signage/fleet.password (owner root, group signage, mode 0640), add this to /etc/signage/signage.toml (merged with a [screen] it has), then: systemctl restart signage"
    fleet_block "$ADD" /etc/signage/fleet.password
    exit 0
  fi
  [ -n "$SITE" ] || bad "--kiosk-dir: say the screen's site too (--site SITE)"
  if [ "$DRY" = 1 ]; then echo "would run: write $KIOSK_DIR/signage.toml and $KIOSK_DIR/fleet.password"; exit 0; fi
  owner=${SUDO_USER:-}
  if [ -n "$owner" ] && [ "$owner" != root ]; then
    runuser -u "$owner" -- mkdir -p "$KIOSK_DIR" || die "--kiosk-dir $KIOSK_DIR: $owner cannot make it"
  else
    mkdir -p "$KIOSK_DIR"
  fi
  dir=$(cd "$KIOSK_DIR" && pwd)
  install -m 0600 "$ETC/screens/$ADD.password" "$dir/fleet.password"
  {
    echo "# A kiosk of the fleet to try on this machine (kiosk/install-central.sh --add-screen $ADD --kiosk-dir)."
    echo "# Run it: /opt/signage/current/.venv/bin/signage --config $dir/signage.toml run --headless"
    fleet_block "$ADD" "$dir/fleet.password"
    printf '\n[admin]\ndata_dir = "%s/content"           # the versions the fleet activates\n' "$dir"
    printf '\n[analytics]\ndb_path = "%s/analytics.db"\n\n[health]\nstatus_file = "%s/status.json"\n' "$dir" "$dir"
  } > "$dir/signage.toml"
  [ -z "$owner" ] || chown -R "$owner": "$dir"
  say "a kiosk to try in $dir: /opt/signage/current/.venv/bin/signage --config $dir/signage.toml run --headless"
  exit 0
fi

AGAIN=kiosk/install-central.sh
[ "$DRY" = 1 ] || check_system
if [ -z "$VERSION" ]; then
  VERSION=$(git -C "$SRC" describe --always --dirty 2>/dev/null || echo src)
  VERSION="$(date -u +%Y%m%d-%H%M%S)-${VERSION}"
fi
PI=${PI:-0}
say "source $SRC, release $VERSION"

# 1. Debian's engines, and what the release's .venv needs (the admin service draws previews with pygame).
if [ "$APT" = 1 ]; then
  run apt-get update -qq
  run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mosquitto mosquitto-clients \
    postgresql python3 python3-venv libgl1 libegl1 libgles2 libglib2.0-0 libxcb1 fonts-dejavu-core
fi

# 2. The signage user, and the release (kiosk/lib.sh, as on a kiosk).
run install -D -m 0644 "$SRC/kiosk/sysusers-signage.conf" /etc/sysusers.d/signage.conf
run systemd-sysusers /etc/sysusers.d/signage.conf
install_release
switch_release
run install -d -m 2770 -o signage -g signage /var/lib/signage /var/lib/signage/content /var/lib/signage/admin

# 3. Mosquitto: password file, ACL (a screen writes only its own topics), a listener.
run install -d -m 0755 /etc/mosquitto/conf.d
run install -D -m 0644 "$SRC/kiosk/mosquitto-signage.acl" /etc/mosquitto/signage.acl
[ "$DRY" = 1 ] || { chown mosquitto:mosquitto /etc/mosquitto/signage.acl; chmod 0600 /etc/mosquitto/signage.acl; }
broker_user collector "$ETC/collector.password" signage
broker_user central "$ETC/central.password" signage
for s in "${SCREEN_IDS[@]}"; do broker_user "$s" "$ETC/screens/$s.password" root; done
conf=/etc/mosquitto/conf.d/signage.conf
if [ "$DRY" = 1 ]; then
  echo "would run: write $conf"
else
  {
    echo "# signage fleet (kiosk/install-central.sh; docs/fleet.md). Made again by each run."
    echo "per_listener_settings false"
    echo "allow_anonymous false"
    echo "password_file $PASSWD"
    echo "acl_file /etc/mosquitto/signage.acl"
    echo "# the collector's session holds what arrives while it (or its database) is away: room for hours"
    echo "max_queued_messages 1000000"
    echo "max_inflight_messages 100"
    echo "listener 1883 127.0.0.1"
    if [ -n "$TLS_CERT" ]; then
      install -D -m 0644 "$TLS_CERT" /etc/mosquitto/certs/signage.crt
      install -D -m 0640 -g mosquitto "$TLS_KEY" /etc/mosquitto/certs/signage.key
      echo "listener 8883"
      echo "certfile /etc/mosquitto/certs/signage.crt"
      echo "keyfile /etc/mosquitto/certs/signage.key"
    fi
  } > "$conf.new"
  mv "$conf.new" "$conf"
fi

# 4. PostgreSQL: the role signage (peer authentication on the local socket) and its database.
if [ "$DRY" = 1 ]; then
  echo "would run: createuser signage; createdb -O signage signage"
else
  systemctl start postgresql 2>/dev/null || true
  pg() { runuser -u postgres -- psql -X -q -tAc "$1"; }
  for _ in $(seq 1 60); do pg "SELECT 1" >/dev/null 2>&1 && break; sleep 1; done
  [ "$(pg "SELECT 1 FROM pg_roles WHERE rolname = 'signage'")" = 1 ] || runuser -u postgres -- createuser signage
  [ "$(pg "SELECT 1 FROM pg_database WHERE datname = 'signage'")" = 1 ] || runuser -u postgres -- createdb -O signage signage
  runuser -u signage -- "$SIGNAGE" fleet migrate --db "$DB"
fi

# 5. The configuration (once): the admin service and its fleet view.
CONFIG=$ETC/signage.toml
if [ -e "$CONFIG" ]; then
  grep -q '^\[fleet_admin\]' "$CONFIG" || say "$CONFIG has no [fleet_admin]: add it (docs/fleet.md, \"Fleet view\")"
elif [ "$DRY" = 1 ]; then
  echo "would run: write $CONFIG"
else
  install -d -m 0755 "$ETC"
  cat > "$CONFIG.new" <<EOF
# $CONFIG on the fleet's central machine (kiosk/install-central.sh; installed once, never
# overwritten). \`signage config\` prints every key; docs/fleet.md explains these.

[admin]
host = "$LISTEN"
port = 8470
data_dir = "/var/lib/signage/content"
credentials_file = "/var/lib/signage/admin/credentials.json"
secret_key_file = "/var/lib/signage/admin/session.key"

[analytics]
db_path = "/var/lib/signage/analytics.db"

[fleet_admin]
db = "$DB"
broker = "127.0.0.1:1883"
username = "central"
password_file = "$ETC/central.password"
content_base_url = "${CONTENT_URL:-http://127.0.0.1:8470/fleet/content}"
EOF
  chmod 0644 "$CONFIG.new"
  mv "$CONFIG.new" "$CONFIG"
fi

# 6. The units: the collector and the admin service.
run install -D -m 0644 "$SRC/kiosk/signage-collector.service" /etc/systemd/system/signage-collector.service
run install -D -m 0644 "$SRC/kiosk/signage-admin.service" /etc/systemd/system/signage-admin.service
if [ "$ENABLE" = 1 ]; then
  run systemctl daemon-reload
  run systemctl enable mosquitto postgresql signage-collector signage-admin
  run systemctl restart mosquitto
  run systemctl restart signage-collector signage-admin
fi

say "installed: the broker on 127.0.0.1:1883${TLS_CERT:+ and :8883 (TLS)}, PostgreSQL database signage, the collector, the admin service on http://$LISTEN:8470/fleet"
say "next: an operator for the fleet view:  sudo -u signage SIGNAGE_CONFIG=$CONFIG $SIGNAGE admin user add NAME"
for s in "${SCREEN_IDS[@]}"; do say "screen $s: its password is in $ETC/screens/$s.password; its [fleet] block: kiosk/install-central.sh --add-screen $s --site SITE"; done
