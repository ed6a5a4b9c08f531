"""Side-by-side benchmarks of minidl against Keras (TensorFlow backend) and PyTorch on the CPU.

Run ``python -m benchmarks --vs keras,torch``; see ``python -m benchmarks --help``.
Each framework runs in its own child process (one process tree), on the same
synthetic data made from the same seed, so their thread pools never compete.
"""
