import sys

from scanner.action.run import main

sys.exit(main())
