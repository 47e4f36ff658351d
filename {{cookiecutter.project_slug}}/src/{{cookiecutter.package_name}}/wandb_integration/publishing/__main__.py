"""``python -m <package>.wandb_integration.publishing``: the publish command (see ``publish.py``)."""

import sys

from .publish import main

sys.exit(main())
