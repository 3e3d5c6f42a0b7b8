"""The stub prelude: valid Python that binds exactly what the runtime injects, with each kind's contract."""

import ast

import pytest

from app.domain.platforms import AUTH0
from app.runtime.api import INJECTED_NAMES
from app.runtime.completion_stub import HIDDEN_PREFIX, build_prelude, callback_doc


def _bound_names(source: str) -> set[str]:
    names = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.AnnAssign | ast.Assign):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


@pytest.mark.parametrize("key", [None, *AUTH0.kinds])
def test_prelude_binds_every_injected_name_and_callback(key):
    prelude = build_prelude(key, ["dsn", "api_key"])
    public = {n for n in _bound_names(prelude.text) if not n.startswith(HIDDEN_PREFIX)}
    assert public == {*INJECTED_NAMES, "callback"}
    assert prelude.line_count == prelude.text.count("\n")
    compile(prelude.text, "<prelude>", "exec")


def test_configuration_keys_become_typed_dict_fields_and_keywords_are_skipped():
    text = build_prelude("login", ["dsn", "class", "api_key"]).text
    cls = next(n for n in ast.parse(text).body
               if isinstance(n, ast.ClassDef) and n.name.endswith("Configuration"))
    assert [f.target.id for f in cls.body if isinstance(f, ast.AnnAssign)] == ["api_key", "dsn"]


def test_callback_doc_states_the_kinds_contract():
    assert "callback(None, profile)" in callback_doc("login")
    assert "WrongUsernameOrPasswordError" in callback_doc("login")
    assert "user_exists" in callback_doc("create")
    assert "callback(None) when the user does not exist" in callback_doc("get_user")
    assert "last_password_reset" in callback_doc("change_password")
    assert "exactly once" in callback_doc("delete")


def test_callback_of_create_takes_no_result():
    tree = ast.parse(build_prelude("create").text)
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "callback")
    assert [a.arg for a in fn.args.args] == ["error"]


def test_unknown_kind_names_the_valid_ones():
    with pytest.raises(KeyError, match="get_user"):
        build_prelude("logn")


def test_same_arguments_reuse_the_prelude():
    assert build_prelude("login", ["b", "a"]) is build_prelude("login", ["a", "b"])


def test_a_subset_binds_only_those_names_and_no_callback():
    prelude = build_prelude(names=["db", "log", "WrongUsernameOrPasswordError", "no_such_name"], callback=False)
    public = {n for n in _bound_names(prelude.text) if not n.startswith(HIDDEN_PREFIX)}
    assert public == {"db", "log", "WrongUsernameOrPasswordError"}
    assert "Configuration" not in prelude.text and "sqlalchemy.engine" in prelude.text
    compile(prelude.text, "<prelude>", "exec")
    assert build_prelude(names=["log", "db"], callback=False) is build_prelude(names=("db", "log"), callback=False)


def test_an_empty_subset_is_still_valid_python():
    prelude = build_prelude(names=(), callback=False)
    assert {n for n in _bound_names(prelude.text) if not n.startswith(HIDDEN_PREFIX)} == set()
    compile(prelude.text, "<prelude>", "exec")
