"""`opengov migrate` as an operator runs it against the live database:
idempotent, and refusing to go on when an applied migration was edited."""

import os
import subprocess

from conftest import ENV, REPO

BIN = os.environ.get("OPENGOV_BIN") or os.path.join(REPO, "bin", "opengov")


def migrate():
    env = dict(os.environ)
    env.update({k: v for k, v in ENV.items() if k.startswith("OPENGOV_")})
    return subprocess.run([BIN, "migrate"], env=env, capture_output=True, text=True,
                          timeout=60)


def test_migrate_again_applies_nothing(db):
    before = db("SELECT version, checksum, applied_at FROM schema_migrations ORDER BY version")
    p = migrate()
    assert p.returncode == 0, p.stderr
    assert "(0 applied now)" in p.stdout, p.stdout
    assert db("SELECT version, checksum, applied_at FROM schema_migrations"
              " ORDER BY version") == before


def test_edited_migration_is_refused(db):
    old = db.scalar("SELECT checksum FROM schema_migrations WHERE version = 1")
    # What an edit of sql/001_foundation.sql after it was applied looks like.
    db("UPDATE schema_migrations SET checksum = repeat('0', 64) WHERE version = 1")
    try:
        p = migrate()
        assert p.returncode != 0
        assert "001_foundation was edited after it was applied" in p.stderr, p.stderr
    finally:
        db(f"UPDATE schema_migrations SET checksum = '{old}' WHERE version = 1")
    assert migrate().returncode == 0
