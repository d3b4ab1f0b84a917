"""A preview's progress, streamed to the page that asked for it.

A 100,000-row file takes a while to check, and to write. The upload form's
and the preview's scripts (`static/admin.js`) ask for the preview, or its
confirmation, with `Accept: application/x-ndjson` and get one JSON line per
batch of rows done (`{"rows": 12500}`), then one line with the finished page
(`{"status": 200, "html": "..."}`), which they show in place of the form, or
with where to go (`{"status": 303, "location": "..."}`). The progress
travels only in the response that does the work, so any worker can answer
it and nothing is kept between requests (the page's forms get their CSRF
token as an HTML page's do).
Without the script, the form posts as any form does and the preview page
comes when it is done.
"""

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import anyio
from anyio import from_thread, to_thread
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from admin_app.auth.csrf import with_form_tokens

MEDIA_TYPE = "application/x-ndjson"

T = TypeVar("T")


def wants_progress(request: Request) -> bool:
    return MEDIA_TYPE in request.headers.get("accept", "")


def progress_response(
    request: Request,
    work: Callable[[Callable[[int], None]], T],
    page: Callable[[T | None, Exception | None], Awaitable[Response]],
    expected: type[Exception],
) -> StreamingResponse:
    """Run `work` in a worker thread, streaming each count it reports, then
    the page `page` makes of its result (or of the `expected` error it
    raised)."""
    send, receive = anyio.create_memory_object_stream[int](16)

    def report(done: int) -> None:
        from_thread.run(send.send, done)

    async def lines() -> AsyncIterator[str]:
        outcome: dict[str, object] = {}

        async def run() -> None:
            async with send:
                try:
                    outcome["result"] = await to_thread.run_sync(work, report)
                except expected as error:
                    outcome["error"] = error

        async with anyio.create_task_group() as group:
            group.start_soon(run)
            async with receive:
                async for done in receive:
                    yield json.dumps({"rows": done}) + "\n"
        error = outcome.get("error")
        response = await page(
            outcome.get("result"),  # type: ignore[arg-type]
            error if isinstance(error, Exception) else None,
        )
        location = response.headers.get("location")
        if location is not None:  # done: where to go next
            line = {"status": response.status_code, "location": location}
            yield json.dumps(line) + "\n"
            return
        # the CSRF middleware adds the forms' tokens to HTML responses only
        body = with_form_tokens(bytes(response.body), request.session).decode()
        yield json.dumps({"status": response.status_code, "html": body}) + "\n"

    return StreamingResponse(
        lines(),
        media_type=MEDIA_TYPE,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
