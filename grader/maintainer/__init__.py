"""The maintainers' tools, which need the full kit (its solutions and test fixtures):
``python -m grader.maintainer.stress`` and ``python -m grader.maintainer.benchmark``.

Nothing in the engine imports this package, and the student template does not ship it.
"""
