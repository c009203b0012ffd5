import sys

from scanner.integrations.action.run import main

sys.exit(main())
