"""Models: the graph of layers (functional ``Model``, ``Sequential``) and loading; training is ``minidl.training``.

=============  ==============================================================
module         what it holds
=============  ==============================================================
graph          the order of a graph's calls and layers; running it; names
fusion         pairs of layers run as one function (Conv2D with ReLU, MaxPooling2D)
functional     Model(inputs, outputs): structure, weights, summary, config
sequential     Sequential: a straight graph built layer by layer
keras_training compile_config and optimizer variables of Keras files
subclassed     models written as Keras subclasses, with their own call()
summary        model.summary()'s table
keras_files    Keras .keras and legacy .h5 files, read and written without Keras
loading        load_model (minidl .npz files and Keras files)
cloning        clone_model, model.to_json, model_from_json
=============  ==============================================================
"""

from minidl.models.cloning import clone_model, model_from_json
from minidl.models.functional import Model
from minidl.models.graph import GraphError
from minidl.saving.keras_files import KerasFileError
from minidl.saving.loading import load_model
from minidl.models.sequential import Sequential
from minidl.saving.npz import MODEL_LOADER

MODEL_LOADER["load_model"] = load_model  # keras.saving.load_model is minidl.saving.load_model

__all__ = ["GraphError", "KerasFileError", "Model", "Sequential", "clone_model", "load_model", "model_from_json"]
