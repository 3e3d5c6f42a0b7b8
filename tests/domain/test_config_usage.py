"""Which configuration keys a script reads (issue 17 item 3: ask only for the secrets it needs)."""

from app.domain.config_usage import configuration_keys_read, keys_read_by_any


def test_subscripts_get_and_in_are_reads():
    source = '''
def login(email, password, callback):
    pepper = configuration["PEPPER"]
    url = configuration.get('API_URL', "x")
    if "FLAG" in configuration and "OTHER" not in configuration:
        pass
'''
    assert configuration_keys_read(source) == {"PEPPER", "API_URL", "FLAG", "OTHER"}


def test_no_use_reads_nothing():
    assert configuration_keys_read("def login(email, password, callback):\n    pass\n") == frozenset()


def test_any_other_use_may_read_every_key():
    for body in ("configuration[name]", "helper(configuration)", "for k in configuration: pass",
                 "configuration.get(key)", "dict(**configuration)"):
        assert configuration_keys_read(f"def f(key, name):\n    {body}\n") is None, body


def test_a_file_that_does_not_parse_may_read_every_key():
    assert configuration_keys_read("def login(:\n") is None


def test_union_and_none_wins():
    assert keys_read_by_any(['configuration["A"]', 'configuration["B"]']) == {"A", "B"}
    assert keys_read_by_any(['configuration["A"]', "configuration[x]"]) is None
