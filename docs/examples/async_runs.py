"""asyncio: many runs on one event loop, a live stream, and a named session."""

from __future__ import annotations

import asyncio

from codex_local_sdk import CodexExecRequest, CodexLocalClient


async def review_all(client: CodexLocalClient, files: list[str]) -> dict[str, str]:
    """One review per file, all at once. No thread per run: the event loop watches the pipes."""

    async def review(name: str) -> tuple[str, str]:
        result = await client.run_prompt_async(f"Review {name}", sandbox="read-only", timeout_seconds=600)
        return name, result.final_message or ""

    # An outer deadline: wait_for cancels what is left, and a cancelled run's process group
    # is killed and reaped before CancelledError propagates.
    pairs = await asyncio.wait_for(asyncio.gather(*(review(name) for name in files)), timeout=900)
    return dict(pairs)


async def stream(client: CodexLocalClient, prompt: str) -> str | None:
    request = CodexExecRequest(prompt=prompt, sandbox="read-only")
    async with await client.run_live_async(request, timeout_seconds=600) as run:
        async for event in run.iter_events():
            print("event:", event.type, event.item_type or "")
        result = await run.result()
    return result.final_message


async def conversation(client: CodexLocalClient) -> None:
    session, first = await client.start_thread_async("Pick a name for the new module", session_name="naming")
    second = await session.continue_prompt_async("Shorter, please")
    print(f"{session.session_name}: {first.final_message!r} -> {second.final_message!r}")


async def run_all(client: CodexLocalClient) -> None:
    print(await review_all(client, ["cli.py", "store.py"]))
    print("final:", await stream(client, "Explain src/main.py"))
    await conversation(client)


def main(client: CodexLocalClient | None = None) -> None:
    asyncio.run(run_all(client or CodexLocalClient()))


if __name__ == "__main__":
    main()
