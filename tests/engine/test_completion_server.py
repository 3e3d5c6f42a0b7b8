"""jedi in a child process: the JSON-lines protocol, and a client that survives its child dying."""

import io
import json

import pytest

from app.engine.completion import CompletionService
from app.engine.completion_server import CompletionChildError, CompletionClient, serve


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("jedi")


def run(service, *messages):
    requests = io.StringIO("".join((m if isinstance(m, str) else json.dumps(m)) + "\n" for m in messages))
    replies = io.StringIO()
    serve(requests, replies, service, idle_s=0.01)
    return [json.loads(line) for line in replies.getvalue().splitlines()]


def test_serve_answers_each_request_in_order(cache):
    replies = run(CompletionService(cache),
                  {"id": 1, "op": "ping"},
                  {"id": 2, "op": "complete", "source": "call", "line": 1, "col": 4, "kind_key": "login",
                   "config_keys": []},
                  {"id": 3, "op": "signatures", "source": "callback(", "line": 1, "col": 9, "kind_key": "create"},
                  {"id": 4, "op": "details", "index": 0})
    assert [r["id"] for r in replies] == [1, 2, 3, 4]
    assert replies[0]["result"] == "pong"
    assert [c["name"] for c in replies[1]["result"]] == ["callable", "callback"]
    assert replies[2]["result"][0]["params"] == ["error: BaseException | None=None"]  # Create: no result
    assert replies[3]["result"]["name"] == "callable"


def test_bad_requests_get_an_error_and_the_loop_goes_on(cache):
    replies = run(CompletionService(cache), "not json", {"id": 5, "op": "explode"}, {"id": 6, "op": "ping"})
    assert "JSONDecodeError" in replies[0]["error"]
    assert "unknown request 'explode'" in replies[1]["error"]
    assert replies[2] == {"id": 6, "result": "pong"}


def test_client_completes_through_a_child_and_restarts_it_when_it_dies(cache):
    client = CompletionClient(cache, kind_key="login", config_keys=["dsn"])
    try:
        names = [c.name for c in client.complete('configuration["', 1, 15)]
        assert names == ['"dsn"']
        first = client.pid
        client._proc.kill()
        client._proc.wait()
        client.ping()  # a new child
        assert client.pid not in (None, first)
        (sig,) = client.signatures("callback(None, ", 1, 15)
        assert sig.index == 1 and isinstance(sig.params, tuple)
    finally:
        client.close()
    assert client.pid is None


def test_client_reports_a_child_that_cannot_start(cache, monkeypatch):
    import app.engine.completion_server as server

    monkeypatch.setattr(server, "_child_command", lambda _: ["/nonexistent/python"])
    with pytest.raises(CompletionChildError, match="cannot start"):
        CompletionClient(cache).ping()
