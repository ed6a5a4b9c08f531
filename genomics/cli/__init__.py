"""The ``genomics`` command: ``main`` parses the arguments and calls the library; ``python -m genomics`` runs it.
"""
