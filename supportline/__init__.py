"""The composition root: wires the domain packages into an application, a CLI and the jobs."""
