"""How precise is the judgement/comment disagreement flag? A hand-checked sample.

Prints one JSON object. Run: ``.venv/bin/python -m benchmarks.eval_judgement_flags``.

``SAMPLE`` holds follow-up comments as residents write them, each with its judgement and a
reader's verdict (``True``: the words clearly contradict the judgement, a person should look).
The verdicts were written by reading each comment before running the model. The flag rule is
the product's (citizenvoice.domain.judgement_flags) with the analysis sentiment model (nlp);
``precision`` is the share of flags a reader agrees with, ``recall`` the share of real
contradictions flagged. The same figures at the model's own neutral band (0.4 / 0.6) show why
the flag asks for "clearly". The seeded demo data has no contradictions to find (its comments
are drawn to match their judgement): run ``flask labels flags`` after ``flask seed`` for that.
"""

from __future__ import annotations

import json

from citizenvoice.domain import judgement_flags
from citizenvoice.domain.judgement_flags import disagreement
from nlp import Analyzer

S, D = "satisfied", "dissatisfied"
SAMPLE: list[tuple[str, str, bool]] = [
    # 满意, with words that clearly say otherwise
    (S, "问题根本没有解决，敷衍了事", True),
    (S, "态度很差，拖了一个多月才回复", True),
    (S, "根本没人来处理，还是老样子", True),
    (S, "打了好几次电话都没人管，太失望了", True),
    (S, "答复完全是套话，什么都没做", True),
    (S, "垃圾服务，推来推去", True),
    # 满意, consistent or mixed (a reader would not flag)
    (S, "处理很及时，谢谢！", False),
    (S, "工作人员态度很好，问题已经解决。", False),
    (S, "虽然慢了点，但最后解决了，满意", False),
    (S, "路灯已经修好了，感谢", False),
    (S, "很快就有人来现场查看了", False),
    (S, "希望以后多巡查", False),
    (S, "噪音问题已经没有了，谢谢城管", False),
    (S, "回复详细，办事效率高", False),
    # 不满意, with words that clearly say otherwise
    (D, "非常感谢工作人员，处理得很好", True),
    (D, "问题已经解决了，服务很周到", True),
    (D, "很满意，谢谢你们", True),
    (D, "效率很高，点赞", True),
    # 不满意, consistent or mixed
    (D, "问题没有解决，只是电话回复了一下。", False),
    (D, "答复敷衍，现场情况没有变化。", False),
    (D, "工作人员态度还可以，但问题没解决", False),
    (D, "说好一周处理，一个月了还没动静", False),
    (D, "电话打不通，没人回复", False),
    (D, "谢谢回复，但是工地晚上还在施工", False),
    (D, "解决得太慢了", False),
    (D, "答非所问", False),
]


def _figures(scores: list[float], low: float, high: float) -> dict[str, float | int]:
    """Flags, precision and recall of the rule at thresholds (low, high) on the sample."""
    saved = judgement_flags.CLEARLY_NEGATIVE, judgement_flags.CLEARLY_POSITIVE
    judgement_flags.CLEARLY_NEGATIVE, judgement_flags.CLEARLY_POSITIVE = low, high
    try:
        flagged = [
            disagreement(judgement, score) is not None
            for (judgement, _, _), score in zip(SAMPLE, scores, strict=True)
        ]
    finally:
        judgement_flags.CLEARLY_NEGATIVE, judgement_flags.CLEARLY_POSITIVE = saved
    truth = [verdict for _, _, verdict in SAMPLE]
    hits = sum(f and t for f, t in zip(flagged, truth, strict=True))
    return {
        "flagged": sum(flagged),
        "agreed_by_reader": hits,
        "precision": round(hits / sum(flagged), 3) if any(flagged) else 0.0,
        "recall": round(hits / sum(truth), 3),
    }


def main() -> None:
    """Score the sample once and print the figures at both thresholds."""
    analyzer = Analyzer.load()
    scores = [a.sentiment for a in analyzer.analyze_batch([("", c) for _, c, _ in SAMPLE])]
    report = {
        "sample": len(SAMPLE),
        "real_contradictions": sum(v for _, _, v in SAMPLE),
        "clearly_thresholds": _figures(
            scores, judgement_flags.CLEARLY_NEGATIVE, judgement_flags.CLEARLY_POSITIVE
        ),
        "neutral_band_thresholds": _figures(scores, 0.4, 0.6),
        "model_version": analyzer.model_version,
        "missed": [
            {"judgement": j, "comment": c, "score": round(s, 3)}
            for (j, c, v), s in zip(SAMPLE, scores, strict=True)
            if v and disagreement(j, s) is None
        ],
        "false_flags": [
            {"judgement": j, "comment": c, "score": round(s, 3)}
            for (j, c, v), s in zip(SAMPLE, scores, strict=True)
            if not v and disagreement(j, s) is not None
        ],
    }
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
