"""`customdb-studio --smoke-test`: prove that an installed (frozen) app really works.

A PyInstaller bundle can start and still be broken: a data file jedi needs, a keyring backend or a
database driver silently left out. This runs the few things a user does first, on a temporary copy
of the sample project, and prints one line per check:

    ok   window: ...
    FAIL completion: ...

Exit status 0 only if every check passed. Each check runs under a watchdog, so a broken bundle
fails with a message instead of hanging CI. `--report FILE` also writes the lines to FILE (a
windowed Windows build has no console to print to).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ALICE = ("alice@example.com", "wonderland-42")

# Seconds per check. Generous: a cold jedi on a slow CI runner takes several seconds.
TIMEOUTS = {"window": 60.0, "completion": 120.0, "runner": 90.0, "javascript": 240.0, "js-completion": 60.0,
            "keychain": 30.0, "drivers": 60.0}


class MissingPiece(Exception):
    """A part of the app the check needs is not there (not built yet, or left out of the bundle)."""


@dataclass
class Report:
    """Collects check lines and writes each one as soon as it is known."""

    out: Any = None
    file: Path | None = None
    lines: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def line(self, text: str) -> None:
        with self.lock:
            self.lines.append(text)
            if self.out is not None:
                with contextlib.suppress(Exception):
                    print(text, file=self.out, flush=True)
            if self.file is not None:
                with contextlib.suppress(OSError):
                    self.file.write_text("\n".join(self.lines) + "\n", encoding="utf-8")

    @property
    def failed(self) -> int:
        return sum(1 for text in self.lines if text.startswith("FAIL"))

    @property
    def passed(self) -> int:
        return sum(1 for text in self.lines if text.startswith("ok "))


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _import(module: str, name: str | None = None) -> Any:
    """Import `module` (and `name` from it), turning absence into a clear MissingPiece."""
    import importlib

    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name and (module == e.name or module.startswith(e.name + ".")):
            raise MissingPiece(f"{module} is missing (not built yet, or not in the bundle)") from e
        raise
    if name is None:
        return mod
    try:
        return getattr(mod, name)
    except AttributeError:
        raise MissingPiece(f"{module} has no {name} (interface changed?)") from None


class Watchdog:
    """Ends the process when a check does not answer in time: a hung bundle must fail, not hang."""

    def __init__(self, report: Report, on_timeout: Callable[[], None]):
        self.report = report
        self.on_timeout = on_timeout
        self._timer: threading.Timer | None = None

    def arm(self, name: str, seconds: float) -> None:
        self.disarm()
        self._timer = threading.Timer(seconds, self._fire, (name, seconds))
        self._timer.daemon = True
        self._timer.start()

    def disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _fire(self, name: str, seconds: float) -> None:
        self.report.line(f"FAIL {name}: no answer within {seconds:g} s (hung?)")
        self.report.line(f"smoke test: {self.report.passed} passed, {self.report.failed} failed")
        with contextlib.suppress(Exception):
            self.on_timeout()
        os._exit(1)


class Smoke:
    """The checks, in the order a user meets them. State is shared: the window opens the project."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.project: Any = None
        self.qt_app: Any = None
        self.window: Any = None
        self.runner: Any = None

    # -- set-up ---------------------------------------------------------------------------------

    def prepare_environment(self) -> None:
        """Point every per-user location at the temporary folder before anything reads it."""
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        os.environ["CUSTOMDB_DATA_DIR"] = str(self.workdir / "data")
        os.environ.setdefault("CUSTOMDB_CACHE_DIR", str(self.workdir / "cache"))

    def load_sample(self) -> Any:
        ensure_sample_project = _import("app.engine.sample", "ensure_sample_project")
        load_project = _import("app.domain.project", "load_project")
        folder = Path(ensure_sample_project())
        if self.workdir not in folder.resolve().parents:
            # Never run against the user's real sample: work on a copy.
            copy = self.workdir / "sample-copy"
            shutil.copytree(folder, copy, ignore=shutil.ignore_patterns(".customdb"))
            folder = copy
        self.project = load_project(folder)
        return self.project

    # -- checks ---------------------------------------------------------------------------------

    def check_window(self) -> str:
        from PySide6.QtCore import QCoreApplication, QSettings
        from PySide6.QtWidgets import QApplication

        QCoreApplication.setOrganizationName("CustomDBStudio-smoke")
        QCoreApplication.setApplicationName("Custom DB Studio (smoke test)")
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(self.workdir / "settings"))
        self.qt_app = QApplication.instance() or QApplication([sys.argv[0]])
        project = self.load_sample()
        main_window = _import("app.ui.main_window", "MainWindow")
        self.window = main_window(project)
        self.window.show()
        deadline = time.monotonic() + 10
        while not self.window.isVisible() and time.monotonic() < deadline:
            self.qt_app.processEvents()
            time.sleep(0.01)
        for _ in range(20):
            self.qt_app.processEvents()
        if not self.window.isVisible():
            raise RuntimeError("the main window never became visible")
        shot = self.window.grab()
        if shot.isNull() or shot.width() < 100:
            raise RuntimeError("the main window could not be rendered")
        title = self.window.windowTitle().replace("[*]", "")  # Qt's "modified" placeholder
        if project.name not in title:
            raise RuntimeError(f"window title {title!r} does not name the project {project.name!r}")
        window_layout = _import("app.ui.window_layout")
        if window_layout.default_state() is None:  # the window still opens, only slower and laid out by hand
            raise MissingPiece(f"the default window layout is not in the bundle ({window_layout.DEFAULT_STATE})")
        return f"{title!r} {shot.width()}x{shot.height()} ({self.qt_app.platformName()})"

    def check_completion(self) -> str:
        """`db.` completes, through the editor's jedi child process when the app has one."""
        source = "def login(email, password, callback):\n    db.\n"
        position = (2, len("    db."))
        try:
            client_cls = _import("app.engine.completion_server", "CompletionClient")
        except MissingPiece:
            client_cls = None
        if client_cls is not None:
            where = "completion child process"
            client = _make_completion_service(client_cls, self.project, self.workdir / "jedi-child")
            try:
                names = [getattr(item, "name", item) for item in client.complete(source, *position)]
            finally:
                with contextlib.suppress(Exception):
                    client.close()
        else:
            where = "in process"
            names = []
        errors: list[str] = []
        if "execute" not in names:  # ask jedi here too: in this process a swallowed error can be read
            service_cls = _import("app.engine.completion", "CompletionService")
            service = _make_completion_service(service_cls, self.project, self.workdir / "jedi-here")
            with _captured_errors(service_cls.__module__) as errors:
                local = [getattr(item, "name", item) for item in service.complete(source, *position)]
            if client_cls is None:
                names = local
        if "execute" not in names:
            shown = ", ".join(map(str, names[:8])) or "nothing"
            why = f"; {errors[-1]}" if errors else ""
            raise RuntimeError(f"`db.` did not offer execute ({where}: got {shown}){why}")
        import jedi

        # jedi runs this file as a script to complete against another interpreter (a project's
        # venv); in a bundle it exists only if the spec collected jedi's .py files.
        helper = Path(jedi.__file__).parent / "inference" / "compiled" / "subprocess" / "__main__.py"
        if not helper.is_file():
            raise RuntimeError(f"{helper} is missing: completion against a project's venv would fail")
        return f"`db.` -> {len(names)} names incl. execute (jedi {jedi.__version__}, {where})"

    def check_runner(self) -> str:
        client_cls = _import("app.engine.runner", "RunnerClient")
        if self.project is None:
            self.load_sample()
        self.runner = client_cls(self.project)
        email, password = ALICE
        started = time.monotonic()
        result = self.runner.run("login", {"email": email, "password": password}, timeout=60)
        took = time.monotonic() - started
        outcome = getattr(result, "outcome", None)
        if outcome != "ok":
            error = getattr(result, "error", None)
            message = error.get("message") if isinstance(error, dict) else error
            raise RuntimeError(f"Login for {email} ended {outcome!r}: {_one_line(message or '')}")
        profile = getattr(result, "result", None) or {}
        if str(profile.get("email", "")).lower() != email:
            raise RuntimeError(f"Login returned a profile for {profile.get('email')!r}, not {email}")
        return f"Login {email} -> ok, user_id {profile.get('user_id')!r} ({took:.2f} s, child process)"

    def check_javascript(self) -> str:
        """The JavaScript sample's Login (require('pg') against the embedded sample database) through
        the bundled node, the Node host and the module store."""
        node = _import("app.engine.node")
        client_cls = _import("app.engine.runner", "RunnerClient")
        ensure_sample_project = _import("app.engine.sample", "ensure_sample_project")
        load_project = _import("app.domain.project", "load_project")
        runtime = node.find_node()
        if getattr(sys, "frozen", False) and runtime.source != "bundled":
            raise MissingPiece(f"the frozen app has no node of its own (found the {runtime.source} one at {runtime.path})")
        folder = Path(ensure_sample_project("javascript"))
        if self.workdir not in folder.resolve().parents:  # never the user's real sample
            copy = self.workdir / "sample-javascript-copy"
            shutil.copytree(folder, copy, ignore=shutil.ignore_patterns(".customdb"))
            folder = copy
        project = load_project(folder)
        email, password = ALICE
        started = time.monotonic()
        try:
            with client_cls(project, use_spare=False) as client:
                result = client.run("login", {"email": email, "password": password}, timeout=60)
        finally:
            with contextlib.suppress(Exception):
                _import("app.engine.sampledb").stop(project)
        took = time.monotonic() - started
        if result.outcome != "ok":
            message = (result.error or {}).get("message", "")
            raise RuntimeError(f"the JavaScript sample's Login for {email} ended {result.outcome!r}: {_one_line(message)}")
        statements = [s["statement"] for s in result.sql if s["statement"].startswith("SELECT")]
        if not statements:
            raise RuntimeError("the JavaScript sample's Login ran no traced SELECT (the instrumented pg is missing)")
        return (f"JavaScript sample Login {email} -> ok, user_id {result.result.get('user_id')!r} ({took:.2f} s, "
                f"{runtime.source} node, embedded database, {len(statements)} SELECT traced)")

    def check_js_completion(self) -> str:
        """`configuration.` completes a project's keys in a JavaScript script, from the bundled
        TypeScript language server."""
        service_cls = _import("app.engine.js_completion", "TypeScriptService")
        tsc = _import("app.engine.js_tools", "tsc_path")()
        if tsc is None:
            raise MissingPiece("TypeScript's language server (resources/typescript) is not in the bundle")
        service = service_cls(workspace=self.workdir / "typescript")
        source = "function login(email, password, callback) {\n  configuration.\n}\n"
        started = time.monotonic()
        try:
            service.configure("login", ["SMOKE_KEY", "DB_URL"])
            names = [item.name for item in service.complete(source, 2, len("  configuration."))]
        finally:
            with contextlib.suppress(Exception):
                service.close()
        if names != ["DB_URL", "SMOKE_KEY"]:
            raise RuntimeError(f"`configuration.` offered {', '.join(names[:8]) or 'nothing'}, not the project's keys")
        return f"`configuration.` -> {', '.join(names)} ({time.monotonic() - started:.2f} s, {tsc.name} --lsp)"

    def check_keychain(self) -> str:
        import keyring
        from keyring.backends import fail

        _import("app.engine.secrets")  # the app's own keychain layer must be in the bundle too
        backend = keyring.get_keyring()
        name = f"{type(backend).__module__}.{type(backend).__qualname__}"
        native = _native_backend_module()
        if native:
            _import(native)  # proves the platform's backend was bundled, whatever is chosen now
        if isinstance(backend, fail.Keyring):
            if sys.platform.startswith("linux") and not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
                return f"{name} (no D-Bus session here: secrets will be asked once per session)"
            raise RuntimeError(f"no usable keychain backend ({name}); were the backends bundled?")
        forced = os.environ.get("PYTHON_KEYRING_BACKEND")
        return f"{name}" + (" (forced by PYTHON_KEYRING_BACKEND)" if forced else "")

    def check_drivers(self) -> str:
        from sqlalchemy import create_engine, text

        shipped = []
        engine = create_engine("sqlite://")
        with engine.connect() as conn:
            version = conn.execute(text("select sqlite_version()")).scalar()
        engine.dispose()
        shipped.append(f"sqlite {version}")
        for url, module in (("postgresql+psycopg://u@localhost/db", "psycopg"),
                            ("mysql+pymysql://u@localhost/db", "pymysql"),
                            ("mssql+pymssql://u@localhost/db", "pymssql")):
            try:
                mod = _import(module)
            except MissingPiece:
                if module == "pymssql":  # optional extra, shipped only where it installs
                    continue
                raise
            create_engine(url).dispose()  # loads dialect + DBAPI, connects to nothing
            detail = url.split(":", 1)[0]
            if module == "psycopg":
                detail += f" ({mod.pq.__impl__})"
            shipped.append(detail)
        return ", ".join(shipped)

    def close(self) -> None:
        if self.runner is not None:
            with contextlib.suppress(Exception):
                self.runner.close()
            self.runner = None
        if self.window is not None:
            with contextlib.suppress(Exception):
                self.window.setAttribute(_wa_delete_on_close(), False)
                self.window.hide()
                self.window.deleteLater()
            self.window = None


