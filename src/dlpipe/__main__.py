import sys

from dlpipe.cli import main, runs_a_stage

code = main()
if sys.argv[1:] and runs_a_stage(sys.argv[1:]):  # a stage job: its outputs are closed by now
    from dlpipe.cli.run import end_job

    end_job(code)
raise SystemExit(code)
