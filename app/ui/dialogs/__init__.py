"""Dialogs: new project, database connection, configuration & secrets."""
