"""Figures the reliability tests measure, printed at the end of every run
under "reliability figures", so the README can quote what CI saw."""

lines: list[str] = []


def report(line: str) -> None:
    lines.append(line)
