from .root import main
import sys
sys.exit(main())
