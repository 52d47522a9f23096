#!/usr/bin/env bash
# Runs inside the booted test container (tests/kiosk/test_container.py), as a oneshot unit
# after boot, then powers the container off. Every observation goes to /root/results for the
# test to check; nothing here decides pass or fail.
set -uo pipefail
out=/root/results
mkdir -p "$out"
log() { printf '%s %s\n' "$(date +%T)" "$*" >> "$out/scenario.log"; }
show() { systemctl show signage.service -p ActiveState -p SubState -p MainPID -p NRestarts -p User \
           -p WatchdogUSec -p StatusText -p Result; }
wait_active() {  # $1: seconds; $2: a MainPID to see replaced (or 0)
  local end=$((SECONDS + $1)) pid
  while [ $SECONDS -lt "$end" ]; do
    pid=$(systemctl show -p MainPID --value signage.service)
    if [ "$(systemctl is-active signage.service)" = active ] && [ "$pid" != 0 ] && [ "$pid" != "$2" ]; then
      return 0
    fi
    sleep 1
  done
  return 1
}
status() { runuser -u signage -- /opt/signage/current/.venv/bin/signage --config /etc/signage/signage.toml status "$@"; }

# 1. the player started at boot, as the signage user, and told systemd it is ready
wait_active 240 0; echo $? > "$out/ready.rc"
show > "$out/show-boot.txt"
sleep 3  # a status written after READY
status > "$out/status.txt" 2>&1; echo $? > "$out/status.rc"
status --json > "$out/status.json" 2>/dev/null
pid=$(systemctl show -p MainPID --value signage.service)
stat -c '%U' "/proc/$pid" > "$out/player-user.txt" 2>&1
tr '\0' '\n' < "/proc/$pid/environ" | grep -E '^(SDL_VIDEODRIVER|SIGNAGE_CONFIG|NOTIFY_SOCKET|WATCHDOG_USEC)=' \
  > "$out/player-env.txt" 2>&1
grep -E '^(Uid|Groups):' "/proc/$pid/status" > "$out/player-ids.txt"
id signage > "$out/id-signage.txt" 2>&1
stat -c '%a %U %G %n' /var/lib/signage /run/signage /run/signage/status.json /var/lib/signage/analytics.db \
  > "$out/state-perms.txt" 2>&1
systemctl is-active signage-admin.service > "$out/admin-active.txt" 2>&1
python3 -c 'import urllib.request as u; print(u.urlopen("http://127.0.0.1:8470/", timeout=10).status)' \
  > "$out/admin-http.txt" 2>&1
log "boot checks done"

# 2. a frozen player (SIGSTOP) is killed by the watchdog and restarted
kill -STOP "$pid"
wait_active 150 "$pid"; echo $? > "$out/watchdog.rc"
show > "$out/show-watchdog.txt"
log "watchdog done"

# 3. an update to a release that cannot play is rolled back by itself
/root/src-broken/kiosk/update.sh --version r2-broken --timeout 60 > "$out/update-broken.log" 2>&1
echo $? > "$out/update-broken.rc"
readlink /opt/signage/current > "$out/current-after-broken.txt"
wait_active 120 0; sleep 3
status --json > "$out/status-after-broken.json" 2>/dev/null
log "broken update done"

# 4. an update to a good release is kept
/root/src/kiosk/update.sh --version r3 --timeout 180 > "$out/update-good.log" 2>&1
echo $? > "$out/update-good.rc"
readlink /opt/signage/current > "$out/current-after-good.txt"
readlink /opt/signage/previous > "$out/previous-after-good.txt"
status --json > "$out/status-after-good.json" 2>/dev/null
log "good update done"

journalctl -b --no-pager -u signage.service -u signage-admin.service > "$out/journal.txt" 2>&1
systemctl --failed --no-legend > "$out/failed.txt" 2>&1
log "done"
systemctl --no-block poweroff
