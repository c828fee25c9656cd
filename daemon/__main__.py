import sys

from .client.commands import main

sys.exit(main())
