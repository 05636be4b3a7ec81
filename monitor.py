"""Entry point: ``python monitor.py`` runs simplemon with the INI files beside it."""

from simplemon.cli import exit_now, main

exit_now(main())
