"""Errors the CLI turns into one clear line and exit code 2 (no traceback wall)."""


def one_line(text: str, limit: int) -> str:
    """``text``'s first line, cut to ``limit`` characters: what a message repeats of something
    it did not write (a library's error, a client's value or path)."""
    lines = str(text).strip().splitlines()
    first = lines[0] if lines else ""
    return first if len(first) <= limit else first[:limit - 3] + "..."


class DlpipeError(Exception):
    """A known failure with a message meant for the user."""


class ParamsError(DlpipeError):
    """params.yaml is wrong: names the file, the key path, what was expected and what was found."""


class DataError(DlpipeError):
    """A dataset is missing, corrupt, or does not match its checksum."""


class StorageError(DlpipeError):
    """A file could not be read or written (disk full, quota, permission, I/O error): names
    the job and the file."""


class InputError(DlpipeError):
    """Rows given for prediction do not fit the model's schema; ``problems`` holds one line per
    problem (the column and, for a cell, its 1-based data row)."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        shown = "; ".join(self.problems[:3])
        more = f" (and {len(self.problems) - 3} more)" if len(self.problems) > 3 else ""
        super().__init__(f"{len(self.problems)} problem(s) with the input rows: {shown}{more}")

    def report(self, source: str, shown: int = 20) -> str:
        """What a command prints: one line per problem (the first ``shown``, then how many
        more), each naming ``source``, and that nothing was written."""
        lines = self.problems[:shown]
        if len(self.problems) > shown:
            lines.append(f"and {len(self.problems) - shown} more problems")
        lines.append(f"{len(self.problems)} problem(s) with the rows; nothing written")
        return "\n".join(f"dlpipe: error: {source}: {line}" for line in lines)
