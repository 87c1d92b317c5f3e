"""The instructors' tools: grade a class (``python -m grader batch``), check students' copies
of the grader (``python -m grader verify``), write the student template
(``python -m grader.instructor.release``) and the README's exercise table
(``python -m grader.instructor.docs``).

Nothing in the engine (the modules at the top of ``grader/``) imports this package, and the
student template does not ship it.
"""
