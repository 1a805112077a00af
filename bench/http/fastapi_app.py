# The comparison server: uvicorn + FastAPI returning the same JSON document from memory.
# uvicorn --workers 2 --app-dir bench/http fastapi_app:app (DOC=path to the JSON file)
import os

from fastapi import FastAPI
from fastapi.responses import Response

DOCUMENT = open(os.environ["DOC"], "rb").read()
app = FastAPI()


@app.get("/doc")
def doc() -> Response:
    return Response(content=DOCUMENT, media_type="application/json")
