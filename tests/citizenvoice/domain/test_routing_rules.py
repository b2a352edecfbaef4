"""When the classifier may route a 不确定 case by itself."""

import pytest

from citizenvoice.domain.analysis import DEFAULT_ROUTING_MIN_CONFIDENCE, Routing, decide_routing


@pytest.mark.parametrize(
    ("category", "confidence", "uncertain", "has_route", "expected"),
    [
        ("城乡建设", 0.97, False, True, Routing.CLASSIFIER),
        ("城乡建设", DEFAULT_ROUTING_MIN_CONFIDENCE, False, True, Routing.CLASSIFIER),
        ("城乡建设", DEFAULT_ROUTING_MIN_CONFIDENCE - 0.01, False, True, Routing.OFFICE_NEEDED),
        ("城乡建设", 0.97, True, True, Routing.OFFICE_NEEDED),
        ("城乡建设", 0.97, False, False, Routing.OFFICE_NEEDED),
        (None, None, True, False, Routing.OFFICE_NEEDED),
    ],
)
def test_routing_needs_a_confident_certain_prediction_with_a_route(
    category, confidence, uncertain, has_route, expected
):
    assert decide_routing(category, confidence, uncertain, has_route).routing is expected
