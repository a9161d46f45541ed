"""The `huhang` command as an operator uses it: accounts, demo data, anchor, verify, rebuild, report."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import openpyxl


def huhang(data: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUHANG_")} | {"HUHANG_DATA_DIR": str(data)}
    return subprocess.run([sys.executable, "-m", "mobile_api.cli", *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=300)


def test_accounts_from_the_command_line(tmp_path: Path) -> None:
    added = huhang(tmp_path, "users", "add", "wang", "--role", "child_director", "--scope", "520302/001",
                   "--password-stdin", stdin="long-enough-pw\n")
    assert added.returncode == 0, added.stderr
    taken = huhang(tmp_path, "users", "add", "WANG", "--role", "grid_worker", "--scope", "520302/001",
                   "--password-stdin", stdin="long-enough-pw\n")
    assert taken.returncode == 2 and "username_taken" in taken.stderr
    bad = huhang(tmp_path, "users", "add", "li", "--role", "department_handler", "--scope", "520302",
                 "--password-stdin", stdin="long-enough-pw\n")
    assert bad.returncode == 2 and "department" in bad.stderr
    assert huhang(tmp_path, "users", "disable", "wang").returncode == 0
    listing = huhang(tmp_path, "users", "list").stdout
    assert "wang" in listing and "disabled" in listing


def test_demo_data_anchor_verify_finds_tampering_and_reports(tmp_path: Path) -> None:
    demo = huhang(tmp_path, "demo-data", "--children", "20", "--seed", "4")
    assert demo.returncode == 0, demo.stderr
    assert "director_001_001" in demo.stdout and "refused: none" in demo.stdout
    anchor = huhang(tmp_path, "anchor")
    assert anchor.returncode == 0 and "root" in anchor.stdout
    assert huhang(tmp_path, "verify").returncode == 0
    rebuilt = huhang(tmp_path, "rebuild")
    assert rebuilt.returncode == 0 and "main:" in rebuilt.stdout and "coverage:" in rebuilt.stdout
    out = tmp_path / "report.xlsx"
    report = huhang(tmp_path, "report", "--jurisdiction", "520302", "--from", "2020-01-01", "--to", "2030-01-01",
                    "--out", str(out))
    assert report.returncode == 0 and "visits" in openpyxl.load_workbook(out).sheetnames

    with sqlite3.connect(tmp_path / "huhang.sqlite3") as conn:
        stream, version = conn.execute(
            "SELECT originator_id, MAX(originator_version) FROM stored_events WHERE topic LIKE '%ChildRegistered' "
            "OR topic LIKE '%RiskAssessed' GROUP BY originator_id HAVING MAX(originator_version) > 1 LIMIT 1"
        ).fetchone()
        conn.execute("DELETE FROM stored_events WHERE originator_id = ? AND originator_version = ?", (stream, version))
    verify = huhang(tmp_path, "verify")
    assert verify.returncode == 1 and "tampering found" in verify.stdout
    assert f"version {version}: anchored version {version} is gone" in verify.stdout
