"""Database connection: a form per dialect (host, port, database, user, password) or a raw
SQLAlchemy URL, and "Test connection" run off the GUI thread.

The URL saved in customdb.toml never holds the password: it goes to the keychain as
DATABASE_PASSWORD (or this session only when there is no keychain).
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.project import Project, ProjectError
from app.ui import theme
from app.ui.dialogs.secrets_prompt import store_secret
from app.ui.workers import run_in_background

RAW = "raw"


def describe_report(report) -> tuple[bool, str]:
    """(ok, one line) for a ConnectionReport."""
    if report.ok:
        latency = f"{report.latency_ms:.1f} ms" if report.latency_ms is not None else "?"
        return True, f"✔ Connected: {report.server_version} — round trip {latency}"
    return False, f"✘ {report.category or 'failed'}: {report.message}"


class ConnectionDialog(QDialog):
    """`unsaved`: the open editors' unsaved texts by script key (read for the dialect check and
    kept in the backup when a template replaces one). `replaced_scripts` after Save: the scripts
    the user had replaced by the new dialect's templates."""

    def __init__(self, project: Project, parent: QWidget | None = None, unsaved: dict[str, str] | None = None):
        super().__init__(parent)
        self.unsaved = dict(unsaved or {})
        self.replaced_scripts: list[str] = []
        from app.engine.database import (
            DEFAULT_PORTS,
            DISPLAY_NAMES,
            DRIVERS,
            ConnectionSettings,
            DatabaseUrlError,
        )

        self.project = project
        self._default_ports = DEFAULT_PORTS
        self.setWindowTitle("Database connection")
        self.resize(560, 360)
        self.testing = False
        self.last_report = None

        self.kind = QComboBox()
        for dialect in DRIVERS:
            self.kind.addItem(DISPLAY_NAMES.get(dialect, dialect), dialect)
        self.kind.addItem("SQLAlchemy URL", RAW)

        self.sqlite_path = QLineEdit()
        self.sqlite_path.setPlaceholderText("legacy.db (relative to the project folder)")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        sqlite_row = QHBoxLayout()
        sqlite_row.addWidget(self.sqlite_path, 1)
        sqlite_row.addWidget(browse)
        sqlite_page = QWidget()
        sqlite_form = QFormLayout(sqlite_page)
        sqlite_form.addRow("Database file", sqlite_row)

        self.host = QLineEdit()
        self.host.setPlaceholderText("localhost")
        self.port = QSpinBox()
        self.port.setRange(0, 65535)
        self.port.setSpecialValueText("default")
        self.database = QLineEdit()
        self.user = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        from app.ui.dialogs.secrets_prompt import IN_KEYCHAIN, where_secrets_go

        self.password_goes = where_secrets_go()
        self.password.setPlaceholderText("kept in the OS keychain; leave empty to keep the stored one"
                                         if self.password_goes == IN_KEYCHAIN
                                         else "for this session only: there is no OS keychain")
        self.password_note = QLabel(f"The password is kept {self.password_goes}; never in customdb.toml.")
        self.password_note.setWordWrap(True)
        self.password_note.setObjectName("passwordNote")
        server_page = QWidget()
        server_form = QFormLayout(server_page)
        for label, widget in (("Host", self.host), ("Port", self.port), ("Database", self.database),
                              ("User", self.user), ("Password", self.password)):
            server_form.addRow(label, widget)
        server_form.addRow("", self.password_note)

        self.raw_url = QLineEdit()
        self.raw_url.setPlaceholderText("postgresql+psycopg://user@host:5432/db")
        raw_page = QWidget()
        raw_form = QFormLayout(raw_page)
        raw_form.addRow("URL", self.raw_url)
        raw_form.addRow(QLabel("A password typed in the URL is moved out of it: kept "
                               f"{self.password_goes}."))

        self.pages = QStackedWidget()
        for page in (sqlite_page, server_page, raw_page):
            self.pages.addWidget(page)
        self.kind.currentIndexChanged.connect(self._kind_changed)

        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.test)
        self.result = QLabel()
        self.result.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)

        top = QFormLayout()
        top.addRow("Database type", self.kind)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.pages)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.result, 1)
        layout.addLayout(test_row)
        layout.addStretch(1)
        layout.addWidget(buttons)

        try:
            settings = ConnectionSettings.from_url(project.database_url)
        except DatabaseUrlError:
            settings = ConnectionSettings(raw_url=project.database_url)
        self._load(settings)

    # -- form <-> settings ---------------------------------------------------------------------
    def _load(self, settings) -> None:
        if settings.raw_url:
            self.kind.setCurrentIndex(self.kind.findData(RAW))
            self.raw_url.setText(settings.raw_url)
        else:
            self.kind.setCurrentIndex(self.kind.findData(settings.dialect))
            if settings.dialect == "sqlite":
                self.sqlite_path.setText(settings.database)
            else:
                self.host.setText(settings.host)
                self.port.setValue(settings.port or 0)
                self.database.setText(settings.database)
                self.user.setText(settings.user)
        self._kind_changed()

    def _kind_changed(self) -> None:
        kind = self.kind.currentData()
        self.result.clear()  # a test of the previous type says nothing about this one
        self.pages.setCurrentIndex(0 if kind == "sqlite" else 2 if kind == RAW else 1)
        if kind in self._default_ports and self.port.value() == 0:
            self.port.setValue(self._default_ports[kind])

    def settings(self):
        from app.engine.database import ConnectionSettings

        kind = self.kind.currentData()
        if kind == RAW:
            return ConnectionSettings(raw_url=self.raw_url.text().strip())
        if kind == "sqlite":
            return ConnectionSettings("sqlite", database=self.sqlite_path.text().strip())
        return ConnectionSettings(kind, host=self.host.text().strip(), port=self.port.value() or None,
                                  database=self.database.text().strip(), user=self.user.text().strip())

    def typed_password(self) -> str | None:
        """The password typed in the form or inside a raw URL; None when none was typed."""
        from app.engine.database import split_password

        if self.kind.currentData() == RAW:
            try:
                return split_password(self.raw_url.text().strip())[1]
            except ValueError:
                return None
        return self.password.text() or None if self.kind.currentData() != "sqlite" else None

    def connect_url(self) -> str:
        """The URL to test with: the form's URL plus the typed or stored password (never shown)."""
        from app.engine.database import database_url, parse_url

        url = self.settings().to_url()
        password = self.typed_password()
        if password:
            return parse_url(url).set(password=password).render_as_string(hide_password=False)
        return database_url(self.project, url)

    # -- actions -------------------------------------------------------------------------------
    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "SQLite database", str(self.project.root),
                                              "SQLite databases (*.db *.sqlite *.sqlite3);;All files (*)")
        if path:
            self.sqlite_path.setText(path)

    def test(self) -> None:
        if self.testing:
            return
        try:
            url = self.connect_url()
        except ValueError as e:
            self._show_report_text(False, f"✘ {e}")
            return
        from app.engine.database import test_connection

        self.testing = True
        self.test_button.setEnabled(False)
        self.result.setText("Connecting…")
        theme.styled(self.result, "")
        run_in_background(lambda: test_connection(url), self._tested,
                          lambda message: self._tested_error(message))

    def _tested(self, report) -> None:
        self.testing = False
        self.test_button.setEnabled(True)
        self.last_report = report
        self._show_report_text(*describe_report(report))

    def _tested_error(self, message: str) -> None:
        self.testing = False
        self.test_button.setEnabled(True)
        self._show_report_text(False, f"✘ {message}")

    def _show_report_text(self, ok: bool, text: str) -> None:
        self.result.setText(text)
        theme.styled(self.result, "color:{ok};" if ok else "color:{error};")

    def save(self) -> None:
        from app.engine.database import DATABASE_PASSWORD

        try:
            url = self.settings().to_url()
        except ValueError as e:
            QMessageBox.warning(self, "Database connection", str(e))
            return
        password = self.typed_password()
        previous = self.project.database_url
        self.project.database_url = url
        try:
            self.project.save()
        except (ProjectError, OSError) as e:
            self.project.database_url = previous
            QMessageBox.critical(self, "Database connection", f"Cannot save: {e}")
            return
        self.kept_in = store_secret(self.project, DATABASE_PASSWORD, password) if password else None
        if self.kept_in == "session":
            from app.ui.dialogs.secrets_prompt import SESSION_ONLY

            QMessageBox.information(self, "Database connection", f"Saved. The password is kept {SESSION_ONLY}.")
        self._check_dialect(previous, url)
        self.accept()

    def _check_dialect(self, previous_url: str, url: str) -> None:
        """Another database: scripts written for the old dialect are said so, templates offered."""
        from app.domain.dialects import dialect_of_url

        target = dialect_of_url(url)
        if target is not None and target != dialect_of_url(previous_url):
            from app.ui.dialogs.dialect_switch import offer_templates

            self.replaced_scripts = offer_templates(self, self.project, target, self.unsaved)
