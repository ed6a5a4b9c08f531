"""The user's data files read into genotypes: VCF with a population map (``vcf``), 0/1 matrices, ms output and
alignments (``readers``, ``ms_output``).
"""
