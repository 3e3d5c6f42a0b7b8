"""jedi completion over the stub prelude: injected names complete like real ones."""

import pytest

from app.engine.completion import CompletionService, app_cache_dir


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    return CompletionService(tmp_path_factory.mktemp("jedi-cache"), kind_key="login",
                             config_keys=["dsn", "api_key"])


def names(items):
    return [c.name for c in items]


def test_db_completes_connection_methods(service):
    items = service.complete("row = None\ndb.", 2, 3)
    assert {"execute", "begin", "commit", "close"} <= set(names(items))


def test_configuration_completes_the_project_keys(service):
    items = service.complete('value = configuration["', 1, 23)
    assert names(items) == ['"api_key"', '"dsn"']
    assert items[0].prefix_len == 1  # the quote already typed


def test_configure_changes_the_keys(tmp_path):
    svc = CompletionService(tmp_path, kind_key="get_user", config_keys=["one"])
    svc.configure("get_user", ["two"])
    assert names(svc.complete('configuration["', 1, 15)) == ['"two"']


def test_callback_completes_with_the_kinds_contract(service):
    item = next(c for c in service.complete("    call", 1, 8) if c.name == "callback")
    assert "callback(None, profile)" in item.doc
    assert item.signature.startswith("callback(error")


def test_error_classes_complete(service):
    assert names(service.complete("Wrong", 1, 5)) == ["WrongUsernameOrPasswordError"]
    assert "ValidationError" in names(service.complete("Valid", 1, 5))
    assert "UnauthorizedError" in names(service.complete("Unauth", 1, 6))


def test_bcrypt_and_log_complete(service):
    assert {"checkpw", "hashpw", "gensalt"} <= set(names(service.complete("bcrypt.", 1, 7)))
    assert {"info", "warning", "error"} <= set(names(service.complete("log.", 1, 4)))


def test_prelude_helpers_are_hidden(service):
    assert names(service.complete("_cdb", 1, 4)) == []
    assert "Connection" not in names(service.complete("Connection", 1, 10))


def test_user_lines_are_not_shifted_by_the_prelude(service):
    source = "def helper_one():\n    pass\n\nhelper_"
    assert names(service.complete(source, 4, 7)) == ["helper_one"]


def test_signature_help_on_callback(service):
    (sig,) = service.signatures("callback(None, ", 1, 15)
    assert sig.name == "callback" and sig.index == 1
    assert "exactly once" in sig.doc


def test_details_fills_docs_of_items_past_the_eager_ones(service):
    items = service.complete("db.", 1, 3, docs=0)
    i = names(items).index("execute")
    assert items[i].doc == ""
    detailed = service.details(i)
    assert detailed.name == "execute" and "SQL" in detailed.doc and detailed.signature
    assert service.details(len(items) + 5) is None


def test_positions_out_of_range_do_not_raise(service):
    assert service.complete("db.", 40, 99) != []  # clamped to the end of the buffer
    assert service.signatures("", 3, 3) == []


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CUSTOMDB_CACHE_DIR", str(tmp_path))
    assert app_cache_dir() == tmp_path
    assert CompletionService().cache_dir == tmp_path / "jedi"


def test_warm_up_keeps_the_last_list_for_details(service):
    items = service.complete("db.", 1, 3, docs=0)
    service.warm_up()
    assert service.details(names(items).index("execute")).name == "execute"


def test_a_truncated_disk_cache_file_is_a_miss_not_a_broken_completion(tmp_path):
    import parso.cache

    parso.cache.parser_cache.clear()  # other tests parsed these modules already: parse them again
    svc = CompletionService(tmp_path)
    assert "execute" in names(svc.complete("db.", 1, 3))
    pickles = [p for p in tmp_path.rglob("*.pkl")]
    assert pickles, "jedi should have cached the modules it parsed"
    for p in pickles:  # as if a process had been killed while writing each of them
        p.write_bytes(p.read_bytes()[:10])
    parso.cache.parser_cache.clear()  # forget the in-memory copies: the next load reads the disk
    assert "execute" in names(CompletionService(tmp_path).complete("db.", 1, 3))
    assert not any(p.stat().st_size == 10 for p in tmp_path.rglob("*.pkl") if p.exists())


def test_an_unknown_kind_still_completes(service):
    service.configure("logn", ["dsn"])
    try:
        assert names(service.complete('configuration["', 1, 15)) == ['"dsn"']
        assert "callback" in names(service.complete("call", 1, 4))
    finally:
        service.configure("login", ["dsn", "api_key"])


# -- ranking, configuration keys, the injected names' memo (issue 17 item 5) ----------------------------
def test_exe_offers_execute_first(service):
    items = service.complete("def f():\n    db.exe", 2, 10)
    assert names(items)[0] == "execute"
    assert "exec_driver_sql" in names(items)
    assert items[0].prefix_len == 3


def test_names_used_in_the_buffer_rank_first(service):
    source = "def f():\n    db.begin_nested()\n    db.begin_nested()\n    db.be"
    assert names(service.complete(source, 4, 9))[0] == "begin_nested"


def test_configuration_subscript_never_offers_file_names(tmp_path):
    svc = CompletionService(tmp_path, kind_key="login", config_keys=[])
    assert svc.complete('x = configuration["', 1, 19) == []
    assert all(c.type != "path" for c in svc.complete('open("', 1, 6))


def test_configuration_single_quote_and_bare_bracket(service):
    assert names(service.complete("configuration['d", 1, 16)) == ["'dsn'"]
    items = service.complete("configuration[", 1, 14)
    assert names(items) == ['"api_key"', '"dsn"'] and items[0].prefix_len == 0
    assert "configuration" in service.complete("configuration['d", 1, 16)[0].doc


def test_keyword_keys_complete_too(tmp_path):
    svc = CompletionService(tmp_path, kind_key="login", config_keys=["class", "HASH_PEPPER"])
    assert names(svc.complete('configuration["', 1, 15)) == ['"class"', '"HASH_PEPPER"']


def test_a_rebound_injected_name_is_inferred_again(service):
    # `db` bound by the script: the memo of the stub's Connection must not answer
    loop = "def f():\n    for db in ['a']:\n        db."
    assert "upper" in names(service.complete(loop, 3, 11)) and "execute" not in names(service.complete(loop, 3, 11))
    assert "upper" in names(service.complete("def f(db: str):\n    db.", 2, 7))
    assert "execute" not in names(service.complete("x = 'db.", 1, 8))  # inside a string
    assert "execute" not in names(service.complete("other.db.", 1, 9))


def test_memoised_members_keep_their_docs(service):
    items = service.complete("db.exe", 1, 6)
    again = service.complete("db.execute", 1, 10)
    assert items[0].name == again[0].name == "execute"
    assert again[0].doc and again[0].doc == items[0].doc and again[0].signature
