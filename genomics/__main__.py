import sys

from genomics.cli import main

sys.exit(main())
