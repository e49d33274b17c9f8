"""The appliance: every long-lived part, built once per process, started and stopped together.

Parts are created here in dependency order and handed what they need (settings, database, bus,
the hardware seams). A part with background work implements ``start()`` and ``stop()`` and is
appended to ``services``; they stop in reverse order, so nothing outlives what it depends on.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from gpiozero.pins.mock import MockFactory

from securitycam import diskfull
from securitycam.answers import SharedAnswers
from securitycam.auth import Accounts, AuthService
from securitycam.auth.apikeys import ApiKeyStore
from securitycam.auth.service import env_password
from securitycam.auth.sessions import SessionTokens
from securitycam.auth.users import UserStore
from securitycam.bt import BluetoothAdapter, PresenceMonitor, demo_adapter
from securitycam.bus import EventBus
from securitycam.clock import Clock
from securitycam.config import SettingsStore
from securitycam.config.store import SHIPPED_DEFAULTS
from securitycam.detection.service import Detection
from securitycam.history import History
from securitycam.mqtt import MqttService
from securitycam.nightmode import NightMode
from securitycam.notifications import PushNotifier
from securitycam.paths import DataPaths
from securitycam.recorder import Recorder
from securitycam.recorder.exports import Exporter
from securitycam.recorder.mediamtx import MediaMTX
from securitycam.recorder.previews import Previews
from securitycam.sensors.manager import SensorManager, use_mock_sensor
from securitycam.sensors.simulated import SimulatedPins
from securitycam.storage.janitor import Janitor
from securitycam.storage.media import MediaIndex
from securitycam.storage.profiles import StorageProfiles
from securitycam.storage.timelapse import Timelapse
from securitycam.store import Database
from securitycam.store.db import Backfiller
from securitycam.store.events import SUMMARY_BACKFILL, EventStore
from securitycam.store.review import COUNTS_BACKFILL
from securitycam.system.captive import CaptivePortal
from securitycam.system.firstboot import FirstBoot
from securitycam.system.health import WARN, HealthMonitor
from securitycam.system.host import HostReader
from securitycam.system.info import GitInfo, host_figures, system_info
from securitycam.system.logs import CONSOLE
from securitycam.system.runner import CommandRunner, RecordingRunner, SubprocessRunner
from securitycam.wifi import WifiPresence

if TYPE_CHECKING:
    from gpiozero.pins import Factory

log = logging.getLogger(__name__)


class Service(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...


@dataclass
class Hardware:
    """The seams of the design's table; ``None`` means "detect": the real thing on a Pi."""

    runner: CommandRunner | None = None
    host: HostReader | None = None
    clock: Clock | None = None
    # gpiozero's pin factory; resolved to None on a Pi (gpiozero's default, lgpio), simulated pins
    # resting at their sensor's idle level elsewhere.
    pin_factory: Factory | None = None
    bluetooth: BluetoothAdapter | None = None
    # False leaves the cameras idle (no ffmpeg): for tests of parts that need no footage.
    run_cameras: bool = True

    def resolved(self) -> Hardware:
        host = self.host or HostReader("/")
        on_pi = host.is_raspberry_pi()
        # Off a Pi, commands that change the machine (reboot, iptables) are only recorded; git is
        # read-only and shows the demo's real version.
        runner = self.runner or (SubprocessRunner() if on_pi else RecordingRunner(passthrough=["git"]))
        # The demo (no Pi, no runner given) simulates a room with a phone in it; a test that brings its
        # own runner but no adapter gets "no Bluetooth adapter".
        demo = self.runner is None and not on_pi
        bluetooth = self.bluetooth or (demo_adapter(runner) if demo else BluetoothAdapter(runner))
        pin_factory = self.pin_factory
        if pin_factory is None and not on_pi:
            pin_factory = SimulatedPins()
        return Hardware(
            runner=runner,
            host=host,
            clock=self.clock or Clock(),
            pin_factory=pin_factory,
            bluetooth=bluetooth,
            run_cameras=self.run_cameras,
        )


