"""axe-core in the test browser (importable as ``e2e.accessibility``).

axe.min.js comes from npm (tests/e2e/axe, pinned by its package-lock.json, installed by
``make install-test``); it is injected into the page through WebDriver, which the page's
Content-Security-Policy does not govern, so the product needs no exception for it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

__all__ = ["AXE_TAGS", "FAILING_IMPACTS", "axe_violations", "describe"]

AXE_SOURCE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]  # WCAG 2.1 level AA
FAILING_IMPACTS = {"serious", "critical"}


@cache
def _axe_source() -> str:
    if not AXE_SOURCE.exists():
        pytest.fail(f"axe-core is not installed ({AXE_SOURCE}): run make install-test")
    return AXE_SOURCE.read_text(encoding="utf-8")


def axe_violations(driver: WebDriver) -> list[dict]:
    """Run axe on the page in ``driver``; the serious and critical WCAG 2.1 AA violations."""
    if not driver.execute_script("return typeof window.axe === 'object'"):
        driver.execute_script(_axe_source())
    driver.set_script_timeout(60)
    result = driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: "
        "['violations']}).then(function (r) { done(r.violations); },"
        " function (e) { done([{id: 'axe-error', impact: 'critical', help: String(e),"
        " nodes: []}]); });",
        AXE_TAGS,
    )
    return [v for v in result if v.get("impact") in FAILING_IMPACTS]


def describe(page: str, violations: list[dict]) -> list[str]:
    """One readable line per violation and element: page, rule, impact, help, selector."""
    lines = []
    for violation in violations:
        nodes = violation.get("nodes") or [{}]
        for node in nodes[:5]:
            target = " ".join(str(t) for t in node.get("target", []))
            summary = (node.get("failureSummary") or "").replace("\n", " ")[:200]
            lines.append(
                f"{page}: {violation['id']} ({violation.get('impact')}) {violation.get('help')}"
                f" at {target}: {summary}"
            )
    return lines