@contextlib.contextmanager
def _captured_errors(logger_name: str):
    """Collect what a service logs about exceptions it swallows, so a FAIL line can say why."""
    import logging

    found: list[str] = []

    class _Handler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.exc_info and record.exc_info[1] is not None:
                exc = record.exc_info[1]
                found.append(f"{type(exc).__name__}: {_one_line(exc, 200)}")

    logger = logging.getLogger(logger_name)
    handler, level = _Handler(logging.DEBUG), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield found
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _make_completion_service(service_cls: Any, project: Any, cache_dir: Path | None = None) -> Any:
    """Build the service the way the editor does: for the Login script of this project.

    `cache_dir`: a jedi cache of its own. parso's disk cache is not safe across processes (a reader
    can load a half-written pickle: EOFError), and the open window's editor warms jedi up in its
    own process at the same time."""
    import inspect

    config_keys = list(getattr(project, "configuration", {}) or {}) if project is not None else []
    params = inspect.signature(service_cls).parameters
    kwargs: dict[str, Any] = {}
    if cache_dir is not None and "cache_dir" in params:
        kwargs["cache_dir"] = cache_dir
    if "project" in params:
        kwargs["project"] = project
    for name in ("kind_key", "kind", "key"):
        if name in params:
            kwargs[name] = "login"
            break
    if "config_keys" in params:
        kwargs["config_keys"] = config_keys
    service = service_cls(**kwargs)
    if hasattr(service, "configure"):
        with contextlib.suppress(TypeError):
            service.configure("login", config_keys)
    return service


