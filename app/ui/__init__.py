"""Floor 3: PySide6 widgets, thin views over engine objects."""
