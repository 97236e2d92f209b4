"""The test command's own set-up (tools/devenv.py), where it can lose a user's work."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))

import devenv


def test_an_odoo_python_inside_the_managed_venv_is_refused_before_anything_is_deleted(
    tmp_path, monkeypatch
):
    """ODOO_PYTHON naming .venv-odoo's own interpreter used to delete that venv (it was made
    from another Python) and then fail to rebuild it from the interpreter just deleted."""
    venv = tmp_path / ".venv-odoo"
    (venv / "bin").mkdir(parents=True)
    (venv / ".odoo-python").write_text("/opt/odoo/venv/bin/python")
    monkeypatch.setattr(devenv, "ODOO_VENV", venv)
    odoo = devenv.OdooInfo(str(venv / "bin" / "python"), "18.0", tmp_path, [])
    with pytest.raises(SystemExit, match=r"ODOO_PYTHON=.* is inside \.venv-odoo"):
        devenv.ensure_odoo_venv(odoo)
    assert (venv / ".odoo-python").read_text() == "/opt/odoo/venv/bin/python"
