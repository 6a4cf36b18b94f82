"""Attack 69: another local account reading the key directory. `retired-keys.json`, written at
each `rotate-signing-key`, is 0600 like every other key file, whatever the umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from broker.chain import keys


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_rotation_leaves_every_key_file_readable_by_its_owner_only(tmp_path: Path):
    key_dir = tmp_path / "keys"
    keys.load_or_create_key(key_dir, create=True)
    before = os.umask(0o022)  # the usual umask: new files 0644 unless made otherwise
    try:
        keys.rotate_key(key_dir)
        keys.rotate_key(key_dir)  # and again, replacing the list
    finally:
        os.umask(before)

    retired = key_dir / keys.RETIRED_FILE
    assert len(keys.load_retired_keys(key_dir)) == 2
    assert mode(retired) == 0o600
    files = [p for p in key_dir.iterdir() if p.is_file()]
    assert {p.name for p in files} >= {keys.KEY_FILE, keys.RETIRED_FILE}
    assert all(mode(p) == 0o600 for p in files)
