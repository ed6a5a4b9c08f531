"""Genotypes turned into what a network or ABC reads: images (``encoder``), joint site frequency spectra (``sfs``)
and summary statistics (``sumstats``).
"""
