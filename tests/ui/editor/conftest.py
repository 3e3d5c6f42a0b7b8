"""Editor tests share one completion engine whose jedi cache lives in a temporary folder."""

import pytest

from app.engine.completion import CompletionService
from app.ui.editor.completion import CompletionEngine


@pytest.fixture(scope="session")
def completion_engine(tmp_path_factory):
    engine = CompletionEngine(CompletionService(tmp_path_factory.mktemp("jedi")))
    previous = CompletionEngine._shared.get("jedi")
    CompletionEngine._shared["jedi"] = engine
    yield engine
    engine.stop()
    if previous is None:
        CompletionEngine._shared.pop("jedi", None)
    else:
        CompletionEngine._shared["jedi"] = previous


@pytest.fixture
def editor(qtbot):
    from app.ui.editor import CodeEditor

    ed = CodeEditor(completion=False, theme_name="light")
    qtbot.addWidget(ed)
    ed.resize(800, 500)
    ed.show()
    qtbot.waitExposed(ed)
    return ed
