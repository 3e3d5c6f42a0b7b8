"""The files a Deploy CLI export of one connection consists of, built from a project's state.

Pure: `export_files()` returns {relative path: text}; the engine writes them. The connection's own
fields (strategy, enabled_clients, every option this IDE does not model) come back exactly as they
were imported; the options the project owns (mode, username, context object, configuration keys)
are written from the project; a configuration value is only ever a placeholder or a plain value the
project holds in its file, never a secret.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

from app.domain.deploy.model import (
    CONNECTIONS_DIR,
    DIRECTORY_FORM,
    KEPT_SLOTS,
    METADATA_FILE,
    SCRIPT_SLOTS,
    YAML_FORM,
    YAML_SCRIPTS_DIR,
    DeployConnection,
    is_placeholder,
    sanitize,
)


@dataclass
class ProjectSide:
    """What the project decides about the connection."""

    migration: bool
    requires_username: bool
    context_object: bool
    configuration: dict[str, str | None]  # key -> plain value, or None for a secret
    scripts: dict[str, str] = field(default_factory=dict)  # slot -> source (the IDE's + kept slots)


def placeholder(key: str) -> str:
    """The Deploy CLI keyword a secret is exported as (filled from AUTH0_KEYWORD_REPLACE_MAPPINGS)."""
    return f"##{key}##"


def updated_metadata(connection: DeployConnection, side: ProjectSide, script_paths: dict[str, str]) -> dict:
    """The connection object with the project's options and the scripts' paths written in."""
    meta = copy.deepcopy(connection.metadata)
    options = meta.get("options")
    if not isinstance(options, dict):
        options = meta["options"] = {}
    _set_flag(options, "import_mode", side.migration)
    _set_flag(options, "requires_username", side.requires_username)
    _set_flag(options, "enable_script_context", side.context_object)
    old_config = options.get("configuration") if isinstance(options.get("configuration"), dict) else None
    if side.configuration or old_config is not None:
        config: dict[str, Any] = {}
        for key, value in side.configuration.items():
            old = (old_config or {}).get(key)
            if value is not None:
                config[key] = value
            else:
                config[key] = old if is_placeholder(old) else placeholder(key)
        options["configuration"] = config
    if script_paths or "customScripts" in options:
        old_scripts = options.get("customScripts") if isinstance(options.get("customScripts"), dict) else {}
        scripts = {slot: script_paths[slot] for slot in old_scripts if slot in script_paths}
        scripts.update({slot: script_paths[slot] for slot in sorted(script_paths) if slot not in scripts})
        options["customScripts"] = scripts
    return meta


def export_files(connection: DeployConnection, side: ProjectSide, form: str | None = None,
                 trailing_newline: bool = False) -> dict[str, str]:
    """{path relative to the export root: text} for the connection in the given form."""
    form = form or connection.form
    folder_name = sanitize(connection.name)
    slots = [s for s in (*SCRIPT_SLOTS, *KEPT_SLOTS) if s in side.scripts]
    files: dict[str, str] = {}
    if form == DIRECTORY_FORM:
        base = f"{CONNECTIONS_DIR}/{folder_name}"
        paths = {slot: f"./{slot}.js" for slot in slots}
        for slot in slots:
            files[f"{base}/{slot}.js"] = side.scripts[slot]
        meta = updated_metadata(connection, side, paths)
        text = json.dumps(meta, indent=2, ensure_ascii=False)
        files[f"{base}/{METADATA_FILE}"] = text + ("\n" if trailing_newline else "")
        return files
    if form == YAML_FORM:
        import yaml

        paths = {slot: f"./{YAML_SCRIPTS_DIR}/{folder_name}/{slot}.js" for slot in slots}
        for slot in slots:
            files[f"{YAML_SCRIPTS_DIR}/{folder_name}/{slot}.js"] = side.scripts[slot]
        meta = updated_metadata(connection, side, paths)
        files["tenant.yaml"] = yaml.safe_dump({"databases": [meta]}, sort_keys=False, allow_unicode=True)
        return files
    raise ValueError(f"unknown export form {form!r}")


def _set_flag(options: dict, key: str, value: bool) -> None:
    """Write a boolean option, leaving it absent when it was absent and is false (the platform's default)."""
    if key in options or value:
        options[key] = value
