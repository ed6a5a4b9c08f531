"""genomics: tell demographic scenarios apart with CNNs trained on msprime simulations.

The folders follow the data, bottom first (imports point down only; see the README's architecture section):
``scenario/`` (priors, sampling design, demography; TOML, demes and ms) -> ``simulation/`` (seeded msprime
replicates in shards) -> ``encoding/`` (images, spectra, summary statistics) -> ``learning/`` (minidl networks,
ensembles, calibration, evaluation, regression; the batches they read) -> ``pipeline/`` (train, evaluate,
calibrate, predict); observed data come in through ``observed/`` (VCF, matrices, ms output, alignments);
``baselines/`` puts ABC beside the networks and checks a scenario's adequacy; ``cli/`` is the command line.
"""

import minidl  # noqa: F401, E402 - first, so that it sets up numpy's BLAS threads (see minidl.core.cores)
