import sys

from securitycam.cli import main

sys.exit(main())
