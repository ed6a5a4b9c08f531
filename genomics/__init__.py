"""genomics: simulation-trained classification of demographic scenarios, on minidl.

Not built yet: this package is reserved for the workflow (msprime scenarios
with priors -> simulated genotype images -> a trained minidl classifier ->
prediction on a VCF) that its own issue delivers. See DESIGN.md in shared/.
"""
