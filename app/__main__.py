"""`python -m app`: no arguments opens the GUI, a verb runs the CLI.

`--runner-child` is reserved for the script runner: the IDE starts its child processes from
`sys.executable` with that flag, which also works in the frozen bundle where the executable is
the app itself.
"""

from __future__ import annotations

import sys

RUNNER_CHILD_FLAG = "--runner-child"
SMOKE_TEST_FLAG = "--smoke-test"  # app/smoke.py: checks an installed build end to end
COMPLETION_CHILD_FLAG = "--completion-child"  # app/engine/completion_server.py: jedi off the IDE process


OVERRIDE_PREFIX = "CUSTOMDB_CONFIG_"  # app.engine.secrets.ENV_PREFIX (a test keeps them equal)
OVERRIDE_PASSWORD = "CUSTOMDB_DATABASE_PASSWORD"  # noqa: S105 - app.engine.secrets.DATABASE_PASSWORD_ENV


def _adopt_secrets() -> None:
    """The program's own start: secret overrides leave the environment a script could read. With
    none set (the usual start) nothing is imported: app.engine.secrets loads keyring, ~10% of the
    GUI's time to its first paint."""
    import os

    if not any(name.startswith(OVERRIDE_PREFIX) or name == OVERRIDE_PASSWORD for name in os.environ):
        return
    from app.engine.secrets import adopt_environment_overrides

    adopt_environment_overrides()


def gui_main(argv: list[str] | None = None) -> int:
    if argv is None:
        _adopt_secrets()
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == RUNNER_CHILD_FLAG:
        from app.runtime.host import main as child_main

        return child_main(argv[1:])
    if argv and argv[0] == SMOKE_TEST_FLAG:
        from app.smoke import main as smoke_main

        return smoke_main(argv[1:])
    if argv and argv[0] == COMPLETION_CHILD_FLAG:  # the editor's jedi process
        from app.engine.completion_server import main as completion_main

        return completion_main(argv[1:])
    from app.ui.application import main as ui_main

    return ui_main(argv)


def cli_verbs() -> set[str]:
    """Verb names, read from the file names `app/cli/verb_*.py` without importing anything: `python
    -m app DIR` asks too, on the GUI's start-up path, where importing `pkgutil` and `app.cli`
    (argparse, json, inspect) cost ~10% of the time to the first paint. A frozen build, whose
    modules are not files, asks pkgutil."""
    import os

    try:
        names = os.listdir(os.path.join(os.path.dirname(__file__), "cli"))
    except OSError:
        names = []
    verbs = {n[len("verb_"):-len(".py")] for n in names if n.startswith("verb_") and n.endswith(".py")}
    if verbs:
        return verbs
    import pkgutil

    import app.cli

    return {m.name[len("verb_"):] for m in pkgutil.iter_modules(app.cli.__path__) if m.name.startswith("verb_")}


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        _adopt_secrets()
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0].startswith("--") and argv[0] != "--help" and argv[0] != "--version":
        return gui_main(argv)  # internal flags (child processes, smoke test): skip the verb scan
    if argv and (argv[0] in ("-h", "--help", "--version") or argv[0] in cli_verbs()):
        from app.cli import main as cli_main

        return cli_main(argv)
    return gui_main(argv)  # nothing, the child flag, or a project folder: the GUI


if __name__ == "__main__":
    sys.exit(main())
