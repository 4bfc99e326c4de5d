"""The anchor of bench_serve: a plain FastAPI endpoint on uvicorn (one process, as the model
server) whose POST answers its JSON body back, parsed and serialised again. What a request
costs there is the framework's ceiling for the model server's requests of the same size.

    python bench/echo_app.py PORT
"""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

app = FastAPI()


@app.post("/echo")
async def echo(request: Request) -> JSONResponse:
    return JSONResponse(await request.json())


@app.get("/ready")
def ready() -> dict:
    return {"ready": True}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), workers=1, access_log=False,
                log_level="warning")
