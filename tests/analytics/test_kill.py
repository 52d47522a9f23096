"""SIGKILL a real `signage run` a few times at random moments (tools/killtest.py, the engine of
tools/kill-test): no play that reached the screen is lost, each kill loses at most about a
checkpoint interval of audience, and the database passes integrity_check after every kill."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import killtest  # noqa: E402

KILLS = 5
CHECKPOINT_S = 2.0


def test_five_sigkills_lose_no_play_and_at_most_a_checkpoint_of_audience(tmp_path):
    result = killtest.run(tmp_path, kills=KILLS, max_delay_s=8.0, seed=5, timeout_s=300.0,
                          env={"SIGNAGE_ANALYTICS__CHECKPOINT_S": str(CHECKPOINT_S)})
    summary = result.text()
    assert result.integrity_ok, summary
    assert result.lost == [], summary
    assert result.on_screen >= KILLS + 1 and result.rows >= result.on_screen, summary
    # each kill leaves the play on screen open: the next start closes it as crashed (a kill in
    # the moment between one play's end and the next one's open row crashes none)
    assert 1 <= result.by_outcome["crashed"] <= KILLS and result.by_outcome["playing"] == 0, summary
    # lost per kill: since the last write, a checkpoint interval and the time a commit takes
    assert len(result.not_on_record_s) == KILLS and max(result.not_on_record_s) <= CHECKPOINT_S + 3.0, summary
