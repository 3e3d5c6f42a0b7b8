"""Every committed JavaScript template (resources/templates/javascript/…, and the sample project's)
lints without an error: what the IDE hands a user must pass its own checks."""

from pathlib import Path

import pytest

from app.domain.findings import Severity
from app.domain.js.lint import lint_source
from app.domain.platforms import AUTH0

RESOURCES = Path(__file__).parents[3] / "resources"
TEMPLATES = sorted(p for p in RESOURCES.rglob("*.js")
                   if p.stem in AUTH0.kinds and "node_modules" not in p.parts)


def _mode(path: Path) -> str:
    return "migration" if "migration" in path.parts else "legacy"


@pytest.mark.parametrize("path", TEMPLATES, ids=[str(p.relative_to(RESOURCES)) for p in TEMPLATES])
def test_every_javascript_template_lints_without_errors(path):
    findings = lint_source(path.stem, path.read_text(encoding="utf-8"), mode=_mode(path))
    errors = [f"{f.line}: [{f.code}] {f.message}" for f in findings if f.severity is Severity.ERROR]
    assert errors == []
    # the templates show the recommended form: a named entry, connections closed
    assert not {f.code for f in findings} & {"anonymous-entry", "non-recommended-name", "connection-left-open"}
