"""Seeded msprime simulations: one replicate of every locus (``loci``), parallel, resumable shards with their
manifest (``run``), replicates read back from the shards (``store``) and the executor of a Dask cluster
(``cluster``).
"""
