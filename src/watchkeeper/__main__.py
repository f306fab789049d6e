"""``python -m watchkeeper``: the same as the ``watchkeeper`` command."""

import gc

gc.disable()  # for the imports of the command line too: `main` says why

from watchkeeper.cli import main  # noqa: E402

main()
