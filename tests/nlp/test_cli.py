"""CLI contract: ``python -m nlp predict/evaluate/train/bench`` as later checks call it."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

from nlp.cli import ProgressBar, main

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nlp", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_predict_missing_column_is_one_error_line_and_exit_2(tmp_path: Path) -> None:
    src = _write_csv(tmp_path / "in.csv", ["title", "body"], [["噪音", "小区噪音扰民"]])
    proc = _run("predict", "--input", str(src), "--output", str(tmp_path / "out.csv"))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error:")
    assert "text" in lines[0]
    assert not (tmp_path / "out.csv").exists()


def test_predict_missing_file_exit_2(tmp_path: Path) -> None:
    proc = _run("predict", "--input", str(tmp_path / "nope.csv"), "--output", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error:")
    assert len(proc.stderr.strip().splitlines()) == 1


def test_predict_undecodable_file_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "gbk.csv"
    bad.write_bytes("title,text\n噪音,小区噪音扰民\n".encode("gbk"))
    assert main(["predict", "--input", str(bad), "--output", str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:")
    assert "UTF-8" in err


def test_evaluate_missing_label_column_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = _write_csv(tmp_path / "d.csv", ["title", "text"], [["噪音", "小区噪音扰民"]])
    assert main(["evaluate", "--data", str(src)]) == 2
    assert "label" in capsys.readouterr().err


def test_usage_errors_exit_2() -> None:
    proc = _run("predict", "--input", "x.csv")
    assert proc.returncode == 2
    proc = _run("frobnicate")
    assert proc.returncode == 2


def test_progress_bar_draws_to_its_stream() -> None:
    stream = io.StringIO()
    bar = ProgressBar(10, stream=stream, label="predict ")
    bar.update(4)
    bar.update(6)
    bar.close()
    out = stream.getvalue()
    assert "10/10" in out
    assert "100%" in out
    assert out.endswith("\n")
