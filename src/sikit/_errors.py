"""The one exception type for bad input; the CLI prints its message and exits 2."""


class SikitInputError(ValueError):
    """Input that sikit cannot use: the message names the problem and what was expected."""


def require_columns(df, columns, what: str) -> None:
    """Raise :class:`SikitInputError` naming every column of ``columns`` that ``df`` lacks.

    Examples
    --------
    >>> import pandas as pd
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a", "b"], "orders")
    Traceback (most recent call last):
    ...
    sikit._errors.SikitInputError: orders lack required column(s) b; found: a
    """
    missing = [c for c in columns if c not in df.columns]
    if missing:
        found = ", ".join(map(str, df.columns)) or "none"
        raise SikitInputError(f"{what} lack required column(s) {', '.join(missing)}; found: {found}")
