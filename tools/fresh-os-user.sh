#!/usr/bin/env bash
# Run inside a fresh root by tools/check-fresh-os (and tests/kiosk/test_fresh_os.py), as an
# ordinary user, in the project's checkout: the README's commands, timed.
#
#   fresh-os-user.sh play OUT [TIMEOUT]   ./run until its first "playing" line, then stop it;
#                                         OUT.log (what it printed), OUT.seconds, OUT.rc
#                                         (0: it played; else ./run's own exit status, or 124),
#                                         OUT.cpu (processor time, user and system)
#   fresh-os-user.sh test OUT             ./test -q: OUT.log, OUT.seconds, OUT.rc
#   fresh-os-user.sh facts OUT            OUT.du (du -sh .venv), OUT.freeze (pip freeze)
set -uo pipefail
what=$1 out=$2 timeout=${3:-900}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f\n", b - a }'; }

case "$what" in
  play)
    start=$(now)
    # its own process group, so that stopping it stops what it started
    setsid ./run > "$out.log" 2>&1 &
    pid=$!
    rc=124
    while :; do
      if grep -q 'signage.director: playing ' "$out.log"; then rc=0; break; fi
      if ! kill -0 "$pid" 2>/dev/null; then wait "$pid"; rc=$?; [ "$rc" != 0 ] || rc=1; break; fi
      if awk -v a="$start" -v b="$(now)" -v t="$timeout" 'BEGIN { exit !(b - a > t) }'; then break; fi
      sleep 0.1
    done
    elapsed "$start" > "$out.seconds"
    kill -TERM -- -"$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- -"$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    echo "$rc" > "$out.rc"
    # the processor time it took, whatever else the machine was doing: children's user and
    # system seconds, as `times` reports them once they have been waited for
    # (in this shell: `times` in a pipe would run in a subshell, which has no children yet)
    times > "$out.times"
    sed -n 2p "$out.times" > "$out.cpu"
    ;;
  test)
    start=$(now)
    ./test -q > "$out.log" 2>&1
    echo $? > "$out.rc"
    elapsed "$start" > "$out.seconds"
    ;;
  facts)
    du -sh .venv | cut -f1 > "$out.du"
    .venv/bin/python -m pip freeze --disable-pip-version-check > "$out.freeze" 2>/dev/null
    ;;
  *) echo "fresh-os-user.sh: play, test or facts" >&2; exit 2 ;;
esac
