"""``minidl.plot``: pictures of training, evaluation and the computation graph (its home is
``minidl.teaching.plot``).
"""

from minidl.teaching.plot import (  # noqa: F401 - the public names
    confusion_matrix, graph, layer_statistics, predicted_against_true, reliability_diagram, roc_curve,
    scatter_groups, training_curves
)
