"""axe-core, as Deque ships it (bundled by axe-playwright-python), run in a
page of the browser stories: the serious and critical findings, in words."""

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

BLOCKING = ("serious", "critical")  # what fails the suite
AXE = Axe()


def blocking_violations(page: Page) -> list[str]:
    """Each serious or critical violation on the page as it is now: its rule,
    the element (a CSS selector axe gives) and what the rule asks for."""
    page.wait_for_load_state("load")
    found = AXE.run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}) at {', '.join(map(str, node['target']))}: "
        f"{v['help']}. {_summary(node)}"
        for v in found
        if v["impact"] in BLOCKING
        for node in v["nodes"]
    ]


def _summary(node: dict) -> str:
    """The last line of axe's summary: the concrete failure (say, the two
    colours and their ratio)."""
    lines = (node.get("failureSummary") or "").strip().splitlines()
    return lines[-1].strip() if lines else ""


def assert_accessible(page: Page) -> None:
    """Fail listing every serious or critical violation on the page."""
    found = blocking_violations(page)
    assert not found, f"{page.url}: {len(found)} serious or critical:\n" + "\n".join(
        found
    )
