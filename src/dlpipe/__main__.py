import sys

from dlpipe.cli import main, runs_a_stage

if sys.argv[1:] and runs_a_stage(sys.argv[1:]):  # a stage job
    from dlpipe.pipeline import job_client

    code = job_client.forward(sys.argv[1:])  # run by the job server of `dlpipe preload`
    code = main() if code is None else code
    from dlpipe.cli.run import end_job

    end_job(code)  # its outputs are closed by now
raise SystemExit(main())
