from app.domain.platforms import AUTH0, get_platform
from app.domain.scripts import Mode, kind

kind_for_function_name = AUTH0.kind_for_function_name
kinds_for_mode = AUTH0.kinds_for_mode


def test_python_signatures_match_the_hosted_argument_order():
    assert kind("login").python_signature() == ("email", "password", "callback")
    assert kind("change_email").python_signature() == ("email", "new_email", "verified", "callback")
    assert kind("delete").python_signature(context=True) == ("user_id", "context", "callback")
    assert kind("change_password").js_signature() == ("email", "newPassword", "callback")


def test_recommended_names_for_both_languages():
    assert {k.key: k.js_name for k in AUTH0.kinds.values()} == {
        "login": "login", "get_user": "getUser", "create": "create", "verify": "verify",
        "change_password": "changePassword", "delete": "deleteUser", "change_email": "changeEmail",
    }
    assert kind("delete").python_name == "delete_user"


def test_migration_mode_requires_login_and_get_user_and_may_have_change_password():
    # Change Password: the platform calls it on the password reset of a user not yet migrated
    assert [k.key for k in kinds_for_mode(Mode.MIGRATION)] == ["login", "get_user", "change_password"]
    assert [k.key for k in kinds_for_mode("migration") if k.required("migration")] == ["login", "get_user"]
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


def test_the_platform_kinds_are_the_ones_kind_answers_for_code_without_a_project():
    assert AUTH0.order == ("login", "get_user", "create", "verify", "change_password", "delete", "change_email")
    assert all(kind(key) is AUTH0.kind(key) for key in AUTH0.order)
    assert get_platform("auth0") is AUTH0


def test_unknown_platform_is_one_line_naming_the_known_ones():
    try:
        get_platform("okta")
    except ValueError as e:
        assert str(e) == "unknown platform 'okta'; expected one of auth0"
    else:
        raise AssertionError("expected ValueError")


def test_hosted_limits_messages_and_log_events():
    from app.runtime.protocol import TIMEOUT_MESSAGE

    assert AUTH0.limits.timeout_s == 20.0
    assert AUTH0.limits.max_script_bytes == 100 * 1024
    assert AUTH0.limits.timeout_message == TIMEOUT_MESSAGE  # what the runner answers at the limit
    assert dict(AUTH0.log_events) == {"s": "Success Login", "fp": "Failed Login (wrong password)",
                                      "fu": "Failed Login (unknown user)", "ss": "Success Signup",
                                      "fs": "Failed Signup"}
    assert set(AUTH0.error_classes) <= set(AUTH0.injected_names)
    assert AUTH0.modes == (Mode.LEGACY, Mode.MIGRATION)


def test_platform_names_the_domain_judges():
    from app.domain.outcome import Answer

    assert AUTH0.classify("login", Answer(result={"user_id": "1"})).outcome == "ok"
    assert [f.code for f in AUTH0.check_profile({"email": "a@b.c"}, "login")] == ["missing-user-id"]
    assert AUTH0.flow_names("migration") and AUTH0.flow("legacy", AUTH0.flow_names("legacy")[0])
