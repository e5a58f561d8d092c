"""The `a64fault` command line: a click group whose commands live in a64fault/commands/.

Commands are imported only when invoked, so `a64fault classify` does not pay
for the fault model or the scanner. Bad input (InputError, OSError, a click
usage error) ends with one line on stderr and exit status 2.
"""

from __future__ import annotations

import importlib
import sys

import click

from .errors import InputError

#: command name -> module under a64fault.commands that defines `command`.
COMMANDS = {
    "classify": "classify",
    "esr": "esr",
    "fixtures": "fixtures",
    "simulate": "simulate",
    "scan": "scan",
    "audit": "audit",
}


class LazyGroup(click.Group):
    """A click group that imports each command's module on first use."""

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        module = COMMANDS.get(name)
        if module is None:
            return None
        return importlib.import_module(f"a64fault.commands.{module}").command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="a64fault")
def cli():
    """Decode A64 instructions and classify memory faults."""


def fail(message: str) -> None:
    """Print one error line and exit with status 2."""
    click.echo(f"a64fault: error: {message}", err=True)
    sys.exit(2)


def main(argv=None) -> None:
    """Entry point of the console script."""
    try:
        cli.main(args=argv, prog_name="a64fault", standalone_mode=False)
    except click.exceptions.Abort:
        fail("aborted")
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.UsageError as error:
        fail(error.format_message().splitlines()[0])
    except click.ClickException as error:
        fail(error.format_message().splitlines()[0])
    except InputError as error:
        fail(str(error))
    except BrokenPipeError:
        sys.exit(0)
    except OSError as error:
        fail(f"{error.filename or ''}: {error.strerror or error}".lstrip(": "))
