"""The committed templates (resources/templates) are exactly what tools/templates renders, and the
generator catches a hand edit, a missing file and a stray copy; a second language plugs in with a
folder of its own."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_generator():
    spec = importlib.util.spec_from_file_location("template_generator", ROOT / "tools/templates/generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


gen = _load_generator()


def test_committed_templates_equal_the_generated_ones():
    assert gen.differences() == [], "run `make templates` after editing tools/templates/"


def test_every_python_template_of_every_dialect_is_generated():
    rendered = gen.render_language("python")
    for dialect in ("sqlite", "postgresql", "mysql", "mssql"):
        assert f"{dialect}/migration/login.py" in rendered
        assert f"{dialect}/legacy/change_email.py" in rendered
    assert len(rendered) == 4 * 10  # 7 legacy + 3 migration scripts per dialect


def test_the_dialect_differences_come_from_the_data():
    rendered = gen.render_language("python")
    assert "ORDER BY id LIMIT 1" in rendered["sqlite/migration/login.py"]
    assert "SELECT TOP 1 id" in rendered["mssql/migration/login.py"]
    assert "LIMIT" not in rendered["mssql/migration/login.py"]
    assert "migrated = true" in rendered["postgresql/migration/login.py"]
    assert "WHERE email = :email" in rendered["mysql/legacy/login.py"]
    assert "_ci collations" in rendered["mysql/legacy/login.py"]
    assert "collations" not in rendered["sqlite/legacy/login.py"]


def _copy_output(tmp_path: Path) -> Path:
    output = tmp_path / "templates"
    shutil.copytree(gen.OUTPUT, output)
    return output


def test_check_names_a_hand_edit_a_missing_file_and_a_stray_copy(tmp_path):
    output = _copy_output(tmp_path)
    edited = output / "mysql/legacy/verify.py"
    edited.write_text(edited.read_text() + "# fixed here only\n")
    (output / "sqlite/legacy/delete.py").unlink()
    (output / "postgresql/migration/create.py").write_text("def create(user, callback): ...\n")
    problems = gen.differences(gen.SOURCES, output)
    assert any(p.startswith("mysql/legacy/verify.py: differs") for p in problems)
    assert "sqlite/legacy/delete.py: missing" in problems
    assert any(p.startswith("postgresql/migration/create.py: not generated") for p in problems)
    assert len(problems) == 3


def test_write_all_restores_exactly_what_check_wants(tmp_path):
    output = _copy_output(tmp_path)
    (output / "sqlite/legacy/delete.py").unlink()
    (output / "mssql/migration/get_user.py").write_text("stale\n")
    written = gen.write_all(gen.SOURCES, output)
    assert sorted(written) == ["mssql/migration/get_user.py", "sqlite/legacy/delete.py"]
    assert gen.differences(gen.SOURCES, output) == []


def _second_language(tmp_path: Path) -> Path:
    sources = tmp_path / "sources"
    sources.mkdir()
    shutil.copy(gen.SOURCES / "dialects.toml", sources)
    lang = sources / "javascript"
    (lang / "migration").mkdir(parents=True)
    (lang / "language.toml").write_text(
        'output = "javascript/{dialect}/{mode}/{name}"\n'
        '[dialects.postgresql]\nparam = "$1"\n[dialects.sqlite]\nparam = "?"\n'
        '[dialects.mysql]\nparam = "?"\n[dialects.mssql]\nparam = "@email"\n'
    )
    (lang / "_header.js.j2").write_text("// {{ key }} ({{ title }})\n")
    (lang / "migration/get_user.js.j2").write_text(
        '{% include "_header.js.j2" %}\n'
        "const sql = 'SELECT {{ top1 }}id FROM users WHERE {{ email_eq | format(param) }}{{ limit1 }}';\n"
    )
    return sources


def test_a_second_language_uses_the_same_dialect_data_with_its_own_additions(tmp_path):
    sources = _second_language(tmp_path)
    assert gen.languages(sources) == ["javascript"]
    rendered = gen.render_language("javascript", sources)
    assert sorted(rendered) == [f"javascript/{d}/migration/get_user.js" for d in
                                ("mssql", "mysql", "postgresql", "sqlite")]
    assert rendered["javascript/postgresql/migration/get_user.js"] == (
        "// get_user (PostgreSQL)\nconst sql = 'SELECT id FROM users WHERE lower(email) = lower($1) LIMIT 1';\n"
    )
    assert "SELECT TOP 1 id FROM users WHERE email = @email'" in rendered["javascript/mssql/migration/get_user.js"]


def test_a_name_the_data_lacks_fails_instead_of_rendering_empty(tmp_path):
    sources = _second_language(tmp_path)
    (sources / "javascript/migration/get_user.js.j2").write_text("{{ no_such_name }}\n")
    with pytest.raises(Exception, match="no_such_name"):
        gen.render_language("javascript", sources)
