# Supervision: what happens to an actor whose receive function raised.
#
# Rules of this file: the decision belongs to the parent (its `supervisor_strategy`), the mechanics
# to the runtime (`cell.py`). A strategy is a pure function of the exception, so the runtime can
# apply the parent's decision on the failing child's own turn instead of a round trip through the
# parent's mailbox (Akka's way); the outcome is the same. Everything else keeps running: one
# failure never takes down the system.
"""`Directive` and `SupervisorStrategy` (one-for-one, with a restart budget)."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass


class Directive(enum.Enum):
    """What a parent does with a child that raised."""

    RESUME = "resume"  # keep the instance and its state; the failed message is lost
    RESTART = "restart"  # a fresh instance from the same constructor arguments, same mailbox
    STOP = "stop"  # stop the child; later messages go to dead letters


@dataclass(frozen=True, slots=True)
class SupervisorStrategy:
    """One-for-one supervision: each failing child is handled on its own.

    decider: the directive for an exception.
    max_restarts: restarts allowed per child; beyond it the child is stopped (a child that fails
        in every incarnation would otherwise restart forever).
    """

    decider: Callable[[Exception], Directive]
    max_restarts: int = 10

    def decide(self, exc: Exception, restarts: int) -> Directive:
        """The directive for a child that raised `exc` after `restarts` restarts."""
        directive = self.decider(exc)
        if directive is Directive.RESTART and restarts >= self.max_restarts:
            return Directive.STOP
        return directive


def _restart(exc: Exception) -> Directive:
    return Directive.RESTART


RESTART = SupervisorStrategy(_restart)
"""Akka's default: restart a child whatever it raised."""
