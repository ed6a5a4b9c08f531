"""genomics: tell demographic scenarios apart with CNNs trained on msprime simulations.

The flow, one module per arrow (see the README for the command line):
scenario (``scenarios``, ``catalogue``, ``priors``) -> seeded simulations
(``simulate``) -> images (``encode``) -> a trained minidl network and its
bundle (``models``, ``workflow``), its probabilities calibrated
(``calibration``) -> scenario probabilities for observed data (``vcf``,
``readers``); ``sumstats`` and ``abc`` give ABC from the same simulations,
``comparison`` puts both side by side, ``adequacy`` checks that the data
look like some scenario, ``regression`` estimates parameters.
"""

import minidl  # noqa: F401, E402 - first, so that it sets up numpy's BLAS threads (see minidl.cores)
