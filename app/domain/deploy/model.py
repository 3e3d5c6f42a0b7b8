"""A custom database connection as the Auth0 Deploy CLI exports it, independent of the export's form.

The Deploy CLI writes a connection either as a folder (`database-connections/<name>/database.json`
with the script files beside it, named by `options.customScripts`) or inside `tenant.yaml`
(`databases:` with `customScripts` paths relative to the YAML file). Both become a `DeployConnection`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# The script slots of a custom database connection, in the Deploy CLI's names (our script keys).
SCRIPT_SLOTS: tuple[str, ...] = ("login", "get_user", "create", "verify", "change_password", "delete",
                                 "change_email")
# Slots the platform has but this IDE does not run: imported, kept and exported back untouched.
KEPT_SLOTS: tuple[str, ...] = ("change_username",)
DIRECTORY_FORM = "directory"
YAML_FORM = "yaml"
CONNECTIONS_DIR = "database-connections"
METADATA_FILE = "database.json"
YAML_SCRIPTS_DIR = "databases"
# Deploy CLI keyword placeholders (AUTH0_KEYWORD_REPLACE_MAPPINGS): `##KEY##` or `@@KEY@@`.
_PLACEHOLDER = re.compile(r"^(##|@@)[A-Za-z0-9_.-]+\1$")


class DeployError(ValueError):
    """An export that cannot be read; str() is one line naming the file and what is wrong."""


@dataclass
class DeployScript:
    slot: str
    path: str | None  # as written in customScripts (e.g. "./login.js"), None when not referenced
    source: str | None  # the file's text, None when the file is missing
    resolved: str | None = None  # the file the path names, relative to the export's root

    @property
    def missing(self) -> bool:
        return self.source is None


@dataclass
class DeployConnection:
    name: str
    form: str  # DIRECTORY_FORM | YAML_FORM
    metadata: dict[str, Any]  # the connection object with script bodies and configuration values removed
    scripts: dict[str, DeployScript] = field(default_factory=dict)
    # .js files found beside database.json that customScripts does not name (a deploy would skip them)
    unreferenced: dict[str, str] = field(default_factory=dict)
    location: str = ""  # where it was read from, relative to the export root (for messages)

    @property
    def options(self) -> dict[str, Any]:
        options = self.metadata.get("options")
        return options if isinstance(options, dict) else {}

    @property
    def migration(self) -> bool:
        return self.options.get("import_mode") is True

    @property
    def requires_username(self) -> bool:
        return self.options.get("requires_username") is True

    @property
    def context_object(self) -> bool:
        return self.options.get("enable_script_context") is True

    @property
    def configuration_keys(self) -> list[str]:
        config = self.options.get("configuration")
        return list(config) if isinstance(config, dict) else []


def is_placeholder(value: Any) -> bool:
    """A Deploy CLI keyword placeholder (`##DB_PASSWORD##`): safe to keep, it is not the value itself."""
    return isinstance(value, str) and bool(_PLACEHOLDER.match(value))


def is_custom_database(connection: dict[str, Any]) -> bool:
    """A database connection that runs custom scripts (the only kind this IDE opens)."""
    options = connection.get("options")
    if not isinstance(options, dict):
        return False
    return bool(options.get("customScripts")) or options.get("enabledDatabaseCustomization") is True


def sanitize(name: str) -> str:
    """The folder name the Deploy CLI gives a connection: characters unsafe in file names become '-'."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "-", name).strip() or "connection"
