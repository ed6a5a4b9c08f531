import sys

from genomics.cli.main import main

sys.exit(main())
