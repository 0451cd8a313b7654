"""The one exception type for bad input; the CLI prints its message and exits 2."""


class SikitInputError(ValueError):
    """Input that sikit cannot use: the message names the problem and what was expected."""
