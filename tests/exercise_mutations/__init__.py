"""Planted mistakes: each file is one of ``tests/exercise_answers`` with one change a student might make.

``CHANGES`` lists (text of the answer, what replaces it), ``APPEND`` code added
at the end (a name rebound to minidl's own), and ``EXPECT`` the words of the
failed finding that must point at the mistake.
"""
