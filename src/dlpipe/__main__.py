from dlpipe.cli import main

raise SystemExit(main())
