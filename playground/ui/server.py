"""The live view's channel, mounted beside Streamlit's own routes (see app.py).

`/playground/live?token=...` is a WebSocket per open page: the server sends the frames the
training workers build (playground/draw/frames.py), one at a time, each after the browser has
acknowledged the last; the browser sends small JSON requests (acknowledgements, the node to
look closer at, an edited weight). `/playground/static/<file>` serves the view's JavaScript from
playground/ui/static, so the page needs nothing from the internet.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from playground.schedule import JOBS, LiveJob

STATIC = Path(__file__).resolve().parent / "static"
MAX_MESSAGE = 4096  # bytes of one request from the browser
_LOG = logging.getLogger(__name__)


def base_path() -> str:
    """Streamlit's server.baseUrlPath as a route prefix ("" or "/name")."""
    from streamlit import config

    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def routes() -> list[BaseRoute]:
    base = base_path()
    return [WebSocketRoute(f"{base}/playground/live", live),
            Route(f"{base}/playground/static/{{name}}", static)]


def static_version() -> str:
    """A hash of the view's files: part of their URL, so a new version is never served stale."""
    digest = hashlib.sha256()
    for path in sorted(STATIC.glob("*.js")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


async def static(request: Request) -> Response:
    name = request.path_params["name"]
    path = STATIC / name
    if "/" in name or not name.endswith(".js") or not path.is_file():
        return Response("not found", status_code=404, media_type="text/plain")
    return Response(path.read_bytes(), media_type="text/javascript",
                    headers={"Cache-Control": "no-cache"})


async def live(ws: WebSocket) -> None:
    await ws.accept()
    job = JOBS.get(ws.query_params.get("token", ""))
    if job is None:
        await ws.close(code=4404)  # an ended session: the page says to reload
        return
    loop, ready, viewer = asyncio.get_running_loop(), asyncio.Event(), object()
    job.on_frame = lambda: loop.call_soon_threadsafe(ready.set)
    await asyncio.to_thread(job.attach, viewer)
    sender = asyncio.create_task(_send_frames(ws, job, ready))
    try:
        while True:
            text = await ws.receive_text()
            if len(text) <= MAX_MESSAGE:
                await _handle(job, text)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender
        job.detach(viewer)


async def _send_frames(ws: WebSocket, job: LiveJob, ready: asyncio.Event) -> None:
    while True:
        await ready.wait()
        ready.clear()
        item = job.take_frame()
        if item is not None:
            await ws.send_bytes(item[1])


async def _handle(job: LiveJob, text: str) -> None:
    """One request from the browser; anything malformed is ignored."""
    try:
        message = json.loads(text)
    except ValueError:
        return
    if not isinstance(message, dict):
        return
    # The learner clicked Pause or Step (not via Streamlit), seeing the frame `seen`.
    seen = message.get("seen") if type(message.get("seen")) is int else None
    if message.get("pause") is True:
        await asyncio.to_thread(job.pause, seen)
    if message.get("step") is True:
        await asyncio.to_thread(job.step, seen=seen)
    train = message.get("train")
    if isinstance(train, dict) and type(train.get("stop_after")) is bool:
        epochs = job.run.config.epochs if train["stop_after"] else None
        await asyncio.to_thread(job.train, epochs)
    if message.get("resync"):
        job.resync()
    if "ack" in message:
        job.ack()
    closer = message.get("closer")
    if isinstance(closer, list) and len(closer) == 2 and all(type(v) is int for v in closer):
        await asyncio.to_thread(job.request, closer=tuple(closer))
    edit = message.get("edit")
    if isinstance(edit, dict):
        try:
            await asyncio.to_thread(job.edit, edit)
        except ValueError as e:
            _LOG.info("edit refused: %s", e)
