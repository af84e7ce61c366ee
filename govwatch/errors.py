"""User-facing errors: a Chinese message for the person at the command line, exit status 2.

Any layer may raise a subclass (the distributed queue, the CLI itself); ``govwatch.cli.main`` prints
it. Imports nothing of the project.
"""


class UserError(Exception):
    """A user-facing error: printed in Chinese, exit status 2."""
