"""The composition root: wires the domain packages into an application, a CLI and the jobs."""

from importlib.metadata import version as _version


def version() -> str:
    """The installed version (``pyproject.toml``), as ``--version``, ``serve`` and the API say."""
    return _version("supportline")