@dataclass
class Appliance:
    paths: DataPaths
    hardware: Hardware
    settings: SettingsStore
    db: Database
    bus: EventBus
    events: EventStore
    auth: AuthService
    accounts: Accounts
    health: HealthMonitor
    git: GitInfo
    captive_portal: CaptivePortal
    sensors: SensorManager
    presence: PresenceMonitor
    recorder: Recorder
    detection: Detection
    janitor: Janitor
    profiles: StorageProfiles
    timelapse: Timelapse
    notifier: PushNotifier
    exports: Exporter
    first_boot: FirstBoot
    history: History
    previews: Previews
    night: NightMode
    # Answers of routes that run a command or scan (Wi-Fi stations, ffprobe ...), shared by all clients.
    answers: SharedAnswers
    services: list[Service] = field(default_factory=list)
    # Whether this start set admin's password from SECURITYCAM_PASSWORD (a first start or a reset).
    password_from_env: bool = False
    # Set by stop(): endless responses (a log tail) end with the appliance.
    stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def runner(self) -> CommandRunner:
        return self.hardware.runner  # type: ignore[return-value]

    @property
    def host(self) -> HostReader:
        return self.hardware.host  # type: ignore[return-value]

    @property
    def clock(self) -> Clock:
        return self.hardware.clock  # type: ignore[return-value]

    @property
    def bluetooth(self) -> BluetoothAdapter:
        return self.hardware.bluetooth  # type: ignore[return-value]

    @property
    def on_pi(self) -> bool:
        return self.host.is_raspberry_pi()

    def system_info(self) -> dict[str, Any]:
        """``GET /system_info``, also the body of the periodic SSE ``system_info`` message."""
        # What the cameras really record from (settings), not a guess from the board.
        sources = {camera.name: camera.source for camera in self.settings.get().Cameras}
        return {**system_info(self.host, self.git, camera_sources=sources), **host_figures(self.host, self.paths.root),
                "night_mode": self.night.status()}

    @classmethod
    def build(
        cls,
        data_dir: Path,
        hardware: Hardware | None = None,
        defaults_file: Path = SHIPPED_DEFAULTS,
        max_sse_clients: int = 48,
    ) -> Appliance:
        paths = DataPaths(Path(data_dir).resolve())
        diskfull.release_reserve(paths.space_reserve)  # room to open the database, on a full disk
        paths.create()
        paths.clear_scratch()
        hw = (hardware or Hardware()).resolved()
        first_start = not paths.settings_file.exists()
        settings = SettingsStore(paths.settings_file, defaults_file)
        if first_start and not hw.host.is_raspberry_pi():
            use_mock_sensor(settings)
        db = Database(paths.database)
        db.migrate()  # every store's schema is registered by now (detection's review and timeline too)
        events = EventStore(db, hw.clock)
        bus = EventBus(max_subscribers=max_sse_clients)
        users = UserStore(db, hw.clock)
        keys = ApiKeyStore(db, hw.clock)
        sessions = SessionTokens(paths.session_secret_file, settings, hw.clock)
        auth = AuthService(settings, db, users, keys, paths.default_password_file, hw.clock)
        password_from_env = auth.bootstrap(
            [paths.root / "reset-auth", hw.host.root / "boot/firmware/reset-auth", hw.host.root / "boot/reset-auth"],
            env_password(),
        )
        # The monitor asks for the system info only once started, when ``appliance`` below exists.
        health = HealthMonitor(hw.host, paths.root, bus, describe=lambda: appliance.system_info())
        for problem in settings.problems:
            health.set_alert("settings", WARN, problem)
        wifi = WifiPresence(hw.runner, hw.host, lambda: settings.get().Wifi.interface)  # type: ignore[arg-type]
        presence = PresenceMonitor(hw.bluetooth, db, settings, bus, hw.clock, health, wifi)  # type: ignore[arg-type]
        profiles = StorageProfiles(db, paths, settings, hw.clock, health)
        recorder = Recorder(settings, paths, db, events, bus, hw.clock, MediaMTX(paths, hw.clock),
                            run_cameras=hw.run_cameras, profiles=profiles)
        previews = Previews(db, paths, recorder.recordings)
        janitor = Janitor(MediaIndex(db, paths, events, profiles), settings, hw.host, paths, db, bus, hw.clock,
                          health, recordings=recorder.recordings, previews=previews)
        recorder.on_media(janitor.file_written)
        captive_portal = CaptivePortal(hw.runner, settings, hw.clock)
        notifier = PushNotifier(db, paths.vapid_key_file, hw.clock)
        detection = Detection(settings, recorder, events, db, bus, paths, hw.clock, presence)
        detection.reviews.on_new_alert(notifier.review_alerted)
        appliance = cls(
            paths=paths,
            hardware=hw,
            settings=settings,
            db=db,
            bus=bus,
            events=events,
            auth=auth,
            accounts=Accounts(auth, users, sessions, keys, hw.clock),
            health=health,
            git=GitInfo(hw.runner, clock=hw.clock),
            captive_portal=captive_portal,
            first_boot=FirstBoot(hw.runner, settings, captive_portal, paths.root, hw.host, hw.clock),
            presence=presence,
            sensors=SensorManager(settings, events, bus, hw.clock, hw.pin_factory, presence=presence),
            recorder=recorder,
            detection=detection,
            janitor=janitor,
            profiles=profiles,
            timelapse=Timelapse(settings, paths, recorder, bus, hw.clock, on_video=janitor.file_written),
            password_from_env=password_from_env,
            notifier=notifier,
            exports=Exporter(db, paths, recorder.recordings, on_file=janitor.file_written,
                             delete_file=lambda path: janitor.delete(path, "export"), room=janitor.room),
            history=History(db, bus, hw.clock, lambda: host_figures(hw.host, paths.root)),  # type: ignore[arg-type]
            previews=previews,
            night=NightMode(settings, recorder, bus, hw.clock, hw.pin_factory),
            answers=SharedAnswers(hw.clock),
        )
        # The recorder starts before the sensors and detection (anything that opens events): it ends
        # the events a crash left open, and a trigger at start-up then finds it listening.
        # The janitor starts before the recorder (room first), the timelapse and detection after it (frames
        # come from it); detection before the sensors, so their events find its review items.
        # The backfill counts rows from before an update into the summaries' new tables (see store/db.py).
        appliance.services = [
            Backfiller(db, [SUMMARY_BACKFILL, COUNTS_BACKFILL]), health, appliance.history, appliance.captive_portal,
            appliance.first_boot, appliance.presence, profiles,
            janitor, appliance.recorder, appliance.night, appliance.timelapse, appliance.exports, appliance.detection,
            appliance.sensors, notifier, MqttService(appliance),
        ]
        return appliance

    def start(self) -> None:
        log.info("starting on %s; data in %s", self._hardware_description(), self.paths.root, extra=CONSOLE)
        log.info("dashboard login: user admin, password %s", self._password_whereabouts(), extra=CONSOLE)
        for service in self.services:
            service.start()

    def _hardware_description(self) -> str:
        cameras = ", ".join(f"{camera.name} ({camera.source})" for camera in self.settings.get().Cameras)
        if self.on_pi:
            return f"a Raspberry Pi; cameras: {cameras}"
        parts = [f"cameras: {cameras}"]
        if isinstance(self.hardware.pin_factory, MockFactory):
            parts.append("GPIO pins simulated (no sensor triggers by itself; try the mock sensor)")
        if isinstance(self.runner, RecordingRunner):
            parts.append("commands that change the machine (reboot, iptables) logged, not run")
        return f"a machine with no Raspberry Pi hardware: {'; '.join(parts)}"

    def _password_whereabouts(self) -> str:
        if self.password_from_env:
            return "from SECURITYCAM_PASSWORD"
        if self.paths.default_password_file.exists():
            return f"in {self.paths.default_password_file}"
        return (f"as set before (SECURITYCAM_PASSWORD counts only on a first start; to reset it, "
                f"create {self.paths.root / 'reset-auth'} and restart)")

    def stop(self) -> None:
        self.stopping.set()
        for service in reversed(self.services):
            try:
                service.stop()
            except Exception:
                log.exception("stopping %r failed", service)
        self.bus.close()
        self.db.close()
        log.info("stopped")
