"""Model files: minidl's own .npz format (``npz``: weights, configuration, optimizer state), Keras's .keras and .h5
files without Keras (``keras_files``), and ``load_model`` for both (``loading``). This package is
``minidl.saving``, Keras's ``keras.saving``: it offers the names of ``npz``.
"""

from minidl.saving.npz import (  # noqa: F401 - the public names
    CustomObjectScope, FORMAT_VERSION, MODEL_FORMAT, MODEL_LOADER, ModelFileError, OPTIMIZER_STATE,
    WEIGHTS_FORMAT, custom_object_scope, deserialize_keras_object, get_custom_objects,
    get_registered_name, get_registered_object, load_model, load_weights, optimizer_state_of,
    read_extra_weights, read_metadata, read_model, read_model_file, read_optimizer_state,
    register_keras_serializable, register_serializable, save_model, save_weights, serialize_keras_object
)
