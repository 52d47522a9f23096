"""kiosk/lib.sh's font_packages: the Debian font packages for the notice's languages."""

import subprocess
from pathlib import Path

LIB = Path(__file__).resolve().parents[2] / "kiosk" / "lib.sh"


def sh(script: str) -> list[str]:
    out = subprocess.run(["bash", "-c", f". {LIB}; {script}"], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_latin_languages_need_only_the_emoji_font():
    assert sh("font_packages en fr de es") == ["fonts-noto-color-emoji"]


def test_each_script_gets_its_noto_package_once():
    assert sh("font_packages zh-TW ja ar fa he en zh_CN") == ["fonts-noto-color-emoji", "fonts-noto-cjk", "fonts-noto-core"]


def test_the_languages_are_read_from_the_configuration(tmp_path):
    conf = tmp_path / "signage.toml"
    conf.write_text('[notice]\nlanguages = ["zh", "en"]\n')
    assert sh(f"notice_languages {conf}") == ["zh", "en"]
    assert sh(f"font_packages $(notice_languages {conf})") == ["fonts-noto-color-emoji", "fonts-noto-cjk"]
    assert sh(f"notice_languages {tmp_path / 'none.toml'}") == ["en", "fr"]
