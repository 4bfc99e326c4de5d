import sys

from dlpipe.cli import main, runs_a_stage
from dlpipe.cli.ending import end_process

if sys.argv[1:] and runs_a_stage(sys.argv[1:]):  # a stage job
    from dlpipe.pipeline import job_client

    code = job_client.forward(sys.argv[1:])  # run by the job server of `dlpipe preload`
    code = main() if code is None else code
else:  # a command: predict, serve, feedback, ...
    code = main()
end_process(code)  # its outputs are closed by now
raise SystemExit(code)  # a thread still running: the usual exit, which waits for it
