"""PySide6 asks of every imported module whether its source mentions "PySide6"; our cheaper answer
(app/ui/pyside_hook.py) must be the same answer."""

from __future__ import annotations

import importlib
import sys

import pytest

from app.ui import pyside_hook


@pytest.fixture
def feature():
    import PySide6.QtCore  # noqa: F401 - loads shibokensupport.feature

    module = sys.modules.get("shibokensupport.feature")
    if module is None or not hasattr(module, "_mod_uses_pyside"):
        pytest.skip("this PySide6 has no per-module feature check")
    pyside_hook.install()
    return module


@pytest.mark.parametrize("name", ["app.ui.main_window", "app.ui.editor.gutter", "app.domain.project", "json",
                                  "sys", "pygments.lexer", "tests.ui.test_pyside_hook"])
def test_the_byte_search_answers_as_pyside6_does(feature, name):
    module = importlib.import_module(name)
    check = feature._mod_uses_pyside
    assert check.byte_search
    assert check(module) == check.original(module)


def test_installing_twice_keeps_one_wrapper(feature):
    first = feature._mod_uses_pyside
    assert pyside_hook.install() is False
    assert feature._mod_uses_pyside is first


def test_a_module_whose_file_is_gone_gets_pyside6s_own_answer(feature, tmp_path):
    import types

    ghost = types.ModuleType("ghost")
    ghost.__file__ = str(tmp_path / "ghost.py")  # never written: open() fails, PySide6's check decides
    assert feature._mod_uses_pyside(ghost) is False
