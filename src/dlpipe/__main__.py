import sys

from dlpipe.cli import COMMANDS, main

code = main()
if sys.argv[1:] and sys.argv[1] not in COMMANDS:  # a stage job: its outputs are closed by now
    from dlpipe.cli.run import end_job

    end_job(code)
raise SystemExit(code)
