"""Monitor plugins, one module per INI type (see simplemon.registry)."""
