"""The course's experiments, one module per lecture; each draws that lecture's figures.

Every module here is found by the figure pipeline (``aicourse.figures.spec``).
"""
