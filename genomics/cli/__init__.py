"""The ``genomics`` command line, thin: ``parser`` (the subcommands and their options, shared groups in
``options``), ``commands`` (one short function per command: parse -> one library call -> print), ``report``
(everything printed about a result) and ``main`` (the entry point: errors and signals to one line and an exit
status). ``python -m genomics`` runs ``main``.
"""
