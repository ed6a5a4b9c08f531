"""Models: the graph of layers (functional ``Model``, ``Sequential``) and loading; training is ``minidl.training``.

=============  ==============================================================
module         what it holds
=============  ==============================================================
graph          the order of a graph's calls and layers; running it; names
fusion         pairs of layers run as one function (Conv2D with ReLU, MaxPooling2D)
functional     Model(inputs, outputs): structure, weights, summary, config
sequential     Sequential: a straight graph built layer by layer
subclassed     models written as Keras subclasses, with their own call()
summary        model.summary()'s table
keras_files    Keras .keras and legacy .h5 files, read and written without Keras
loading        load_model (minidl .npz files and Keras files)
=============  ==============================================================
"""

from minidl.models.functional import Model
from minidl.models.graph import GraphError
from minidl.models.keras_files import KerasFileError
from minidl.models.loading import load_model
from minidl.models.sequential import Sequential

__all__ = ["GraphError", "KerasFileError", "Model", "Sequential", "load_model"]
