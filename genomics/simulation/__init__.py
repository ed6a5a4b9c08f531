"""Seeded msprime simulations: one replicate of every locus (``loci``), one replicate and one shard from a scenario
and a seed (``replicate``), a simulation folder's manifest, shard files and reading them back (``folder``), the
parallel, resumable run that writes a folder and tops it up (``run``), replicates read back from the shards on
demand (``store``) and the executor of a Dask cluster (``cluster``).
"""
