"""A city can refit the keyword IDF from its own messages only (README: retrain from own data)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from nlp.cli import main
from nlp.keywords import KeywordExtractor


def test_train_keywords_from_own_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # no shared corpus anywhere: the command must not need one
    monkeypatch.setenv("CITIZENVOICE_DATA_DIR", str(tmp_path / "no-shared-data"))
    data = tmp_path / "own.csv"
    with data.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["title", "text"])
        writer.writerow(["路灯不亮", "小区门口路灯坏了一个月"])
        writer.writerow(["噪音扰民", "小区夜间施工噪音很大"])
        writer.writerow(["", "小区垃圾清运不及时"])
    assert (
        main(
            [
                "train",
                "keywords",
                "--out",
                str(tmp_path / "m"),
                "--data",
                str(data),
                "--min-df",
                "1",
            ]
        )
        == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["n_documents"] == 3
    table = KeywordExtractor.load(tmp_path / "m" / "keywords" / "idf.tsv.gz")
    assert table.n_documents_ == 3 and "小区" in table.idf_
