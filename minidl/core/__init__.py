"""What every other part of minidl stands on: the version, numerical settings (``config``: epsilon), the BLAS
threads and when kernels run in parallel (``cores``), the buffer cache (``memory``), the seed (``random``), name
look-ups for serializable objects (``registry``) and the backend (numpy or cupy, chosen by the data; devices;
arrays only, never Tensors).
"""
