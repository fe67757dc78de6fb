"""``python -m app.translations [new languages]``: see the package's docstring."""
import sys

from . import main

main(sys.argv[1:])
