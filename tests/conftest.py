"""Repository-level test setup (no Odoo needed).

The addons' pure-Python helpers live inside the addons (``amazon_integration/lib``) so that
Odoo loads them as ``odoo.addons.amazon_integration.lib``. Importing the addon package itself
would import Odoo, so here the addon folders are registered as bare namespace-like packages:
``import amazon_integration.lib.feeds`` then loads only the pure module.
"""

import os
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

for _addon in ("amazon_integration", "integrator_base"):
    if _addon not in sys.modules:
        _pkg = types.ModuleType(_addon)
        _pkg.__path__ = [str(ROOT / _addon)]
        sys.modules[_addon] = _pkg


def xsd_dir() -> Path:
    """Amazon's feed XSDs: $AMAZON_XSD_DIR, else ../shared/amazon/xsd beside the repository."""
    return Path(os.environ.get("AMAZON_XSD_DIR") or ROOT.parent / "shared" / "amazon" / "xsd")


def samples_dir() -> Path:
    """Amazon's documented response samples, beside the XSDs."""
    return xsd_dir().parent / "samples"


@pytest.fixture(scope="session")
def amazon_xsd_dir() -> Path:
    path = xsd_dir()
    if not (path / "amzn-envelope.xsd").exists():
        pytest.skip(f"Amazon XSDs not found at {path} (set AMAZON_XSD_DIR)")
    return path


@pytest.fixture(scope="session")
def amazon_samples_dir() -> Path:
    path = samples_dir()
    if not path.is_dir():
        pytest.skip(f"Amazon response samples not found at {path}")
    return path
