"""The portal's count charts when small-number protection leaves no number to draw."""

from __future__ import annotations

from citizenvoice.blueprints.open.charts import count_bars


def test_all_cells_suppressed_says_so_instead_of_no_data() -> None:
    # The table beside the chart lists every topic as "<5": "暂无数据" would contradict it.
    html = str(count_bars([("城乡建设", "<5"), ("环境保护", "<5")], "主要投诉话题"))
    assert "暂无数据" not in html and "<svg" not in html
    assert "少于 5 件" in html


def test_no_cells_at_all_is_no_data() -> None:
    assert "暂无数据" in str(count_bars([], "主要投诉话题"))


def test_suppressed_cells_are_left_out_of_a_drawn_chart() -> None:
    html = str(count_bars([("城乡建设", 28), ("环境保护", "<5")], "按类别的受理量"))
    assert "<svg" in html and "城乡建设" in html and "环境保护" not in html
