"""The CLI's commands, one module each, each defining a click command named ``command``.

a64fault/cli.py imports a module only when its command is invoked.
"""
