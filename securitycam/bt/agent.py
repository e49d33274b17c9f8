"""The pairing agent: BlueZ asks it whether a device may pair, and it says yes, but only while a
pairing window (``POST /bt/discoverable``) is open.

A phone pairing with a headless Pi uses "Just Works" (the Pi has neither a display nor a keyboard:
capability ``NoInputNoOutput``), and BlueZ refuses any pairing unless an agent accepts it. An
always-on auto-accepting agent would let anyone nearby pair at any time; this one is registered as
BlueZ's default agent for the length of the window and unregistered when it closes::

    agent = await PairingAgent.register()      # the system bus; tests pass a private bus address
    ...                                        # the phone pairs
    await agent.unregister()

PIN and passkey entry are refused: there is no one at the Pi to type or read them.
"""

from __future__ import annotations

import logging
from typing import Any

from dbus_fast import BusType, DBusError, Message, MessageType
from dbus_fast.aio import MessageBus
from dbus_fast.annotations import DBusObjectPath, DBusStr, DBusUInt16, DBusUInt32
from dbus_fast.service import ServiceInterface, dbus_method

log = logging.getLogger(__name__)

AGENT_PATH = "/org/securitycam/pairing_agent"
CAPABILITY = "NoInputNoOutput"
REJECTED = "org.bluez.Error.Rejected"


class AgentRefused(RuntimeError):
    """BlueZ would not take the agent (no BlueZ on the bus, or it refused the registration)."""


# dbus-fast reads each method's D-Bus signature from its annotations; a method that returns nothing
# must have no return annotation at all. Method names are BlueZ's.
class _Agent1(ServiceInterface):
    def __init__(self) -> None:
        super().__init__("org.bluez.Agent1")

    @dbus_method()
    def Release(self):
        log.debug("BlueZ released the pairing agent")

    @dbus_method()
    def RequestAuthorization(self, device: DBusObjectPath):
        log.info("accepting a Just Works pairing from %s", device)

    @dbus_method()
    def RequestConfirmation(self, device: DBusObjectPath, passkey: DBusUInt32):
        log.info("accepting pairing from %s (passkey %06d)", device, passkey)

    @dbus_method()
    def AuthorizeService(self, device: DBusObjectPath, uuid: DBusStr):
        log.info("authorizing service %s for %s", uuid, device)

    @dbus_method()
    def RequestPinCode(self, device: DBusObjectPath) -> DBusStr:
        raise DBusError(REJECTED, "this camera has no keyboard: PIN pairing is not supported")

    @dbus_method()
    def RequestPasskey(self, device: DBusObjectPath) -> DBusUInt32:
        raise DBusError(REJECTED, "this camera has no keyboard: passkey entry is not supported")

    @dbus_method()
    def DisplayPinCode(self, device: DBusObjectPath, pincode: DBusStr):
        log.info("PIN for %s: %s", device, pincode)

    @dbus_method()
    def DisplayPasskey(self, device: DBusObjectPath, passkey: DBusUInt32, entered: DBusUInt16):
        log.info("passkey for %s: %06d", device, passkey)

    @dbus_method()
    def Cancel(self):
        log.info("BlueZ cancelled a pairing request")


class PairingAgent:
    """One registration of the agent with BlueZ, on the system bus or the bus at ``bus_address``."""

    def __init__(self, bus: MessageBus) -> None:
        self._bus = bus

    @classmethod
    async def register(cls, bus_address: str | None = None) -> PairingAgent:
        """Connect, export the agent and make it BlueZ's default; raises :class:`AgentRefused`."""
        try:
            bus = await MessageBus(bus_address=bus_address, bus_type=BusType.SYSTEM).connect()
        except (OSError, DBusError) as exc:
            raise AgentRefused(f"no D-Bus system bus: {exc}") from exc
        agent = cls(bus)
        bus.export(AGENT_PATH, _Agent1())
        try:
            await agent._manager("RegisterAgent", "os", [AGENT_PATH, CAPABILITY])
            await agent._manager("RequestDefaultAgent", "o", [AGENT_PATH])
        except AgentRefused:
            bus.disconnect()
            raise
        return agent

    async def unregister(self) -> None:
        try:
            await self._manager("UnregisterAgent", "o", [AGENT_PATH])
        except AgentRefused as exc:
            log.warning("unregistering the pairing agent: %s", exc)
        finally:
            self._bus.disconnect()

    async def _manager(self, member: str, signature: str, body: list[Any]) -> None:
        reply = await self._bus.call(
            Message(
                destination="org.bluez",
                path="/org/bluez",
                interface="org.bluez.AgentManager1",
                member=member,
                signature=signature,
                body=body,
            )
        )
        if reply is None or reply.message_type == MessageType.ERROR:
            reason = f"{reply.error_name}: {reply.body[0] if reply.body else ''}" if reply else "no reply"
            raise AgentRefused(f"BlueZ refused {member} ({reason})")
