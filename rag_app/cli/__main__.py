import sys

from rag_app.cli.main import main

sys.exit(main())
