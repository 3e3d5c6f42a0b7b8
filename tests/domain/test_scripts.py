from app.domain.scripts import SCRIPT_KINDS, Mode, kind, kind_for_function_name, kinds_for_mode


def test_python_signatures_match_the_hosted_argument_order():
    assert kind("login").python_signature() == ("email", "password", "callback")
    assert kind("change_email").python_signature() == ("email", "new_email", "verified", "callback")
    assert kind("delete").python_signature(context=True) == ("user_id", "context", "callback")
    assert kind("change_password").js_signature() == ("email", "newPassword", "callback")


def test_recommended_names_for_both_languages():
    assert {k.key: k.js_name for k in SCRIPT_KINDS.values()} == {
        "login": "login", "get_user": "getUser", "create": "create", "verify": "verify",
        "change_password": "changePassword", "delete": "deleteUser", "change_email": "changeEmail",
    }
    assert kind("delete").python_name == "delete_user"


def test_migration_mode_uses_only_login_and_get_user_both_required():
    assert [k.key for k in kinds_for_mode(Mode.MIGRATION)] == ["login", "get_user"]
    assert all(k.required("migration") for k in kinds_for_mode("migration"))
    assert len(kinds_for_mode("legacy")) == 7
    assert not kind("verify").required("legacy")


def test_aliases_from_default_templates_map_to_their_script():
    assert kind_for_function_name("getByEmail").key == "get_user"
    assert kind_for_function_name("loginByEmail").key == "login"
    assert kind_for_function_name("remove").key == "delete"
    assert kind_for_function_name("loginByUsername").key == "login"
    assert kind_for_function_name("changePassword").key == "change_password"
    assert kind_for_function_name("helper") is None


def test_unknown_key_names_the_valid_ones():
    try:
        kind("logon")
    except KeyError as e:
        assert "get_user" in str(e)
    else:
        raise AssertionError("expected KeyError")
