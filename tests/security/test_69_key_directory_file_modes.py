"""Attack 69: another local account reading the key directory. Every file the broker writes
there (outside production: the key-encryption key the signing keys are sealed under, and the
statement key) is 0600 whatever the umask, the directory the broker makes for them is 0700, and
a rotation writes no file at all: the keys themselves are in the database, sealed (security.md
75)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from broker.chain import keys
from tests.own_brokers import broker, migrate


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_key_directory_is_readable_by_its_owner_only_after_rotations(tmp_path: Path):
    before = os.umask(0o022)  # the usual umask: new files 0644 unless made otherwise
    try:
        migrate(tmp_path)
        # No BROKER_KEY_ENCRYPTION_KEY: development makes one in the key directory.
        with broker(tmp_path, BROKER_KEY_ENCRYPTION_KEY=None) as app:
            key_dir = Path(app.config["BROKER_KEY_DIR"])
            listed = {p.name: p.stat().st_mtime_ns for p in key_dir.iterdir()}
            for flags in (["--now"], ["--now"]):
                result = app.test_cli_runner().invoke(args=["rotate-signing-key", *flags])
                assert result.exit_code == 0, result.output
            assert {p.name: p.stat().st_mtime_ns for p in key_dir.iterdir()} == listed
    finally:
        os.umask(before)

    files = [p for p in key_dir.iterdir() if p.is_file()]
    assert {p.name for p in files} == {keys.KEK_FILE, "statement-key"}
    assert all(mode(p) == 0o600 for p in files)
    assert mode(key_dir / keys.KEK_FILE) == 0o600
    assert mode(key_dir) == 0o700  # made by the broker: no other account can list it
