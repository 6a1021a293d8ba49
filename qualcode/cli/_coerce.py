"""Command-line values converted without pydantic when the result is plain.

typer converts every option and argument value through a pydantic ``TypeAdapter`` built
for the parameter when the command runs: importing pydantic and building the adapters
costs about 0.07 CPU s on every command (a quarter of ``qualcode docs``). Nearly all of
qualcode's parameters are strings, paths, integers with bounds, flags and lists of
strings, whose plain values convert to a result known without pydantic.

:func:`install` gives each such parameter a converter (:class:`PlainValues`) that returns
that result for the plain, valid values (a ``str`` that encodes as UTF-8, digits within
the bounds, a path string, a list of such strings, ``None``) and hands any other value
to typer's own converter, built only then, so that every error message and every unusual
case stays typer's. It takes the place of typer's ``build_runtime_param`` (the function
typer calls once per parameter, the first time a value is converted).
tests/test_cli_values.py compares both on many values for every parameter of every
command.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args, get_origin

import typer.core

try:  # typer >= 0.2x: values converted by a runtime parameter built lazily per parameter
    from typer._param_types import coerce_cli_path
except ImportError:  # an older typer converts with click's types: nothing to do
    coerce_cli_path = None  # type: ignore[assignment]

_DIGITS = re.compile(r"(?:0|[1-9][0-9]{0,17})\Z")
_MISS = object()

Convert = Callable[[Any, Any, Any], Any]  # (value, param, ctx) -> result, or _MISS: ask typer


def _text(value: Any) -> bool:
    """A ``str`` (not a subclass) that pydantic takes as it is: encodable as UTF-8 (a
    command line's undecodable bytes come as lone surrogates, which pydantic refuses)."""
    if type(value) is not str:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _str(value: Any, param: Any, ctx: Any) -> Any:
    return value if _text(value) else _MISS


def _bool(value: Any, param: Any, ctx: Any) -> Any:
    return value if type(value) is bool else _MISS


def _int(low: float | None, high: float | None) -> Convert:
    def convert(value: Any, param: Any, ctx: Any) -> Any:
        if type(value) is int:
            number = value
        elif _text(value) and _DIGITS.match(value):
            number = int(value)
        else:
            return _MISS
        if (low is not None and number < low) or (high is not None and number > high):
            return _MISS  # typer says why
        return number
    return convert


def _path(parameter_info: Any) -> Convert:
    def convert(value: Any, param: Any, ctx: Any) -> Any:
        if not _text(value) or not value or "\0" in value:
            return _MISS
        # typer's own check of the path (exists, file_okay…), given the Path pydantic would make
        return coerce_cli_path(Path(value), parameter_info, path_type=Path, param=param, ctx=ctx)
    return convert


def _strings(value: Any, param: Any, ctx: Any) -> Any:
    if isinstance(value, (list, tuple)) and all(_text(v) for v in value):
        return list(value)
    return _MISS


def converter(descriptor: Any) -> Convert | None:
    """The plain converter of a parameter's type, or None (typer's own is used)."""
    info, annotation = descriptor.parameter_info, descriptor.annotation
    if descriptor.file_annotation is not None or info.parser is not None:
        return None
    if annotation is str:
        return _str
    if annotation is bool:
        return _bool
    if annotation is int and not info.clamp:
        return _int(info.min, info.max)
    if annotation is Path and info.path_type in (None, Path):
        return _path(info)
    if get_origin(annotation) is list and get_args(annotation) == (str,):
        return _strings
    return None


class PlainValues:
    """A typer runtime parameter (what ``coerce`` is called on) that converts plain values
    itself and any other value with typer's runtime parameter for the same type."""

    def __init__(self, descriptor: Any, convert: Convert, build: Callable[[Any], Any]):
        self.descriptor = descriptor
        self.parameter_info = descriptor.parameter_info
        self.annotation = descriptor.annotation
        self._convert = convert
        self._build = build
        self._typer: Any = None

    def typer_param(self) -> Any:
        if self._typer is None:
            self._typer = self._build(self.descriptor)
        return self._typer

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        multi = param.multiple or param.nargs == -1
        if value is None:  # as typer's RuntimeParam.coerce
            return () if multi else None
        if not (multi and isinstance(value, str)):
            try:
                out = self._convert(value, param, ctx)
            except Exception:  # noqa: BLE001 - typer's converter then raises its own error for it
                out = _MISS
            if out is not _MISS:
                return out
        return self.typer_param().coerce(value, param=param, ctx=ctx)


def plain_first(build: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """typer's ``build_runtime_param`` with a plain converter first where the type has one."""

    def build_runtime_param(descriptor: Any) -> Any:
        convert = converter(descriptor)
        return build(descriptor) if convert is None else PlainValues(descriptor, convert, build)

    build_runtime_param.plain_first = True  # type: ignore[attr-defined]
    build_runtime_param.__wrapped__ = build  # type: ignore[attr-defined]
    return build_runtime_param


def install() -> None:
    """Make typer build plain-first runtime parameters (for every command and option,
    also the ones click adds when parsing: ``--help``, completion). Once per process;
    nothing with a typer that has no runtime parameters."""
    build = getattr(typer.core, "build_runtime_param", None)
    if coerce_cli_path is None or build is None:
        return
    if not getattr(build, "plain_first", False):
        setattr(typer.core, "build_runtime_param", plain_first(build))  # noqa: B010 - absent from older typers
