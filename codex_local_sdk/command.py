"""Request -> argv for ``codex exec`` and its ``resume``, ``fork`` and ``review`` subcommands
(pure functions).

The prompt is never put in argv: the positional prompt is always ``-`` and the text goes on
stdin. An argument is limited to ~128 KiB by the kernel, and a prompt that starts with ``-``
would be parsed as a flag.

Exec-level options go before the subcommand (``resume <THREAD_ID>``); images go after it (as
``--image=FILE`` so the option cannot swallow the next argument), because ``codex exec -i
x.png resume <id>`` reads ``resume`` and the id as more image paths and starts a new thread.
An option the subcommand does not accept (see :data:`~codex_local_sdk._cli_options.OPTIONS`)
is refused before anything runs.

A few options render by the installed CLI's version (:mod:`codex_local_sdk.versions`): the
deprecated ``full_auto`` is ``--full-auto`` for the CLIs that had that flag, and
``--sandbox workspace-write`` (what it chose) for the others, or when the version is unknown.
"""

from __future__ import annotations

import enum
from typing import Any

import attrs

from ._cli_options import OPTIONS, CliOption, Subcommand
from ._toml import render_toml_value as render_toml_value
from .models import CodexExecRequest
from .versions import CliVersion, option_support


@attrs.frozen(kw_only=True)
class Command:
    """Where ``codex exec`` goes: a new thread (the default), or a subcommand with its own
    arguments. Build one with :meth:`resume`, :meth:`resume_last`, :meth:`fork` or
    :meth:`review`.

    Attributes:
        subcommand: ``"resume"``, ``"fork"``, ``"review"``, or ``None`` for a new thread.
        arguments: what follows the subcommand (the thread id, ``--last``, ``--uncommitted``...).
        prompt: whether the run reads a prompt from stdin (the positional ``-``).
    """

    subcommand: Subcommand | None = None
    arguments: tuple[str, ...] = ()
    prompt: bool = True

    @classmethod
    def resume(cls, thread_id: str) -> Command:
        """``resume <THREAD_ID> -``: a turn of an existing thread."""
        return cls(subcommand="resume", arguments=(thread_id,))

    @classmethod
    def resume_last(cls) -> Command:
        """``resume --last -``: a turn of the CLI's most recent session."""
        return cls(subcommand="resume", arguments=("--last",))

    @classmethod
    def fork(cls, thread_id: str, *, prompt: bool) -> Command:
        """``fork <THREAD_ID> [-]``: a new thread carrying the history of ``thread_id``; without
        a prompt the CLI starts it and runs no turn."""
        return cls(subcommand="fork", arguments=(thread_id,), prompt=prompt)

    @classmethod
    def review(
        cls,
        *,
        uncommitted: bool = False,
        base: str | None = None,
        commit: str | None = None,
        title: str | None = None,
        instructions: bool = False,
    ) -> Command:
        """``review``: a code review of exactly one of: the uncommitted changes, the changes
        against branch ``base``, those of ``commit``, or what the custom ``instructions`` (the
        prompt) ask.

        Raises:
            TypeError: ``uncommitted`` is not a bool, ``base``, ``commit`` or ``title`` not a str.
            ValueError: none or several of the four (the CLI refuses those, exit 1 or 2), or
                an empty ``base``, ``commit`` or ``title``, or one starting with ``-``.
        """
        if not isinstance(uncommitted, bool):
            raise TypeError(f"uncommitted must be True or False, got {uncommitted!r}")
        for name, text in (("base", base), ("commit", commit), ("title", title)):
            if text is not None and not isinstance(text, str):
                raise TypeError(f"{name} must be a str, got {text!r} ({type(text).__name__})")
            if text is not None and (not text.strip() or "\0" in text or text.startswith("-")):
                raise ValueError(
                    f"{name} must be a non-blank string without NUL, not starting with '-' (the CLI "
                    f"would read it as an option), got {text!r}"
                )
        given = [
            label
            for label, on in (
                ("uncommitted=True", uncommitted),
                ("base=", base is not None),
                ("commit=", commit is not None),
                ("instructions=", instructions),
            )
            if on
        ]
        if len(given) != 1:
            raise ValueError(
                "a review needs exactly one of uncommitted=True, base=, commit= or instructions=; "
                + (f"got {' and '.join(given)}" if given else "got none")
                + " (codex exec review accepts no other combination)"
            )
        arguments = ["--uncommitted"] if uncommitted else []
        for flag, value in (("--base", base), ("--commit", commit), ("--title", title)):
            if value is not None:
                arguments += [flag, value]
        return cls(subcommand="review", arguments=tuple(arguments), prompt=instructions)


