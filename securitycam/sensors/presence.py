"""Whether someone is home: a sensor trigger is suppressed while the owner's phone is near.

The Bluetooth presence service provides the real check; the sensor manager only needs
:class:`PresenceCheck`, consulted at the moment of a trigger, so it must answer from memory
(never scan while asked).
"""

from __future__ import annotations

from typing import Protocol


class PresenceCheck(Protocol):
    def anyone_home(self) -> bool: ...


class NobodyHome:
    """The check when no presence detection is set up: every trigger records."""

    def anyone_home(self) -> bool:
        return False
