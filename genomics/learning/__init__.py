"""minidl networks trained on the simulations: the architectures (``networks``), ensembles, temperature
calibration, evaluation scores, regression of parameters, and the batches they read (``batches``).
"""
