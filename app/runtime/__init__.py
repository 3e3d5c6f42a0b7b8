"""Floor 1b: what runs inside the child process. Imports fast; never Qt, jedi or app.engine."""
