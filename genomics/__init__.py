"""genomics: tell demographic scenarios apart with CNNs trained on msprime simulations.

The flow, one module per arrow (see the README for the command line):
scenario (``scenarios``, ``catalogue``, ``priors``) -> seeded simulations
(``simulate``) -> images (``encode``) -> a trained minidl network and its
bundle (``models``, ``workflow``) -> posterior probabilities for a VCF
(``vcf``); ``sumstats`` and ``abc`` give the classical baseline.
"""

import minidl  # noqa: F401, E402 - first, so that it sets up numpy's BLAS threads (see minidl.cores)
