"""CLI flags generated from the plugins' pydantic options models, so that a loader's or a
verifier's options are declared once (its ``Options`` model) and appear as flags by
themselves.

A field ``min_abs_lfc`` becomes ``--min-abs-lfc`` (with the plugin's ``cli_prefix``, e.g.
``--boltz-executable``); a field may keep an older flag name with
``json_schema_extra={"cli": "--fasta"}``. Flags default to "not given" so the model's own
default (shown in the help) applies; booleans become ``--name/--no-name``, ``Literal`` fields
a choice, tuples repeatable flags.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import click
from pydantic import BaseModel


@dataclass(frozen=True)
class Flag:
    """One generated flag: which plugins' field it sets."""

    param: str                   # click's parameter name
    field: str                   # the model field
    owners: tuple[str, ...]      # plugin names whose models have it


def _click_type(annotation: Any) -> tuple[Any, bool]:
    """(click type, multiple) for a field annotation."""
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin is typing.Literal:
        return click.Choice([str(a) for a in typing.get_args(annotation)]), False
    if origin in (tuple, list):
        return _click_type(args[0])[0] if args else str, True
    if origin is not None and args:  # Optional[X] / X | None
        return _click_type(args[0])
    if annotation in (int, float, str, bool):
        return annotation, False
    return str, False


def _flag_name(field: str, info: Any, prefix: str) -> str:
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    return extra.get("cli") or "--" + prefix + field.replace("_", "-")


def model_flags(models: dict[str, tuple[type[BaseModel], str]], *,
                skip: Iterable[str] = ()) -> tuple[Callable, dict[str, Flag]]:
    """A decorator adding one flag per field of the ``models`` (plugin name -> (Options
    model, flag prefix)), and the flags it made (click parameter name -> :class:`Flag`).
    Fields of the same name and flag in several models become one flag that sets each."""
    skip = set(skip)
    made: dict[str, tuple[Flag, Any, str]] = {}
    for owner, (model, prefix) in models.items():
        for field, info in model.model_fields.items():
            if field in skip:
                continue
            flag = _flag_name(field, info, prefix)
            param = flag.lstrip("-").replace("-", "_")
            if param in made:
                old, old_info, _ = made[param]
                made[param] = (Flag(param, field, old.owners + (owner,)), old_info, flag)
            else:
                made[param] = (Flag(param, field, (owner,)), info, flag)

    def decorate(command: Callable) -> Callable:
        for param, (flag, info, name) in sorted(made.items(), reverse=True):
            kind, multiple = _click_type(info.annotation)
            default = info.get_default(call_default_factory=True)
            shown = ", ".join(map(str, default)) if isinstance(default, tuple) else default
            help_text = (info.description or "").rstrip(".")
            help_text = f"{', '.join(flag.owners)}: {help_text}" + \
                (f" (default {shown})" if shown not in (None, "", ()) else "")
            if kind is bool:
                command = click.option(f"{name}/--no-{name[2:]}", param, default=None,
                                       help=help_text)(command)
            else:
                command = click.option(name, param, type=kind, multiple=multiple,
                                       default=None, help=help_text,
                                       metavar=None if isinstance(kind, click.Choice)
                                       else field_metavar(flag.field, kind))(command)
        return command

    return decorate, {param: flag for param, (flag, _, _) in made.items()}


def field_metavar(field: str, kind: Any) -> str:
    return {int: "N", float: "X"}.get(kind, field.upper())


def given_options(flags: dict[str, Flag], values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The options given on the command line, per plugin: {plugin: {field: value}} (flags not
    given are left out, so the models' defaults apply)."""
    out: dict[str, dict[str, Any]] = {}
    for param, flag in flags.items():
        value = values.get(param)
        if value is None or value == ():
            continue
        for owner in flag.owners:
            out.setdefault(owner, {})[flag.field] = value
    return out
