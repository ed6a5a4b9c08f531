"""What the networks are measured against and checked with: ABC (``abc``), ABC beside the network on the same
replicates (``comparison``) and the adequacy of a scenario for observed data (``adequacy``).
"""
