"""JavaScript completion from TypeScript's language server, through the editor's service: the first
completion asked one second after a JavaScript project opens (the IDE starts the server in the
background when it opens) within 1 s, the same with no warm-up at all (a cold server, for the
record), and `configuration.` warm (a keystroke changed the document each time) p50 <= 50 ms,
p95 <= 100 ms."""

from __future__ import annotations

import statistics
import tempfile
import threading
import time

from tests.benchmarks import report

SOURCE = """function login(email, password, callback) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: configuration.DB_URL });
  client.connect();
  client.query('SELECT id, email, password_hash FROM users WHERE email = $1', [email], (err, res) => {
    client.end();
    if (err) return callback(err);
    const n = 0;
    configuration.
  });
}
"""
LINE = 9
COLUMN = len("    configuration.")


def main() -> None:
    from app.engine.js_completion import TypeScriptService
    from app.engine.js_tools import tsc_path

    if tsc_path() is None:
        print("skipped: TypeScript's language server is not installed (make)")
        return
    keys = ["DB_URL", "BCRYPT_ROUNDS", "API_KEY", "PEPPER"]
    firsts, colds = [], []
    for _ in range(3):  # a new server each time: what opening a JavaScript project costs
        with tempfile.TemporaryDirectory() as ws:
            service = TypeScriptService(workspace=ws)
            service.configure("login", keys)
            t0 = time.perf_counter()
            items = service.complete(SOURCE, LINE, COLUMN)
            colds.append(time.perf_counter() - t0)
            service.close()
        with tempfile.TemporaryDirectory() as ws:
            service = TypeScriptService(workspace=ws)
            service.configure("login", keys)
            threading.Thread(target=service.warm_up, daemon=True).start()  # what opening the project does
            time.sleep(1.0)
            t0 = time.perf_counter()
            items = service.complete(SOURCE, LINE, COLUMN)
            firsts.append(time.perf_counter() - t0)
            assert [c.name for c in items] == sorted(keys), items
            warm = []
            for n in range(60):  # each request follows an edit, as typing does
                text = SOURCE.replace("const n = 0;", f"const n = {n};")
                t0 = time.perf_counter()
                service.complete(text, LINE, COLUMN)
                warm.append(time.perf_counter() - t0)
            service.close()
    first = statistics.median(firsts)
    warm.sort()
    p50, p95 = warm[len(warm) // 2], warm[int(len(warm) * 0.95)]
    report("JS first completion, asked 1 s after a project opens", first, 1.0, 1.0, baseline_name="budget")
    report("JS first completion with no warm-up (server start included)", statistics.median(colds), 1.0,
           baseline_name="1 s budget (for the record)")
    report("JS `configuration.` completion warm p50", p50, 0.050, 1.0, baseline_name="budget")
    report("JS `configuration.` completion warm p95", p95, 0.100, 1.0, baseline_name="budget")


if __name__ == "__main__":
    main()
