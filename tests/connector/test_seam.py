"""The seam: no MWS name outside the MWS implementation and its parsers.

Model code (and every other module of the addons) speaks the connector's capabilities
(``lib/api.py``); MWS operation names, ``x-mws-*`` headers, ``_..._`` report, feed and
processing status names, the MWS transport and python-amazon-mws belong to ``lib/mws_api.py``
and the modules it drives. Checked on the code (string literals and names), not on prose:
comments and docstrings may still explain what Amazon does.
"""

import ast
import re
from pathlib import Path

from amazon_integration.lib.mws_api import MWS_QUOTAS, OPERATIONS

ROOT = Path(__file__).resolve().parents[2]
ADDONS = ("amazon_integration", "integrator_base")
#: the MWS implementation, its HTTP adapter, and the parsers/builders of MWS documents
MWS_MODULES = {
    "amazon_integration/lib/mws_api.py",
    "amazon_integration/lib/transport.py",
    "amazon_integration/lib/responses.py",
    "amazon_integration/lib/orders.py",
    "amazon_integration/lib/reports.py",
    "amazon_integration/lib/processing_report.py",
    "amazon_integration/lib/feeds.py",
    "amazon_integration/lib/apis.py",  # the list of implementations names each
}
SKIPPED_PARTS = ("tests", "migrations")

OPERATION_NAMES = set(OPERATIONS.values()) | set(MWS_QUOTAS.limits) | set(MWS_QUOTAS.shared)
TYPE_NAME = re.compile(r"^_[A-Z][A-Z0-9_]*_$")  # _GET_..._DATA_, _DONE_, _SUBMITTED_ ...
IDENTIFIERS = re.compile(r"\b(MwsTransport|MwsCallError|MwsReply|MwsApi|MWS_QUOTAS)\b")


def _docstrings(tree):
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = getattr(node, "body", [])
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def mws_names_in(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    docstrings = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) in docstrings:
                continue
            text = node.value
            if text in OPERATION_NAMES or TYPE_NAME.match(text) or "x-mws" in text.lower():
                found.append(f"{where}: {text!r}")
        elif isinstance(node, (ast.Name, ast.Attribute, ast.alias)):
            name = getattr(node, "id", None) or getattr(node, "attr", None) or node.name
            if IDENTIFIERS.search(name or "") or name == "mws":
                found.append(f"{where}: {name}")
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module
            and re.search(r"(^|\.)(mws|mws_api|transport)$", node.module)
        ):
            found.append(f"{where}: from {node.module} import …")
    return found


def addon_modules():
    for addon in ADDONS:
        for path in sorted((ROOT / addon).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel in MWS_MODULES or any(part in SKIPPED_PARTS for part in path.parts):
                continue
            yield path


def test_the_grep_finds_what_it_looks_for(tmp_path):
    sample = ROOT / "amazon_integration" / "_seam_sample.py"
    sample.write_text(
        'from .lib.transport import MwsCallError\nX = "ListOrders"\nY = "_DONE_"\n'
        'def f():\n    """ListOrders in prose is fine."""\n    return "x-mws-timestamp"\n'
    )
    try:
        found = mws_names_in(sample)
    finally:
        sample.unlink()
    assert len(found) == 5, found  # the import, its name, two literals, the header


def test_no_mws_name_outside_the_mws_implementation():
    modules = list(addon_modules())
    assert any(p.name == "amazon_order_import.py" for p in modules)
    found = [hit for path in modules for hit in mws_names_in(path)]
    assert found == [], "\n".join(found)
