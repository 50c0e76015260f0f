"""`python -m service.auth init`: compose's first start, run as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .support import ROOT

# Root ignores folder modes; without these capabilities (util-linux's setpriv) it is held to
# them, as the image's unprivileged user is to a host folder it does not own.
AS_UNPRIVILEGED = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


def init(path: Path, held_to_modes: bool = False) -> subprocess.CompletedProcess[str]:
    prefix = AS_UNPRIVILEGED if held_to_modes and os.geteuid() == 0 else []
    return subprocess.run(
        [*prefix, sys.executable, "-m", "service.auth", "init", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_init_makes_keys_once_and_keeps_them(tmp_path: Path) -> None:
    keys = tmp_path / "keys" / "keys.txt"
    first = init(keys)
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("new ") == 2
    stored = keys.read_text()
    second = init(keys)
    assert second.returncode == 0 and "keys unchanged" in second.stderr
    assert keys.read_text() == stored and "new " not in second.stdout


def test_an_unwritable_keys_folder_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    folder.mkdir(mode=0o555)  # as a host folder of another uid is to the container user
    try:
        made = init(folder / "keys.txt", held_to_modes=True)
    finally:
        folder.chmod(0o755)
    assert made.returncode == 1, made.stderr
    assert "not writable by this user" in made.stderr and "Traceback" not in made.stderr
    assert not (folder / "keys.txt").exists()
