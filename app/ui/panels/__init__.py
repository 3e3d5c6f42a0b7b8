"""Dock panels of the main window: run, output, SQL, findings, schema."""
