#!/bin/bash
# docs/fleet.md's central side, as a new operator follows it, in a booted Debian container
# (tests/kiosk/test_central_container.py). Run by a oneshot unit after boot, as root, it runs
# the operator's commands as the ordinary user "kiosk" (with sudo) from ~kiosk/signage,
# exactly as the docs write them (the test checks that each is in docs/fleet.md), records
# what happened in /var/tmp/central/, and powers the container off.
set -u
OUT=/var/tmp/central
mkdir -p "$OUT"
chmod 0777 "$OUT"
exec > "$OUT/scenario.log" 2>&1
step() { echo "== $*"; }
as_kiosk() { runuser -u kiosk -- env HOME=/home/kiosk PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 bash -c "cd ~/signage && $1"; }

step install
as_kiosk 'sudo kiosk/install-central.sh --screens kiosk-1,kiosk-2,kiosk-3' > "$OUT/install.log" 2>&1
echo $? > "$OUT/install.rc"
step operator
# the docs' command asks for the password twice at a terminal; here it comes on standard input
as_kiosk 'echo "a long operator password" | sudo -u signage SIGNAGE_CONFIG=/etc/signage/signage.toml /opt/signage/current/.venv/bin/signage admin user add alice --password-stdin' \
  > "$OUT/user.log" 2>&1
echo $? > "$OUT/user.rc"
for u in mosquitto postgresql signage-collector signage-admin; do
  echo "$u=$(systemctl is-active "$u")"
done > "$OUT/units.txt"

step kiosks
as_kiosk 'for k in kiosk-1 kiosk-2 kiosk-3; do
  sudo kiosk/install-central.sh --add-screen $k --site shop-1 --kiosk-dir ~/fleet-try/$k
done' > "$OUT/add.log" 2>&1
echo $? > "$OUT/add.rc"
as_kiosk 'S=/opt/signage/current/.venv/bin/signage
$S --config ~/fleet-try/kiosk-1/signage.toml run --headless > ~/fleet-try/kiosk-1.log 2>&1 &
$S --config ~/fleet-try/kiosk-2/signage.toml run --headless --camera off > ~/fleet-try/kiosk-2.log 2>&1 &
$S --config ~/fleet-try/kiosk-3/signage.toml run --headless --camera off > ~/fleet-try/kiosk-3.log 2>&1 &
echo started'

step operator-in-the-admin
runuser -u kiosk -- /opt/signage/current/.venv/bin/python /var/tmp/central_operator.py "$OUT" > "$OUT/operator.log" 2>&1
echo $? > "$OUT/operator.rc"

step export
as_kiosk 'F="sudo -u signage /opt/signage/current/.venv/bin/signage --config /etc/signage/signage.toml fleet export"
$F --since 1d > ~/week.csv; echo $? > /var/tmp/central/export.rc
$F --per hour --since 1d --format jsonl > ~/hourly.jsonl' > "$OUT/export.log" 2>&1
cp /home/kiosk/week.csv /home/kiosk/hourly.jsonl "$OUT/" 2>/dev/null

step stop
pkill -TERM -u kiosk -f 'fleet-try/kiosk-.*/signage.toml run'
for _ in $(seq 1 60); do pgrep -u kiosk -f 'fleet-try/kiosk-' >/dev/null || break; sleep 1; done
runuser -u kiosk -- /opt/signage/current/.venv/bin/python /var/tmp/central_operator.py "$OUT" --offline \
  > "$OUT/offline.log" 2>&1
echo $? > "$OUT/offline.rc"
cp /home/kiosk/fleet-try/kiosk-*.log "$OUT/" 2>/dev/null
journalctl --no-pager -u signage-collector -u signage-admin -u mosquitto > "$OUT/journal.log" 2>&1
step done
systemctl poweroff