def _native_backend_module() -> str | None:
    if sys.platform == "win32":
        return "keyring.backends.Windows"
    if sys.platform == "darwin":
        return "keyring.backends.macOS"
    if sys.platform.startswith("linux"):
        return "keyring.backends.SecretService"
    return None


def _wa_delete_on_close() -> Any:
    from PySide6.QtCore import Qt

    return Qt.WidgetAttribute.WA_DeleteOnClose


def _console() -> Any:
    """stdout, or the parent's console for a windowed Windows build (where sys.stdout is None)."""
    if sys.stdout is not None:
        return sys.stdout
    if sys.platform == "win32":
        with contextlib.suppress(Exception):
            import ctypes

            if ctypes.windll.kernel32.AttachConsole(-1):  # ATTACH_PARENT_PROCESS
                return open("CONOUT$", "w", encoding="utf-8")
    return None


def run_smoke(report: Report, workdir: Path) -> int:
    """Run every check, print one line each, return the exit status (0 only if all passed)."""
    smoke = Smoke(workdir)
    smoke.prepare_environment()
    watchdog = Watchdog(report, smoke.close)
    checks: list[tuple[str, Callable[[], str]]] = [
        ("window", smoke.check_window),
        ("completion", smoke.check_completion),
        ("runner", smoke.check_runner),
        ("javascript", smoke.check_javascript),
        ("js-completion", smoke.check_js_completion),
        ("keychain", smoke.check_keychain),
        ("drivers", smoke.check_drivers),
    ]
    frozen = "frozen bundle" if getattr(sys, "frozen", False) else "source tree"
    report.line(f"smoke test of {sys.executable} ({frozen}, Python {sys.version.split()[0]}, {sys.platform})")
    try:
        for name, check in checks:
            watchdog.arm(name, TIMEOUTS[name])
            try:
                detail = check()
            except MissingPiece as e:
                report.line(f"FAIL {name}: {e}")
            except Exception as e:  # noqa: BLE001 - a smoke test reports every failure and goes on
                report.line(f"FAIL {name}: {type(e).__name__}: {_one_line(e)}")
            else:
                report.line(f"ok   {name}: {_one_line(detail)}")
            finally:
                watchdog.disarm()
    finally:
        watchdog.arm("shutdown", 30)
        smoke.close()
        watchdog.disarm()
    report.line(f"smoke test: {report.passed} passed, {report.failed} failed")
    return 0 if report.failed == 0 else 1


def main(argv: list[str]) -> int:
    """Entry for `--smoke-test [--report FILE]` (routed by app.__main__.gui_main)."""
    report_file: Path | None = None
    if argv[:1] == ["--report"] and len(argv) >= 2:
        report_file = Path(argv[1])
    elif argv:
        print(f"usage: customdb-studio --smoke-test [--report FILE] (unexpected {argv[0]!r})", file=sys.stderr)
        return 2
    report = Report(out=_console(), file=report_file)
    workdir = Path(tempfile.mkdtemp(prefix="customdb-smoke-"))
    try:
        status = run_smoke(report, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    # Threads a broken piece may have left behind (a stuck jedi or runner thread) must not keep a
    # finished smoke test alive: the verdict is printed, so leave now.
    with contextlib.suppress(Exception):
        sys.stdout and sys.stdout.flush()
        sys.stderr and sys.stderr.flush()
    os._exit(status)
