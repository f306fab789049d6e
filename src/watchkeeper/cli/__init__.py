"""The ``watchkeeper`` command."""

from __future__ import annotations

import gc

import typer
from typer.core import TyperGroup

from watchkeeper.cli import (
    baseline,
    bias,
    check,
    clarify,
    datasets,
    explain,
    featurestore,
    monitoring,
    profile,
    quality,
    sagemaker,
    serve,
    ui,
    watch,
)
from watchkeeper.cli._common import fail
from watchkeeper.extras import needs_extra
from watchkeeper.version import __version__


class _Commands(TyperGroup):
    """The command tree, its flags shown as flags: typer labels an on/off option with its
    Python type (``--json <bool>``), which reads as if it took a value.

    A command whose optional packages are not installed ends here with one line naming
    the extra to install, whichever of its imports failed."""

    def make_context(self, *args, **kwargs):
        _untype_flags(self, self.context_class(self))
        return super().make_context(*args, **kwargs)

    def resolve_command(self, ctx, args):
        name, command, rest = super().resolve_command(ctx, args)
        ctx.meta["watchkeeper.command"] = f"watchkeeper {name}" if name else "watchkeeper"
        return name, command, rest

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ImportError as exc:
            message = needs_extra(ctx.meta.get("watchkeeper.command", "watchkeeper"), exc)
            if message is None:
                raise
            raise fail(message) from None


def _untype_flags(command, context) -> None:
    # --help is made (and kept) on first use, so it is made here to be relabelled too
    help_option = command.get_help_option(context)
    if help_option is not None:
        # Unset, a group's --help is None, which typer coerces with pydantic: showing a
        # subcommand's help would import it for the group's flag nobody gave.
        help_option.default = False
    for param in [*command.params, help_option]:
        if getattr(param, "is_flag", False):
            param.metavar = ""
    for sub in getattr(command, "commands", {}).values():
        _untype_flags(sub, context)


app = typer.Typer(
    cls=_Commands,
    name="watchkeeper",
    help="Profile data, build SageMaker-compatible baselines, check data against them, "
    "watch folders and buckets for new files, serve models with data capture, monitor "
    "them on a schedule, and look at it all in a dashboard.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("profile")(profile.command)
app.command("baseline")(baseline.command)
app.command("check")(check.command)
app.command("watch")(watch.command)
app.command("serve")(serve.command)
app.add_typer(monitoring.schedule_app, name="schedule")
app.add_typer(monitoring.monitor_app, name="monitor")
app.add_typer(monitoring.executions_app, name="executions")
app.command("scheduler")(monitoring.scheduler)
app.add_typer(datasets.datasets_app, name="datasets")
app.command("ui")(ui.command)
app.command("explain")(explain.command)
app.add_typer(bias.bias_app, name="bias")
app.command("clarify")(clarify.command)
app.add_typer(quality.quality_app, name="quality")
app.add_typer(quality.groundtruth_app, name="groundtruth")
app.add_typer(featurestore.fs_app, name="fs")
app.command("sagemaker-monitor")(sagemaker.command)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"watchkeeper {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Self-hosted monitoring for the data flowing into ML models."""


def main() -> None:
    # A command's imports make several hundred thousand objects that live as long as the
    # process: collections on the way find no garbage but walk them all, again and again
    # (a tenth of a short run's CPU). The collector is off until the command starts its
    # work, where `handled` turns it back on.
    gc.disable()
    app()
