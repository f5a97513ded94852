"""``python -m reasonlab.build``: the command line of :func:`reasonlab.build.main`."""

import sys

if __name__ == "__main__":
    from . import main

    sys.exit(main())
