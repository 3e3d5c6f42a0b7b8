"""Linting a 100 kB script vs `ast.parse` of the same text (the floor: lint must parse it anyway).

Target: lint <= 3x parse, so checking on every keystroke pause stays cheap even at the hosted limit.
"""

from __future__ import annotations

import ast

from app.domain.lint import MAX_SCRIPT_BYTES, lint_source
from app.domain.templates import template_source
from tests.benchmarks import measure, report

_HELPER = '''

def helper_{i}(email, rows, callback):
    """Helper {i}: realistic mix of SQL, f-strings, dicts, comparisons and calls."""
    query = text("SELECT id, email, nickname FROM users WHERE lower(email) = lower(:email) LIMIT {i}")
    result = db.execute(query, {{"email": email, "limit": {i}}}).fetchall()
    log.info(f"helper {i}: {{len(result)}} rows for {{email}}")
    settings = {{"timeout": configuration.get("TIMEOUT_{i}", "5"), "label": "step-{i}"}}
    for row in result:
        if row.nickname == "user-{i}" or row.id > {i}:
            rows.append({{"user_id": f"legacy|{{row.id}}", "email": row.email, **settings}})
    return callback(None, rows) if rows else callback(None)
'''


def script_of_100kb() -> str:
    source = template_source("sqlite", "legacy", "login")
    i = 0
    while True:
        chunk = _HELPER.format(i=i)
        if len((source + chunk).encode()) > MAX_SCRIPT_BYTES:
            return source
        source += chunk
        i += 1


def main() -> None:
    source = script_of_100kb()
    assert lint_source("login", source) == [], "the benchmark script must be clean (no early exits)"
    kib = len(source.encode()) / 1024
    parse = measure(lambda: ast.parse(source), repeat=9)
    lint = measure(lambda: lint_source("login", source), repeat=9)
    report(f"lint_source of a {kib:.0f} kB script", lint, parse, 3.0, baseline_name="ast.parse")


if __name__ == "__main__":
    main()
