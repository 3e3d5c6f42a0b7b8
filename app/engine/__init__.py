"""Floor 2: the parent side. Drives runner children, databases and secrets; never imports Qt."""
