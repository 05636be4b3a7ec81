"""simplemon: an INI-driven availability and alerting monitor."""

__version__ = "0.1.0"
