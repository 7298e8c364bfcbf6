"""How long `ceptoar demo --no-serve` takes on an empty SQLite database (target: 60 s on 2 cores).

Side by side, the same rows are copied by SQLite itself into an empty copy of the schema
(INSERT … SELECT), the floor any loader of this data could reach on this disk.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 60.0


def _raw_copy_seconds(source: Path, target: Path) -> tuple[float, int]:
    with sqlite3.connect(source) as src:
        everything = src.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    # Full-text search tables (search app) are virtual, with shadow tables of their own: they hold no demo
    # rows, and creating the shadow tables by hand would clash with the ones the virtual table makes.
    virtual = [name for kind, name, sql in everything if kind == "table" and sql.startswith("CREATE VIRTUAL")]
    tables = [
        name
        for kind, name, _sql in everything
        if kind == "table" and not any(name == v or name.startswith(f"{v}_") for v in virtual)
    ]
    schema = [sql for kind, name, sql in everything if kind == "table" and name in tables]
    indexes = [sql for kind, _name, sql in everything if kind == "index"]
    conn = sqlite3.connect(target)
    for sql in schema + indexes:
        conn.execute(sql)
    conn.commit()
    conn.execute("ATTACH DATABASE ? AS loaded", (str(source),))
    rows = 0
    started = time.perf_counter()
    with conn:
        for table in tables:
            cursor = conn.execute(f'INSERT INTO main."{table}" SELECT * FROM loaded."{table}"')  # noqa: S608
            rows += cursor.rowcount
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed, rows


def run() -> dict:
    with tempfile.TemporaryDirectory(prefix="ceptoar-bench-") as tmp:
        var_dir = Path(tmp) / "var"
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env["CEPTOAR_VAR_DIR"] = str(var_dir)
        ceptoar = str(Path(sys.executable).with_name("ceptoar"))
        started = time.perf_counter()
        subprocess.run([ceptoar, "demo", "--no-serve"], env=env, check=True, capture_output=True)  # noqa: S603 — our own entry point
        load_seconds = time.perf_counter() - started
        database = var_dir / "ceptoar.sqlite3"
        with sqlite3.connect(database) as conn:
            organisations = conn.execute("SELECT COUNT(*) FROM registry_organisation").fetchone()[0]
            contacts = conn.execute("SELECT COUNT(*) FROM registry_contact").fetchone()[0]
        raw_seconds, rows = _raw_copy_seconds(database, Path(tmp) / "raw.sqlite3")
    return {
        "database": "sqlite",
        "organisations": organisations,
        "contacts": contacts,
        "rows": rows,
        "load_s": round(load_seconds, 2),
        "target_s": TARGET_SECONDS,
        "within_target": load_seconds <= TARGET_SECONDS,
        "raw_copy_s": round(raw_seconds, 3),
        "ratio_load_to_raw_copy": round(load_seconds / raw_seconds, 1) if raw_seconds else None,
    }
