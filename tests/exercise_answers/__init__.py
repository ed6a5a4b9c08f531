"""A teacher's answer key: each exercise solved from scratch, as a student would, with numpy.

These files are what the checkers must accept on every run of their
randomised cases; the planted mistakes of ``tests/exercise_mutations`` are
each one of these files with one change.
"""
