"""`customdb deploy check`: what would go wrong if this connection were deployed as it is.

Each rule is an outage Deploy CLI users have had: script files that a release stopped deploying
(the default stubs went live), `customScripts` paths naming no file, a Change Email script lost to a
dashboard edit, a script pasted into the wrong slot, configuration keys the scripts read but the
connection lacks. The scripts' own lint findings are added by the caller (they need the language).
The Deploy CLI is Auth0's: its script slots are the Auth0 platform's kinds.
"""

from __future__ import annotations

import re

from app.domain.deploy.model import KEPT_SLOTS, DeployConnection
from app.domain.findings import Finding, finding
from app.domain.platforms.auth0 import AUTH0
from app.domain.scripts import Mode

_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_LINE_COMMENT = re.compile(r"(?m)(?<![:\"'\\])//[^\n]*")
_ONLY_CALLBACK = re.compile(
    r"^(?:(?:const|let|var)\s+\w+\s*=\s*[^;]*;\s*)*(?:return\s+)?callback\s*\((?:[^()]|\([^()]*\))*\)\s*;?$", re.S)
_FUNCTION = re.compile(r"(?:async\s+)?function\s*(?P<name>[A-Za-z_$][\w$]*)?\s*\((?P<params>[^)]*)\)\s*\{", re.S)
_CONFIG_READ = re.compile(r"\bconfiguration\s*(?:\.\s*(?P<dot>[A-Za-z_$][\w$]*)|\[\s*(?P<q>['\"`])(?P<key>[^'\"`]+)(?P=q)\s*\])")
_STUB_TEXT = "script for this database connection"  # the dashboard's default: "Please implement the ... script ..."


def check_connection(connection: DeployConnection, mode: Mode | None = None) -> list[Finding]:
    """Deploy findings for one connection (scripts keyed by our script keys)."""
    mode = mode or (Mode.MIGRATION if connection.migration else Mode.LEGACY)
    out: list[Finding] = []
    for key, script in connection.scripts.items():
        where = script.path or f"{key}.js"
        if script.missing:
            out.append(finding("deploy-script-missing",
                               f"options.customScripts.{key} names {where}, which is not in the export: "
                               "the deploy would fail or leave the tenant's current script live", _slot(key)))
            continue
        if key in KEPT_SLOTS:
            out.append(finding("deploy-not-run", f"{where}: the {key} script is kept and exported as it is; "
                               "this IDE does not run or check it", None))
            continue
        out.extend(_check_source(key, script.source or "", where))
    for stem in connection.unreferenced:
        out.append(finding("deploy-script-not-referenced",
                           f"{stem}.js is beside database.json but options.customScripts does not name it: "
                           "the Deploy CLI will not deploy it (the default stub stays live); add it to "
                           "customScripts (customdb deploy export writes it)", _slot(stem)))
    present = {k for k, s in connection.scripts.items() if not s.missing} | set(connection.unreferenced)
    for kind in AUTH0.kinds.values():
        if kind.key in present or not kind.used_in(mode):
            continue
        if kind.key == "change_email":
            out.append(finding("change-email-missing",
                               f"the connection has no Change Email script but {mode} mode calls it when a "
                               "user's e-mail changes (a dashboard edit of the connection can drop it)", kind.key))
        elif kind.required(mode):
            out.append(finding("deploy-script-missing",
                               f"{kind.title} is required in {mode} mode but the connection has no "
                               f"{kind.key} script", kind.key))
    out.extend(_check_configuration(connection))
    return out


def configuration_reads(source: str) -> dict[str, int]:
    """Configuration keys a JavaScript script reads (`configuration.KEY`, `configuration['KEY']`) -> first line."""
    reads: dict[str, int] = {}
    for m in _CONFIG_READ.finditer(source):
        key = m.group("dot") or m.group("key")
        reads.setdefault(key, source.count("\n", 0, m.start()) + 1)
    return reads


def is_stub(source: str) -> bool:
    """An empty script, the dashboard's default, or an entry whose whole body is one callback call."""
    if not source.strip() or _STUB_TEXT in source:
        return True
    code = _LINE_COMMENT.sub("", _BLOCK_COMMENT.sub("", source)).strip()
    m = _FUNCTION.search(code)
    if not m or m.start() != 0 or not code.endswith("}"):
        return False
    body = code[m.end():-1].strip()
    return not body or bool(_ONLY_CALLBACK.match(body))


def _check_source(key: str, source: str, where: str) -> list[Finding]:
    if is_stub(source):
        return [finding("deploy-stub-script", f"{where} is empty or a stub that only calls back an error: "
                                             "deploying it breaks every call of this script", key)]
    m = _FUNCTION.search(_LINE_COMMENT.sub("", _BLOCK_COMMENT.sub("", source)))
    name = m.group("name") if m else None
    declared = AUTH0.kind_for_function_name(name) if name else None
    if declared is not None and declared.key != key:
        line = source.count("\n", 0, source.find(name)) + 1 if name in source else None
        return [finding("deploy-wrong-kind", f"{where} is in the {AUTH0.kinds[key].title} slot but declares "
                                            f"function {name} ({declared.title}): a script pasted into the "
                                            "wrong slot", key, line)]
    return []


def _check_configuration(connection: DeployConnection) -> list[Finding]:
    keys = set(connection.configuration_keys)
    read: dict[str, tuple[str, int]] = {}
    for slot, script in connection.scripts.items():
        if script.source and slot not in KEPT_SLOTS:
            for key, line in configuration_reads(script.source).items():
                read.setdefault(key, (slot, line))
    out = [finding("deploy-config-missing",
                   f"{slot} reads configuration.{key} but the connection has no such configuration key: "
                   "it is undefined on the platform", _slot(slot), line)
           for key, (slot, line) in sorted(read.items()) if key not in keys]
    out += [finding("deploy-config-unused", f"configuration key {key} is set on the connection but no script reads it")
            for key in sorted(keys - set(read))]
    return out


def _slot(key: str) -> str | None:
    return key if key in AUTH0.kinds else None
