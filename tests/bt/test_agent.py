"""The pairing agent over real D-Bus: a private ``dbus-daemon`` with a stand-in for BlueZ's
``AgentManager1`` on it, which then calls the agent the way bluetoothd does when a phone pairs."""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from dbus_fast import Message, MessageType
from dbus_fast.aio import MessageBus

from securitycam.bt.adapter import EventLoopThread
from securitycam.bt.agent import AGENT_PATH
from securitycam.bt.fake import FakeRadio
from securitycam.system.runner import RecordingRunner
from tests.bt.conftest import PHONE
from tests.waiting import wait_for

pytestmark = pytest.mark.skipif(shutil.which("dbus-daemon") is None, reason="needs dbus-daemon (package dbus)")

DEVICE_PATH = "/org/bluez/hci0/dev_" + PHONE.replace(":", "_")


@pytest.fixture
def bus_address() -> Iterator[str]:
    daemon = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        yield daemon.stdout.readline().strip()  # type: ignore[union-attr]
    finally:
        daemon.terminate()
        daemon.wait(timeout=5)


class FakeBlueZ:
    """Owns ``org.bluez`` on the bus and answers ``AgentManager1`` calls, remembering who registered."""

    def __init__(self, bus_address: str, refuse: bool = False) -> None:
        self.loop = EventLoopThread()
        self.refuse = refuse
        self.calls: list[tuple[str, list[Any]]] = []
        self.agent_owner: str | None = None
        self.bus: MessageBus = self.loop.run(self._connect(bus_address), timeout=5)

    async def _connect(self, address: str) -> MessageBus:
        bus = await MessageBus(bus_address=address).connect()
        bus.add_message_handler(self._handle)
        await bus.request_name("org.bluez")
        return bus

    def _handle(self, message: Message) -> Message | None:
        if message.interface != "org.bluez.AgentManager1":
            return None
        self.calls.append((message.member, list(message.body)))
        if self.refuse:
            return Message.new_error(message, "org.bluez.Error.AlreadyExists", "Already Exists")
        if message.member == "RegisterAgent":
            self.agent_owner = message.sender
        return Message.new_method_return(message)

    def ask_agent(self, member: str, signature: str, *body: Any) -> Message:
        """Call the registered agent as bluetoothd does when a device pairs."""
        call = Message(
            destination=self.agent_owner,
            path=AGENT_PATH,
            interface="org.bluez.Agent1",
            member=member,
            signature=signature,
            body=list(body),
        )
        return self.loop.run(self.bus.call(call), timeout=5)  # type: ignore[return-value]

    def close(self) -> None:
        self.bus.disconnect()
        self.loop.close()


@pytest.fixture
def bluez(bus_address: str) -> Iterator[FakeBlueZ]:
    fake = FakeBlueZ(bus_address)
    yield fake
    fake.close()


def test_agent_accepts_just_works_only_while_the_window_is_open(bus_address: str, bluez: FakeBlueZ) -> None:
    radio = FakeRadio()
    adapter = radio.adapter(RecordingRunner(), pairing_poll=0.01, dbus_address=bus_address)
    result: dict[str, Any] = {}
    # A window long enough for the D-Bus round trips below on a loaded machine; it ends as the pairing does.
    window = threading.Thread(target=lambda: result.update(paired=adapter.wait_for_pairing(30)))
    window.start()
    wait_for(lambda: len(bluez.calls) >= 2, timeout=30, what="the agent to register")

    assert bluez.calls == [("RegisterAgent", [AGENT_PATH, "NoInputNoOutput"]), ("RequestDefaultAgent", [AGENT_PATH])]
    # The phone asks to pair: bluetoothd asks the agent, which accepts.
    accepted = bluez.ask_agent("RequestAuthorization", "o", DEVICE_PATH)
    assert accepted.message_type == MessageType.METHOD_RETURN
    confirmed = bluez.ask_agent("RequestConfirmation", "ou", DEVICE_PATH, 123456)
    assert confirmed.message_type == MessageType.METHOD_RETURN
    # Nobody at the Pi can type a PIN.
    pin = bluez.ask_agent("RequestPinCode", "o", DEVICE_PATH)
    assert (pin.message_type, pin.error_name) == (MessageType.ERROR, "org.bluez.Error.Rejected")

    radio.paired[PHONE] = "Ana's phone"  # BlueZ completes the pairing
    window.join(timeout=30)
    adapter.close()

    assert result["paired"] == (PHONE, "Ana's phone")
    assert bluez.calls[-1] == ("UnregisterAgent", [AGENT_PATH])
    # Window closed: the agent is gone from the bus, so no later pairing can be accepted.
    late = bluez.ask_agent("RequestAuthorization", "o", DEVICE_PATH)
    assert late.message_type == MessageType.ERROR


def test_window_still_opens_when_bluez_refuses_the_agent(bus_address: str) -> None:
    refusing = FakeBlueZ(bus_address, refuse=True)
    radio = FakeRadio()
    radio.pair_when_discoverable(PHONE, "Ana's phone")
    adapter = radio.adapter(RecordingRunner(), pairing_poll=0.01, dbus_address=bus_address)
    try:
        assert adapter.wait_for_pairing(30) == (PHONE, "Ana's phone")
    finally:
        adapter.close()
        refusing.close()
    assert [member for member, _ in refusing.calls] == ["RegisterAgent"]


def test_agent_is_unregistered_when_the_window_cannot_open(bus_address: str, bluez: FakeBlueZ) -> None:
    from securitycam.bt import AdapterUnavailable
    from securitycam.system.runner import CommandResult

    runner = RecordingRunner()
    adapter = FakeRadio().adapter(runner, dbus_address=bus_address)
    runner.respond(["bluetoothctl", "discoverable", "on"], CommandResult(1, "Failed to set discoverable on\n"))
    try:
        with pytest.raises(AdapterUnavailable, match="refused to become discoverable"):
            adapter.wait_for_pairing(2)
    finally:
        adapter.close()
    assert [member for member, _ in bluez.calls] == ["RegisterAgent", "RequestDefaultAgent", "UnregisterAgent"]
