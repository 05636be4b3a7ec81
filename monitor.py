"""Entry point: ``python monitor.py`` runs simplemon with the INI files beside it."""

from simplemon.startup import run

run()
