"""afterview: a job search kept as an append-only, auditable log.

The installed package maps ``src/`` to ``afterview``: ``afterview.engine`` (the log, the
rules, the daemon), ``afterview.cli`` (the command line) and ``afterview.web`` (the browser
app). Nothing else lands in site-packages.
"""

__version__ = "0.1.0"
