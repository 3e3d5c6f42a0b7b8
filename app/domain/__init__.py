"""Floor 1: the rules of the domain. Pure Python: never imports Qt, SQLAlchemy engines or the runtime."""
