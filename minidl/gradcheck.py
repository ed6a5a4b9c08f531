"""``minidl.gradcheck``: check a Function's backward against finite differences (its home is
``minidl.teaching.gradcheck``).
"""

from minidl.teaching.gradcheck import (  # noqa: F401 - the public names
    GradcheckError, GradcheckReport, InputCheck, gradcheck
)
