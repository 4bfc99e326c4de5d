"""Errors the CLI turns into one clear line and exit code 2 (no traceback wall)."""


class DlpipeError(Exception):
    """A known failure with a message meant for the user."""


class ParamsError(DlpipeError):
    """params.yaml is wrong: names the file, the key path, what was expected and what was found."""


class DataError(DlpipeError):
    """A dataset is missing, corrupt, or does not match its checksum."""
