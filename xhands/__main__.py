import sys

from .daemon.client.commands import main

sys.exit(main())
