"""The training layer (Keras 3's ``trainers/``): one loop, adapters in front, callbacks behind.

==================  ===================================================================
module              job
==================  ===================================================================
standardize         user data as one checked array per model input/output; weights
data_adapters       arrays, PyDatasets and generators as one epoch's batches
epoch_iterator      the one way fit, evaluate and predict read data
compile_utils       what compile was given: the compiled loss and metrics, epoch means
callback_list       every loop calls its callbacks through one CallbackList
finite_weights      the state to go back to when a loss is NaN or infinite
trainer             compile, fit, evaluate, predict (each written once), *_on_batch
==================  ===================================================================
"""

from minidl.training.trainer import Trainer

__all__ = ["Trainer"]
