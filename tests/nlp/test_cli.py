"""CLI contract: ``python -m nlp predict/evaluate/train/bench`` as later checks call it."""

from __future__ import annotations

import csv
import io
import json
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


@pytest.mark.slow
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


@pytest.fixture(scope="module")
def real_rows() -> list[tuple[str, str, str]]:
    from nlp.datasets import data_dir, load_messages

    if data_dir(required=False) is None:
        pytest.skip("shared data not available")
    msgs = [m for m in load_messages() if m.text_source == "original"]
    return [(m.title, m.text, m.label) for m in msgs[::150][:40]]


def test_predict_writes_every_row_with_the_contract_columns(
    tmp_path: Path, real_rows: list[tuple[str, str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [[t, x] for t, x, _ in real_rows]
    rows[1][0] = ""  # title may be empty
    rows.append(["我的电话", "请联系我13812345678，小区噪音扰民"])
    rows.append(list(rows[2]))  # an exact duplicate
    rows.append(["", "😀😀"])  # nothing to analyse
    src = _write_csv(tmp_path / "in.csv", ["title", "text"], rows)
    out = tmp_path / "out.csv"
    assert main(["predict", "--input", str(src), "--output", str(out), "--batch-size", "16"]) == 0
    err = capsys.readouterr().err
    assert f"{len(rows)}/{len(rows)}" in err  # progress bar on stderr
    assert "1 row(s) had nothing to analyse" in err
    with out.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == [
            "title",
            "text",
            "category",
            "category_confidence",
            "sentiment",
            "sentiment_label",
            "urgency",
            "keywords",
            "redacted_text",
            "duplicate_group",
        ]
        written = list(reader)
    assert len(written) == len(rows)
    assert [r["text"] for r in written] == [r[1] for r in rows]  # input repeated as is
    for r in written[:-1]:
        assert r["category"]
        assert 0.0 <= float(r["category_confidence"]) <= 1.0
        assert 0.0 <= float(r["sentiment"]) <= 1.0
        assert r["sentiment_label"] in {"negative", "neutral", "positive"}
        assert r["urgency"] in {"none", "elevated", "high", "critical"}
        assert r["keywords"]
    assert written[-1]["category"] == ""
    phone_row = written[len(real_rows)]
    assert "13812345678" not in phone_row["redacted_text"]
    assert "138****5678" in phone_row["redacted_text"]
    assert written[len(real_rows) + 1]["duplicate_group"] == written[2]["duplicate_group"]
    assert written[0]["duplicate_group"] != written[2]["duplicate_group"]
    accuracy = sum(
        w["category"] == label for w, (_, _, label) in zip(written, real_rows, strict=False)
    ) / len(real_rows)
    assert accuracy > 0.7


@pytest.mark.slow
def test_evaluate_prints_one_json_object(
    tmp_path: Path, real_rows: list[tuple[str, str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    src = _write_csv(tmp_path / "d.csv", ["title", "text", "label"], [list(r) for r in real_rows])
    assert main(["evaluate", "--data", str(src)]) == 0
    out = capsys.readouterr().out.strip()
    assert len(out.splitlines()) == 1
    metrics = json.loads(out)
    for key in ("accuracy", "macro_f1", "per_class_f1", "confusion_matrix"):
        assert key in metrics
    labels = metrics["confusion_matrix"]["labels"]
    matrix = metrics["confusion_matrix"]["matrix"]
    assert len(matrix) == len(labels)
    assert sum(map(sum, matrix)) == len(real_rows)
    assert 0.0 <= metrics["macro_f1"] <= 1.0


@pytest.mark.slow
def test_bench_prints_one_json_object_with_every_figure(
    real_rows: list[tuple[str, str, str]],
) -> None:
    # A subprocess: the benchmark pins its process to one CPU.
    proc = _run("bench", "--n", "150", "--snownlp-sample", "0", "--batch-size", "50")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["n_messages"] == 150
    assert result["segmentation"]["chars_per_s"] > 0
    assert result["full"]["messages_per_s"] > 0
    assert set(result["full"]["mean_ms_per_step"]) == {
        "normalize",
        "redact",
        "segment",
        "classify",
        "sentiment",
        "keywords",
        "urgency",
    }
    assert 0 < result["ratio_full_to_segmentation"] <= 1.5
    assert result["load_s"] > 0
    assert "category=" in result["model_version"]
