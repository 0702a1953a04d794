"""Structured output into the caller's own types: the strict JSON schema a type asks for, and
its reading of the final message.

An output type is one of: a JSON Schema mapping (the reply is plain parsed JSON), an attrs
class or a dataclass (the SDK writes the schema and cattrs structures the reply), or a class
that has pydantic v2's ``model_json_schema()`` and ``model_validate_json()`` (its schema made
strict, its own validation). :func:`output_spec` checks the type before anything runs;
:func:`read_output` puts the reading into the result.

The service behind the CLI accepts only strict schemas: every property required, no other
property allowed. So a class field with a default is still a property the reply must give,
and a type a strict schema cannot describe (a free-form ``dict``, ``Any``, a union of two
classes) is refused with a ``TypeError`` that names the field. cattrs is imported only when a
class is read, so a run without one never loads it.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, Union

import attrs

from .results import CodexExecResult

if TYPE_CHECKING:
    import cattrs

OutputType: TypeAlias = Mapping[str, Any] | type[Any]
"""What ``output_type=`` (and ``run_with_schema``'s ``schema``) takes: a JSON Schema mapping, an
attrs class, a dataclass, or a pydantic v2 model class."""

_SCALARS: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
}

_SUPPORTED = (
    "str, int, float, bool, list[X], tuple[X, ...], X | None, Literal[...], an Enum, "
    "or another attrs class or dataclass"
)


class OutputMismatch(ValueError):
    """The final message does not fit the output type; ``reasons`` says where, one per field."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = tuple(reasons)
        super().__init__("; ".join(reasons))


@attrs.frozen
class OutputSpec:
    """An output type, checked: the schema for ``--output-schema`` and the reading of a reply.

    Attributes:
        schema: the JSON Schema the run sends.
        read: the final message -> the caller's value; raises :class:`OutputMismatch`.
    """

    schema: Mapping[str, Any]
    read: Callable[[str], Any]


def output_spec(output_type: OutputType, argument: str = "output_type") -> OutputSpec:
    """The checked :class:`OutputSpec` of ``output_type``.

    Args:
        output_type: a JSON Schema mapping, an attrs class, a dataclass or a pydantic v2 model.
        argument: the parameter's name, for messages.

    Raises:
        TypeError: anything else, or a class with a field no strict schema can describe
            (the message names the field). A mapping that is not JSON-serialisable fails when
            the run writes it, still before the CLI starts.
    """
    if isinstance(output_type, Mapping):  # checked when the run writes it (see _run_files)
        return OutputSpec(schema=output_type, read=_parse_json)
    if isinstance(output_type, type) and _is_pydantic_like(output_type):
        return OutputSpec(schema=pydantic_schema(output_type), read=_pydantic_reader(output_type))
    if isinstance(output_type, type) and _is_record_class(output_type):
        return OutputSpec(schema=class_schema(output_type), read=_class_reader(output_type))
    got = output_type.__name__ if isinstance(output_type, type) else type(output_type).__name__
    raise TypeError(
        f"{argument} must be a JSON Schema (a dict), an attrs class, a dataclass or a pydantic v2 "
        f"model class; got {got}"
    )


def optional_spec(output_type: OutputType | None) -> OutputSpec | None:
    """:func:`output_spec` of an ``output_type=`` argument, ``None`` for none."""
    return None if output_type is None else output_spec(output_type)


def read_output(result: CodexExecResult, spec: OutputSpec | None) -> CodexExecResult:
    """``result`` with its final message read by ``spec``: ``output`` when it fits, else
    ``output_errors``. A run that did not succeed, or one without ``spec``, is left as it is."""
    if spec is None or not result.succeeded:
        return result
    if result.final_message is None:
        return attrs.evolve(result, output_errors=("the run produced no final message to read",))
    try:
        return attrs.evolve(result, output=spec.read(result.final_message))
    except OutputMismatch as mismatch:
        return attrs.evolve(result, output_errors=mismatch.reasons)


# -- JSON Schema mappings ----------------------------------------------------------------------


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise OutputMismatch([f"the final message is not valid JSON ({exc})"]) from None


def _parse_object(text: str, name: str) -> dict[str, Any]:
    value = _parse_json(text)
    if not isinstance(value, dict):
        raise OutputMismatch([f"expected a JSON object, got {type(value).__name__} @ {name}"])
    return value


# -- attrs classes and dataclasses -------------------------------------------------------------


def _is_record_class(cls: type[Any]) -> bool:
    return attrs.has(cls) or dataclasses.is_dataclass(cls)


def _fields(cls: type[Any], path: str) -> dict[str, Any]:
    """The fields the class is built from, by name, with their resolved types.

    Raises:
        TypeError: an annotation names something its module does not define.
    """
    try:
        hints = typing.get_type_hints(cls)
    except NameError as exc:
        raise TypeError(
            f"{path}: the annotations of {cls.__qualname__} cannot be resolved ({exc}); define the "
            "names they use at the top level of its module"
        ) from None
    if attrs.has(cls):
        names = [field.name for field in attrs.fields(cls) if field.init]
    else:
        names = [field.name for field in dataclasses.fields(cls) if field.init]
    return {name: hints.get(name, Any) for name in names}


def class_schema(cls: type[Any]) -> dict[str, Any]:
    """The strict JSON Schema of an attrs class or a dataclass: every field a required
    property, no other allowed; the classes it holds go in ``$defs`` (``"#"`` is the class
    itself, so a class may hold itself).

    Raises:
        TypeError: a field of a type no strict schema can describe; the message names it.
    """
    builder = _SchemaBuilder(cls)
    schema = builder.object_schema(cls, cls.__name__)
    if builder.defs:
        schema["$defs"] = builder.defs
    return schema


class _SchemaBuilder:
    def __init__(self, root: type[Any]) -> None:
        self.root = root
        self.defs: dict[str, dict[str, Any]] = {}
        self._names: dict[type[Any], str] = {}

    def object_schema(self, cls: type[Any], path: str) -> dict[str, Any]:
        fields = _fields(cls, path)
        return {
            "type": "object",
            "properties": {name: self.schema(tp, f"{path}.{name}") for name, tp in fields.items()},
            "required": list(fields),
            "additionalProperties": False,
        }

    def schema(self, tp: Any, path: str) -> dict[str, Any]:
        if tp in _SCALARS:
            return dict(_SCALARS[tp])
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin in (Union, types.UnionType):
            return self._optional(args, path)
        if _is_literal(tp):
            return _enum_schema(list(args), path)
        if origin in (list, tuple):
            return self._array(tp, origin, args, path)
        if _is_enum(tp):
            return _enum_schema([member.value for member in tp], path)
        if isinstance(tp, type) and _is_record_class(tp):
            return self._ref(tp, path)
        raise _unsupported(tp, path)

    def _optional(self, args: tuple[Any, ...], path: str) -> dict[str, Any]:
        present = [arg for arg in args if arg is not type(None)]
        if len(present) != 1:
            raise TypeError(
                f"{path}: a union of {' and '.join(map(_type_name, present))} is not supported "
                "(a reply could not say which one it is); use one class with optional fields, "
                "or X | None"
            )
        return {"anyOf": [self.schema(present[0], path), {"type": "null"}]}

    def _array(self, tp: Any, origin: Any, args: tuple[Any, ...], path: str) -> dict[str, Any]:
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            args = args[:1]
        if len(args) != 1:
            raise TypeError(
                f"{path}: {_type_name(tp)} is not supported (a strict schema describes arrays of one "
                "item type); use list[X] or tuple[X, ...], or a class for a fixed set of values"
            )
        return {"type": "array", "items": self.schema(args[0], f"{path}[]")}

    def _ref(self, cls: type[Any], path: str) -> dict[str, Any]:
        if cls is self.root:
            return {"$ref": "#"}
        name = self._names.get(cls)
        if name is None:
            name = self._names[cls] = self._free_name(cls.__name__)
            self.defs[name] = {}  # taken before the fields are read, so a class may hold itself
            self.defs[name] = self.object_schema(cls, path)
        return {"$ref": f"#/$defs/{name}"}

    def _free_name(self, name: str) -> str:
        taken = {*self.defs, self.root.__name__}
        candidate, number = name, 1
        while candidate in taken:
            number += 1
            candidate = f"{name}{number}"
        return candidate


def _enum_schema(values: list[Any], path: str) -> dict[str, Any]:
    kinds = {type(value) for value in values}
    if not values or not kinds <= {str, int, float, bool, type(None)}:
        raise TypeError(f"{path}: the values {values!r} are not JSON scalars (str, int, float, bool, None)")
    schema: dict[str, Any] = {"enum": values}
    if len(kinds) == 1 and (kind := kinds.pop()) in _SCALARS:
        schema = {**_SCALARS[kind], **schema}
    return schema


def _unsupported(tp: Any, path: str) -> TypeError:
    hint = (
        " (a strict schema needs named properties: use a class with named fields)"
        if typing.get_origin(tp) in (dict, Mapping) or tp in (dict, Any, object)
        else ""
    )
    return TypeError(f"{path}: {_type_name(tp)} is not supported{hint}; supported: {_SUPPORTED}")


def _type_name(tp: Any) -> str:
    if isinstance(tp, type) and not typing.get_args(tp):
        return tp.__name__
    return repr(tp).replace("typing.", "")


def _class_reader(cls: type[Any]) -> Callable[[str], Any]:
    def read(text: str) -> Any:
        import cattrs

        data = _parse_object(text, cls.__name__)
        try:
            return _converter().structure(data, cls)
        except cattrs.BaseValidationError as exc:
            raise OutputMismatch(
                cattrs.transform_error(exc, path=cls.__name__, format_exception=_reason)
            ) from None

    return read


class _Mismatch(ValueError):
    """A JSON value the field does not take; its message says what the field takes."""


def _reason(exc: BaseException, type_: type[Any] | None) -> str:
    """One field's reason, for ``transform_error``: ours as they are, cattrs' as it words them."""
    from cattrs.v import format_exception

    return str(exc) if isinstance(exc, _Mismatch) else format_exception(exc, type_)


@cache
def _converter() -> cattrs.Converter:
    """The cattrs converter of replies: exact scalar kinds (``"3"`` is no int, ``1`` no
    bool), no keys the class lacks, every problem reported with its field."""
    import cattrs

    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    for kind, accepted, name in (
        (str, (str,), "a string"),
        (int, (int,), "an integer"),
        (float, (int, float), "a number"),
        (bool, (bool,), "true or false"),
    ):
        converter.register_structure_hook(kind, _scalar_hook(kind, accepted, name))
    converter.register_structure_hook_func(_is_literal, _literal)
    converter.register_structure_hook_func(_is_enum, _enum)
    return converter


def _scalar_hook(kind: type[Any], accepted: tuple[type[Any], ...], name: str) -> Callable[[Any, Any], Any]:
    def structure(value: Any, _: Any) -> Any:
        if not isinstance(value, accepted) or (isinstance(value, bool) and kind is not bool):
            raise _Mismatch(f"expected {name}, got {json.dumps(value)[:40]}")
        return kind(value)

    return structure


def _one_of(value: Any, values: list[Any]) -> None:
    """Raise unless ``value`` is one of ``values``, of the same JSON kind (``1`` is not ``true``)."""
    if not any(value == allowed and type(value) is type(allowed) for allowed in values):
        allowed = ", ".join(json.dumps(allowed) for allowed in values)
        raise _Mismatch(f"expected one of {allowed}, got {json.dumps(value)[:40]}")


def _is_literal(tp: Any) -> bool:
    return typing.get_origin(tp) is Literal


def _is_enum(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, enum.Enum)


def _literal(value: Any, tp: Any) -> Any:
    _one_of(value, list(typing.get_args(tp)))
    return value


def _enum(value: Any, tp: type[enum.Enum]) -> enum.Enum:
    _one_of(value, [member.value for member in tp])
    return tp(value)


# -- pydantic v2 models (duck-typed: pydantic is not a dependency) -----------------------------


def _is_pydantic_like(cls: type[Any]) -> bool:
    return callable(getattr(cls, "model_json_schema", None)) and callable(
        getattr(cls, "model_validate_json", None)
    )


def pydantic_schema(model: type[Any]) -> dict[str, Any]:
    """``model.model_json_schema()`` made strict the way the service wants it: every object
    lists all its properties as required and allows no others, and defaults are dropped (the
    reply gives every field).

    Raises:
        TypeError: a field is a free-form mapping (``dict[str, X]``), which no strict schema
            can describe; the message names it.
    """
    schema = model.model_json_schema()
    if not isinstance(schema, dict):
        raise TypeError(f"{model.__name__}.model_json_schema() returned {type(schema).__name__}, not a dict")
    strict: dict[str, Any] = _strict(schema, model.__name__)
    return strict


def _strict(node: Any, path: str) -> Any:
    if isinstance(node, list):
        return [_strict(item, path) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: value for key, value in node.items() if key != "default"}
    if node.get("type") == "object" or "properties" in node:
        extra = node.get("additionalProperties", False)
        if extra is not False or "properties" not in node:
            raise TypeError(
                f"{path}: a free-form mapping is not supported (a strict schema needs named "
                "properties): use a model with named fields"
            )
        node["required"] = list(node["properties"])
        node["additionalProperties"] = False
    for key, value in node.items():
        if key == "properties":
            node[key] = {name: _strict(sub, f"{path}.{name}") for name, sub in value.items()}
        elif key == "$defs":
            node[key] = {name: _strict(sub, name) for name, sub in value.items()}
        elif key == "items":
            node[key] = _strict(value, f"{path}[]")
        elif key in ("anyOf", "oneOf", "allOf", "prefixItems"):
            node[key] = _strict(value, path)
    return node


def _pydantic_reader(model: type[Any]) -> Callable[[str], Any]:
    def read(text: str) -> Any:
        try:
            return model.model_validate_json(text)
        except ValueError as exc:  # pydantic's ValidationError is one
            raise OutputMismatch(_pydantic_reasons(exc, model.__name__)) from None

    return read


def _pydantic_reasons(exc: ValueError, name: str) -> list[str]:
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return [f"{type(exc).__name__}: {exc} @ {name}"]
    reasons = []
    for error in errors():
        location = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"])
        reasons.append(f"{error['msg']} @ {name}{location}")
    return reasons
