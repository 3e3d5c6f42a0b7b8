"""The offline module store's `require`: built-ins, the store's modules, `name@x.y.z` as that exact
version, bcrypt served by bcryptjs (said so), and `module-not-available` naming what there is."""

from __future__ import annotations

import json

from tests.js_support import node_eval, run_script


def _one(tmp_path, body: str, **kw):
    [report] = run_script(tmp_path, "function verify(email, callback) {\n" + body + "\n}\n", args=["a@x"], **kw)
    assert "threw" not in report, report["threw"]
    return report


def test_versioned_require_gives_that_exact_version(tmp_path):
    report = _one(tmp_path, """
      callback(null, [require('tedious@1.11.0'), require('tedious@11.0.3'), require('tedious'),
                      require('mongodb@3.1.4'), require('axios@0.22.0')].length === 5 && {
        t1: require('tedious@1.11.0/package.json').version,
        t11: require('tedious@11.0.3/package.json').version,
        tDefault: require('tedious/package.json').version,
        m3: require('mongodb@3.1.4/package.json').version,
        a: require('axios@0.22.0/package.json').version,
      });""")
    value = report["calls"][0]["value"]
    assert value["t1"] == "1.11.0" and value["t11"] == "11.0.3" and value["m3"] == "3.1.4"
    assert value["a"] == "0.22.0"
    assert value["tDefault"].startswith("19.")
    assert report["findings"] == []


def test_the_default_version_asked_for_by_number_is_the_same_module(tmp_path):
    report = _one(tmp_path, """
      const v = require('lodash/package.json').version;
      callback(null, require('lodash@' + v) === require('lodash'));""")
    assert report["calls"][0]["value"] is True


def test_builtins_and_every_module_the_issue_names_load(tmp_path):
    names = ["bcrypt", "pg", "mysql", "mysql2", "tedious", "mssql", "mongodb", "request", "axios", "node-fetch",
             "jsonwebtoken", "lodash", "auth0", "crypto", "node:crypto", "util", "async", "moment", "uuid", "xml2js"]
    report = _one(tmp_path, f"""
      const got = {{}};
      for (const n of {json.dumps(names)}) got[n] = typeof require(n);
      callback(null, got);""")
    got = report["calls"][0]["value"]
    assert set(got) == set(names)
    assert all(kind in ("object", "function") for kind in got.values()), got


def test_bcrypt_is_bcryptjs_and_says_so_once(tmp_path):
    report = _one(tmp_path, """
      const bcrypt = require('bcrypt');
      const again = require('bcrypt@0.8.5');
      const hash = bcrypt.hashSync('pw', 4);
      callback(null, {same: bcrypt === again, ok: bcrypt.compareSync('pw', hash),
                      py: bcrypt.compareSync('wonderland-42', '$2b$04$s/3i//NCYZfbh/LRINUsN.c1KHsF0.ljNk4X38wkSW8xmuCCU2uD2')});""")
    value = report["calls"][0]["value"]
    assert value["same"] is True and value["ok"] is True and value["py"] is True  # a hash Python's bcrypt made
    stand_ins = [f for f in report["findings"] if f["code"] == "module-stand-in"]
    assert len(stand_ins) == 1 and "bcryptjs" in stand_ins[0]["message"] and stand_ins[0]["severity"] == "info"


def test_a_version_not_in_the_store_names_the_versions_there_are(tmp_path):
    report = _one(tmp_path, """
      try { require('mongodb@2.2.36'); callback(null, 'loaded'); }
      catch (e) { callback(null, {message: e.message, code: e.code}); }""")
    value = report["calls"][0]["value"]
    assert value["code"] == "MODULE_NOT_FOUND"
    assert "mongodb@2.2.36 is not in the offline module store" in value["message"]
    assert "mongodb@3.1.4" in value["message"] and "(the default)" in value["message"]
    [finding] = report["findings"]
    assert finding["code"] == "module-not-available" and finding["module"] == "mongodb@2.2.36"
    assert finding["message"] == value["message"]


def test_a_module_not_in_the_store_lists_what_is(tmp_path):
    report = _one(tmp_path, """
      try { require('left-pad'); } catch (e) { return callback(null, e.message); }
      callback(null, 'loaded');""")
    message = report["calls"][0]["value"]
    assert "left-pad is not in the offline module store" in message and "mysql2" in message and "bcrypt" in message
    assert report["findings"][0]["code"] == "module-not-available"


def test_files_and_paths_outside_the_store_are_not_required(tmp_path):
    (tmp_path / "helper.js").write_text("module.exports = 1;\n", encoding="utf-8")
    report = _one(tmp_path, """
      const out = [];
      for (const id of ['./helper', '../x', '/etc/passwd', 'pg/../../../require.js', 'lodash/no-such-file']) {
        try { require(id); out.push('loaded ' + id); } catch (e) { out.push(e.code); }
      }
      callback(null, out);""")
    assert report["calls"][0]["value"] == ["MODULE_NOT_FOUND"] * 5
    assert "one file" in report["findings"][0]["message"]


def test_modules_lists_names_versions_and_the_stand_in():
    done = node_eval("process.stdout.write(JSON.stringify(store.modules()))")
    assert done.returncode == 0, done.stderr
    modules = {m["name"]: m for m in json.loads(done.stdout)}
    assert {"pg", "mysql", "mysql2", "tedious", "mssql", "mongodb", "request", "axios", "node-fetch",
            "jsonwebtoken", "lodash", "auth0", "bcrypt", "bcryptjs"} <= set(modules)
    assert {"1.11.0", "11.0.3"} <= set(modules["tedious"]["versions"])
    assert modules["tedious"]["versions"][0] == modules["tedious"]["default"]  # newest first
    assert modules["bcrypt"]["servedBy"] == "bcryptjs"
    assert not any(name.count("--") for name in modules)  # aliases are versions, not names
