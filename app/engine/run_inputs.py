"""What a run needs from the project before a child sees it: the arguments from the user's input,
the resolved configuration (secrets included), the database URL and the script's lint findings.

Problems here are the user's input, not the script: `RunInputError` (the CLI's exit 2).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from app.domain.findings import Finding
from app.domain.project import Project
from app.domain.scripts import ScriptKind


class RunInputError(ValueError):
    """Unusable input for a run: unknown script, missing file, input that does not fit the kind."""


def parse_input_object(raw: str, what: str = "the input", example: str = "") -> dict:
    """A script's input as typed by a user (CLI `--input`, the bundle dialog): a JSON object, else a
    ValueError naming `what` was wrong, with `example` appended to the not-an-object message."""
    value = load_json(raw, what)
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be a JSON object{example}")
    return value


def load_json(raw: str, what: str) -> Any:
    """json.loads for what a user gives (an input, a case file): every problem is a one-line
    ValueError naming `what`: invalid JSON, nesting too deep for the parser, text that is not
    valid Unicode (a lone surrogate such as \\ud800 cannot reach the script)."""
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as e:
        raise ValueError(f"{what} is not valid JSON ({e.msg} at line {e.lineno}, column {e.colno})") from None
    except RecursionError:
        raise ValueError(f"{what} is nested too deeply (arrays or objects inside each other thousands of "
                         "levels deep)") from None
    bad = _lone_surrogate(value)
    if bad is not None:
        raise ValueError(f"{what} holds a lone surrogate ({bad}), which is not valid Unicode text")
    return value


def _lone_surrogate(value: Any) -> str | None:
    """The first lone surrogate in the strings of `value` (keys too) as \\uXXXX, or None."""
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as e:
                return f"\\u{ord(item[e.start]):04x}"
        elif isinstance(item, dict):
            todo.extend(item.keys())
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)
    return None


def decode_script(data: bytes, path: object) -> str:
    """A script file's text; RunInputError (exit 2) when it is not UTF-8, naming where."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise RunInputError(f"{path} is not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start}); "
                            "save it as UTF-8") from None


def read_script(path: Path) -> str:
    """`path` read as UTF-8 text with universal newlines, as Path.read_text would."""
    text = decode_script(path.read_bytes(), path)
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def build_arguments(k: ScriptKind, input: Mapping[str, Any] | None,  # noqa: A002
                    context_enabled: bool) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(arguments by Python parameter name, context) from the user's input object.

    Missing parameters are passed as None (the script sees what the platform would send for an
    empty field); unknown keys are refused, because they are almost always a typo.
    """
    if input is None:
        input = {}  # noqa: A001
    if not isinstance(input, Mapping):
        raise RunInputError(f"the input must be a JSON object with the keys {', '.join(k.params)}")
    allowed = (*k.params, "context")
    unknown = [key for key in input if key not in allowed]
    if unknown:
        raise RunInputError(f"unknown input key {unknown[0]!r} for {k.title}; expected "
                            f"{', '.join(k.params)} (and optionally context)")
    context = input.get("context")
    if context is not None and not isinstance(context, Mapping):
        raise RunInputError("the input's context must be a JSON object")
    if k.always_empty_context or context_enabled and context is None:
        context = {}
    return {p: input.get(p) for p in k.params}, (dict(context) if context is not None else None)


def configuration_for(project: Project) -> Any:
    """`configuration` values plus the set of secret values (raises MissingSecretError)."""
    from app.engine.secrets import resolve_configuration

    return resolve_configuration(project)


def url_for(project: Project, override: str | None = None) -> str:
    """The URL the child connects with (may hold the keychain's password: never display it)."""
    from app.engine.database import database_url

    return database_url(project, override)


def lint_findings(project: Project, key: str, source: str) -> list[Finding]:
    """The script's static findings (in the project's language), reported with every run."""
    return project.language.lint(key, source, mode=project.mode, context=project.context_object)
