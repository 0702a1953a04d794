"""Live streaming on asyncio, and many runs at once on one event loop."""

from __future__ import annotations

import asyncio

from codex_local_sdk import CodexExecRequest, CodexLocalClient


async def stream(client: CodexLocalClient) -> None:
    request = CodexExecRequest(prompt="Explain src/main.py", skip_git_repo_check=True)
    async with await client.run_live_async(request, timeout_seconds=300) as run:
        async for event in run.iter_events():
            print("event:", event.type, event.item_type or "")
        result = await run.result()
    print("final:", result.final_message)


async def fan_out(client: CodexLocalClient, files: list[str]) -> list[str | None]:
    """One review per file, all at once; cancelling this task kills every run."""
    results = await asyncio.gather(
        *(client.run_prompt_async(f"Review {name}", skip_git_repo_check=True) for name in files)
    )
    return [result.final_message for result in results]


def main(client: CodexLocalClient) -> None:
    asyncio.run(stream(client))
    print(asyncio.run(fan_out(client, ["a.py", "b.py"])))


if __name__ == "__main__":
    main(CodexLocalClient())
