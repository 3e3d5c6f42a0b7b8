"""The flows as data: the right scripts in the right order per mode, inputs that fit the scripts."""

from __future__ import annotations

import pytest

from app.domain.flows import FLOWS, INPUT_KEYS, check_input, flow, flow_names, mask_input
from app.domain.scripts import Mode, kind

FLOW_PARAMS_FROM_PLATFORM = {"verified"}  # change_email's flag comes from the platform, not the input


def test_legacy_mode_has_every_flow_and_migration_mode_has_no_verify():
    assert flow_names("legacy") == ["login", "signup", "reset-password", "verify", "delete", "change-email"]
    assert flow_names("migration") == ["login", "signup", "reset-password", "delete", "change-email",
                                       "identifier-first", "management-lookup"]


@pytest.mark.parametrize(("name", "scripts"), [
    ("login", ("login",)),
    ("signup", ("get_user", "create", "login")),
    ("reset-password", ("get_user", "change_password")),
    ("verify", ("verify",)),
    ("delete", ("delete",)),
    ("change-email", ("get_user", "change_email")),
])
def test_legacy_flows_run_the_scripts_in_the_documented_order(name, scripts):
    assert flow("legacy", name).scripts == scripts


def test_migration_flows_use_login_and_get_user_and_start_at_the_managed_store():
    for (mode, _name), f in FLOWS.items():
        if mode is Mode.MIGRATION:
            assert set(f.scripts) - set(f.optional) <= {"login", "get_user"}
            assert f.steps[0].actor == "managed_store"
    assert flow("migration", "delete").scripts == ()
    assert flow("migration", "login").scripts == ("login",)
    # the reset's Change Password runs when the project has one; the lookups run Get User only
    assert flow("migration", "reset-password").optional == ("change_password",)
    for name in ("signup", "change-email", "identifier-first", "management-lookup"):
        assert flow("migration", name).scripts == ("get_user",)
    assert dict(flow("migration", "change-email").input_for("get_user")) == {"email": "new_email"}


def test_every_script_step_feeds_exactly_the_scripts_parameters_from_flow_inputs():
    for f in FLOWS.values():
        for step in f.steps:
            assert step.actor in ("platform", "managed_store", "script")
            if step.script is None:
                continue
            mapping = dict(step.inputs)
            assert set(mapping) == set(kind(step.script).params), (f.name, step.script)
            sources = set(mapping.values()) - FLOW_PARAMS_FROM_PLATFORM
            assert sources <= set(INPUT_KEYS), (f.name, step.script)


def test_flows_carry_the_hosted_log_events():
    assert (flow("legacy", "login").success_event, flow("legacy", "signup").success_event) == ("s", "ss")
    assert flow("migration", "signup").failure_event == "fs"
    assert flow("legacy", "reset-password").input_for("change_password") == {
        "email": "email", "new_password": "new_password"}


def test_unknown_flow_names_the_valid_ones():
    with pytest.raises(KeyError, match="choose one of login, signup"):
        flow("migration", "verify")


def test_passwords_are_masked_also_inside_the_user_object():
    masked = mask_input({"email": "a@b.c", "password": "pw", "user": {"password": "x", "nickname": "n"},
                         "new_password": "np"})
    assert masked == {"email": "a@b.c", "password": "****", "user": {"password": "****", "nickname": "n"},
                      "new_password": "****"}


@pytest.mark.parametrize(("data", "message"), [
    ([], "must be a JSON object"),
    ({"emial": "x"}, "unknown input key 'emial'"),
    ({"email": 3}, "'email' must be a string"),
    ({"user": [1]}, "'user' must be"),
])
def test_bad_input_gets_a_clear_message(data, message):
    with pytest.raises(ValueError, match=message):
        check_input(data)
