"""The ``autograd-core`` command line.

Sub-commands:

* ``autograd-core demo`` -- build a small expression, run backward, print every gradient.
* ``autograd-core --version``
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import autograd_core as ag


def _demo(args: argparse.Namespace) -> int:
    a = ag.Value(2.0, label="a")
    b = ag.Value(-3.0, label="b")
    y = (a * b + a.tanh()) ** 2 / 2
    y.backward()
    print("y = (a*b + tanh(a))**2 / 2")
    print(f"  a = {a.data:g}, b = {b.data:g}")
    print(f"  y      = {y.data:.6f}")
    print(f"  dy/da  = {a.grad:.6f}")
    print(f"  dy/db  = {b.grad:.6f}")
    print(f"  nodes in the graph: {len(ag.topological_order(y))}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``autograd-core`` (exposed for tests and docs).

    Example:
        >>> from autograd_core.cli import build_parser
        >>> build_parser().parse_args(["demo"]).command
        'demo'
    """
    parser = argparse.ArgumentParser(
        prog="autograd-core",
        description="Scalar automatic differentiation: see gradients, draw graphs, train MLPs.",
    )
    parser.add_argument("--version", action="version", version=f"autograd-core {ag.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser("demo", help="differentiate a small expression and print it")
    demo.set_defaults(handler=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``autograd-core`` console script.

    Example:
        >>> from autograd_core.cli import main
        >>> main(["demo"])  # doctest: +ELLIPSIS
        y = (a*b + tanh(a))**2 / 2
        ...
        0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    result: int = args.handler(args)
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