NEW_THREAD = Command()
"""A run that starts a new thread: ``codex exec [options] -``."""


def build_exec_argv(
    codex_bin: str,
    request: CodexExecRequest,
    *,
    resume_thread_id: str | None = None,
    resume_last: bool = False,
    command: Command | None = None,
    cli_version: CliVersion | None = None,
) -> list[str]:
    """The argv that runs ``request`` as ``command``; without one, a new thread, a turn of
    ``resume_thread_id``, or (``resume_last``) a turn of the CLI's most recent session.

    Args:
        codex_bin: ``argv[0]``, used as given.
        request: the options to render; its prompt is not used (it goes on stdin).
        resume_thread_id: resume this thread (wins over ``resume_last``).
        resume_last: resume the CLI's most recent session.
        command: where the run goes (wins over ``resume_thread_id`` and ``resume_last``).
        cli_version: the installed CLI's version, for the options that render by it;
            ``None``: render for the newest CLI.

    Returns:
        ``[codex_bin, "exec", <options>, <extra_args>, (<subcommand> <arguments>),
        --image=FILE..., "-"]``, the ``-`` only when the command takes a prompt.

    Raises:
        TypeError: a ``config`` value with no TOML form.
        ValueError: a NaN or infinite float in ``config``; an option that the command's
            subcommand does not accept, named with it.
    """
    if command is None:
        if resume_thread_id is not None:
            command = Command.resume(resume_thread_id)
        else:
            command = Command.resume_last() if resume_last else NEW_THREAD
    given = [(option, value) for option in OPTIONS if _is_given(option, value := _value(request, option))]
    _check_accepted(command, [option for option, _ in given])
    argv = [codex_bin, "exec"]
    full_auto_flag = _full_auto_flag(request, cli_version)
    for option, value in given:
        if option.field == "sandbox" and full_auto_flag:
            argv.append("--full-auto")
        elif not option.after:
            argv += _render(option, value)
    argv += request.extra_args
    if command.subcommand is not None:
        argv += [command.subcommand, *command.arguments]
    for option, value in given:
        if option.after:
            argv += _render(option, value)
    if command.prompt:
        argv.append("-")
    return argv


def _value(request: CodexExecRequest, option: CliOption) -> Any:
    if option.field == "sandbox":
        return request.effective_sandbox
    return getattr(request, option.field)


def _is_given(option: CliOption, value: Any) -> bool:
    """Whether a field's value asks for its option: a true flag, a value (``False`` too, for
    a ``config`` field), a non-empty sequence or mapping."""
    if option.kind == "flag":
        return bool(value)
    return value is not None and value != () and value != {}


def _check_accepted(command: Command, options: list[CliOption]) -> None:
    where = f"codex exec {command.subcommand}" if command.subcommand else "a new thread (codex exec)"
    for option in options:
        if not option.accepted_by(command.subcommand):
            raise ValueError(
                f"{option.field} ({option.flag}) is not accepted by {where}: leave it out of this run"
            )
        if option.field == "cyber_access_program" and command.subcommand == "fork" and not command.prompt:
            raise ValueError(
                "cyber_access_program (--cyber-access-program) needs a prompt on codex exec fork: "
                "pass a prompt, or leave it out"
            )


def _render(option: CliOption, value: Any) -> list[str]:
    """The arguments of one given option."""
    if isinstance(value, enum.Enum):
        value = value.value
    if option.kind == "flag":
        return [option.flag]
    if option.kind == "value":
        return [option.flag, value]
    if option.kind == "config":
        return ["-c", f"{option.flag}={render_toml_value(value)}"]
    if option.kind == "overrides":
        return [arg for key, item in value.items() for arg in ("-c", f"{key}={render_toml_value(item)}")]
    if option.after:
        return [f"{option.flag}={item}" for item in value]
    return [arg for item in value for arg in (option.flag, item)]


def _full_auto_flag(request: CodexExecRequest, cli_version: CliVersion | None) -> bool:
    """Whether ``full_auto`` renders as ``--full-auto``: the CLI still had that flag."""
    if cli_version is None or not renders_by_version(request):
        return False
    row = option_support("exec", "--full-auto")
    return row is not None and row.supported_by(cli_version)


def renders_by_version(request: CodexExecRequest) -> bool:
    """Whether ``request``'s argv depends on the CLI's version (beyond the options' checks)."""
    return request.full_auto and request.sandbox is None
