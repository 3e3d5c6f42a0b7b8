"""Custom DB Studio: a desktop IDE for custom database connection action scripts."""

__version__ = "0.1.0"
