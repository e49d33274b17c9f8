import contextlib
import ctypes
import ctypes.util
import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from securitycam.store import Database, register_schema
from securitycam.store.db import _SCHEMAS
from securitycam.store.events import EventStore


@pytest.fixture
def scratch_component():
    yield "scratch"
    _SCHEMAS.pop("scratch", None)


def test_migrations_apply_once_and_append(tmp_path, scratch_component):
    db = Database(tmp_path / "t.db")
    register_schema(scratch_component, ["CREATE TABLE things (id INTEGER PRIMARY KEY);"])
    assert db.migrate()[scratch_component] == 1
    assert db.migrate()[scratch_component] == 1  # nothing re-run
    register_schema(scratch_component, [
        "CREATE TABLE things (id INTEGER PRIMARY KEY);",
        "ALTER TABLE things ADD COLUMN name TEXT; CREATE INDEX things_name ON things (name);",
    ])
    assert db.migrate()[scratch_component] == 2
    db.execute("INSERT INTO things (name) VALUES ('a')")
    assert db.query_one("SELECT name FROM things")["name"] == "a"
    assert db.query_one("PRAGMA journal_mode")[0] == "wal"
    assert db.query_one("PRAGMA foreign_keys")[0] == 1


def test_a_failing_step_leaves_the_previous_version(tmp_path, scratch_component):
    db = Database(tmp_path / "t.db")
    register_schema(scratch_component, ["CREATE TABLE a (x);", "CREATE TABLE b (x); CREATE TABLE a (x);"])
    with pytest.raises(sqlite3.OperationalError):
        db.migrate()
    assert db.query_one("SELECT version FROM schema_versions WHERE component = 'scratch'")["version"] == 1
    assert db.query_one("SELECT name FROM sqlite_master WHERE name = 'b'") is None


def test_threads_using_the_database_at_once_have_their_own_connections(tmp_path):
    db = Database(tmp_path / "t.db")
    db.migrate()
    seen = []
    together = threading.Barrier(4)

    def use():
        seen.append(db.connection())
        together.wait(timeout=5)

    threads = [threading.Thread(target=use) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(conn) for conn in seen}) == 4


def test_connections_go_back_to_a_bounded_pool(tmp_path):
    db = Database(tmp_path / "t.db", pool_size=2)
    db.migrate()
    first = db.connection()
    db.release()
    assert db.connection() is first  # reused, not reopened
    db.release()
    # Sixty-four threads that each use the database once and go on living (a server's request
    # threads), then sixty-four that end: neither leaves more than the pool's idle connections.
    done = threading.Event()

    def request_thread():
        db.query("SELECT 1")
        db.release()
        done.wait(timeout=10)

    living = [threading.Thread(target=request_thread) for _ in range(64)]
    for t in living:
        t.start()
    ended = [threading.Thread(target=db.query, args=("SELECT 1",)) for _ in range(64)]
    for t in ended:
        t.start()
        t.join()
    db.query("SELECT 1")  # this thread's new connection reclaims those of the ended threads
    assert db.open_connections <= 3
    done.set()
    for t in living:
        t.join()


# The threads of the test appliance's services that keep a database connection of their own.
SERVICE_THREADS = ("history", "janitor", "storage-profiles", "recorder")


def test_request_threads_do_not_each_keep_a_database_connection(app, token):
    """A server's pool of request threads (hundreds, with SSE) must not hold a connection each, nor
    leave one descriptor each: counted as the database file's open descriptors in this process."""
    db = app.extensions["securitycam"].db
    start = threading.Barrier(64)
    done = threading.Event()
    answered = []

    def request_thread():
        client = app.test_client()
        start.wait(timeout=20)
        answered.append(client.get("/archive", headers={"Authorization": f"Bearer {token}"}).status_code)
        done.wait(timeout=20)

    threads = [threading.Thread(target=request_thread) for _ in range(64)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while len(answered) < 64 and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert answered == [200] * 64
        # SQLite keeps a closed connection's descriptor open while other connections live, so the
        # descriptors count the most connections ever open at once: the requests' pool and the
        # services' own, not one per request that ran at the same time.
        bound = db.pool_size + len(SERVICE_THREADS)
        descriptors = _open_descriptors(db.path)
        assert descriptors <= bound, (
            f"{descriptors} descriptors of the database file, {db.open_connections} connections open; "
            f"at most {bound} expected (a pool of {db.pool_size} and {len(SERVICE_THREADS)} services' threads)")
        # Each connection has its -wal file open (closed with it) and all share one -shm.
        assert _open_descriptors(Path(f"{db.path}-wal")) <= bound
        assert _open_descriptors(Path(f"{db.path}-shm")) == 1
    finally:
        done.set()
        for t in threads:
            t.join()


def test_requests_borrow_from_a_bounded_pool_and_never_wait_forever(tmp_path):
    db = Database(tmp_path / "t.db", pool_size=2, pool_wait=30)
    db.migrate()
    db.release()
    lock = threading.Lock()
    using, most = [0], [0]

    def request_thread():
        db.borrow()
        db.query("SELECT 1")
        with lock:
            using[0] += 1
            most[0] = max(most[0], using[0])
        time.sleep(0.01)  # the request's work, connection in hand
        with lock:
            using[0] -= 1
        db.end_borrowing()

    threads = [threading.Thread(target=request_thread) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == 2  # the others waited for one of the two
    assert _open_descriptors(db.path) == 2  # and no descriptor was left by a closed connection
    assert db.open_connections == 2

    # A request that finds every pooled connection lent for pool_wait gets one of its own.
    db.pool_wait = 0.1
    holding = threading.Barrier(3)
    finish = threading.Event()

    def slow_request():
        db.borrow()
        db.query("SELECT 1")
        holding.wait(timeout=10)
        finish.wait(timeout=10)
        db.end_borrowing()

    slow = [threading.Thread(target=slow_request) for _ in range(2)]
    for t in slow:
        t.start()
    holding.wait(timeout=10)
    db.borrow()
    assert db.query_one("SELECT 2")[0] == 2
    db.end_borrowing()
    finish.set()
    for t in slow:
        t.join()
    assert db.open_connections == 2


def _sqlite_heap():
    """SQLite's own count of the heap it uses in this process (the library Python's sqlite3 uses)."""
    name = ctypes.util.find_library("sqlite3")
    if name is None:
        pytest.skip("no SQLite shared library to ask")
    library = ctypes.CDLL(name)
    library.sqlite3_memory_used.restype = ctypes.c_int64
    return library.sqlite3_memory_used


def test_each_connection_caches_at_most_half_a_megabyte_of_a_large_database(tmp_path):
    """A database that grows (weeks of recordings rows) must not cost each connection 2 MB of cache."""
    memory_used = _sqlite_heap()
    db = Database(tmp_path / "t.db")
    db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    with db.transaction() as tx:
        tx.executemany("INSERT INTO notes (body) VALUES (?)", [("x" * 200,) for _ in range(20_000)])
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert (tmp_path / "t.db").stat().st_size > 4 * 2**20
    before = memory_used()
    scanned, done = threading.Barrier(5), threading.Event()

    def reader():
        db.query("SELECT sum(length(body)) FROM notes")
        scanned.wait(timeout=10)
        done.wait(timeout=10)

    readers = [threading.Thread(target=reader) for _ in range(4)]
    for t in readers:
        t.start()
    scanned.wait(timeout=10)
    # Four connections that each read all 4 MB: their caches hold 4 x 0.5 MB, not 4 x 2 MB.
    grown = memory_used() - before
    done.set()
    for t in readers:
        t.join()
    if grown == 0:
        pytest.skip("this SQLite library is not the one Python's sqlite3 uses")
    assert grown < 4 * 0.75 * 2**20, f"four connections' caches took {grown / 2**20:.1f} MiB"


def _open_descriptors(path):
    fds = Path("/proc/self/fd")
    count = 0
    for fd in fds.iterdir():
        with contextlib.suppress(OSError):
            count += os.readlink(fd) == str(path)
    return count


def test_events_open_end_and_query(tmp_path):
    db = Database(tmp_path / "t.db")
    db.migrate()
    store = EventStore(db)
    opened, ended = [], []
    store.on_open(opened.append)
    store.on_end(ended.append)
    event = store.open("cam", "sensor", "reed_switch", start_time=1000.25)
    integer, rest = event.id.split(".")
    assert integer == "1000" and len(rest.split("-")[1]) == 6
    assert store.get(event.id).in_progress
    store.end(event.id, end_time=1010.0)
    store.end(event.id, end_time=2000.0)  # a second end changes nothing
    assert store.get(event.id).end_time == 1010.0
    assert [e.id for e in opened] == [event.id] and [e.id for e in ended] == [event.id]
    other = store.open("garage", "manual", "manual", start_time=1005)
    assert [e.id for e in store.list()] == [other.id, event.id]
    assert [e.id for e in store.list(camera="cam")] == [event.id]
    assert [e.id for e in store.list(in_progress=True)] == [other.id]
    store.update(other.id, retain_indefinitely=True, zones=["porch"], data={"k": 1})
    assert store.get(other.id).retain_indefinitely is True and store.get(other.id).zones == ["porch"]
    with pytest.raises(ValueError):
        store.open("cam", "nonsense", "x")
    with pytest.raises(ValueError):
        store.update(other.id, camera="x")


def test_zones_and_sub_labels_are_tagged_and_found_either_way(tmp_path, monkeypatch):
    """A rare zone or sub label is looked up in event_tags, a common one by walking the events: same answer."""
    from securitycam.store import events as events_module
    from securitycam.store.events import EventQuery

    db = Database(tmp_path / "t.db")
    db.migrate()
    store = EventStore(db)
    first = store.open("cam", "object", "person", sub_label="Bob, Alice", start_time=10)
    second = store.open("cam", "object", "person", start_time=20)
    store.update(second.id, zones=["porch", "yard"], sub_label="carol")
    third = store.open("cam", "object", "car", start_time=30)
    store.update(third.id, zones=["yard"])
    queries = {
        (("zones", ("yard",)),): [third.id, second.id],
        (("zones", ("porch", "gate")),): [second.id],
        (("sub_labels", ("alice",)),): [first.id],
        (("sub_labels", ("BOB", "carol")),): [second.id, first.id],
        (("sub_labels", ("None",)),): [third.id],
        (("zones", ("yard",)), ("sub_labels", ("carol",))): [second.id],
        (("zones", ("attic",)),): [],
    }
    for rare_limit in (events_module.RARE_TAG, 0):
        monkeypatch.setattr(events_module, "RARE_TAG", rare_limit)
        for filters, expected in queries.items():
            assert [e.id for e in store.list(EventQuery(**dict(filters)))] == expected, (rare_limit, filters)
    assert db.query_one("SELECT count(*) FROM event_tags WHERE event_id = ?", (second.id,))[0] == 3
    store.delete(second.id)
    assert db.query_one("SELECT count(*) FROM event_tags WHERE event_id = ?", (second.id,))[0] == 0


# Every offset of the time zones, in quarter hours: UTC-12:00 to UTC+14:00 (with +5:30, +5:45, -3:30 ...).
EVERY_OFFSET = [quarter * 900.0 for quarter in range(-48, 57)]


def counted_from_events(db, utc_offset, has_clip=None, has_snapshot=None):
    """The events summary counted from the events themselves (what the summary answered before
    event_summary): a GROUP BY over the whole table."""
    flags = [f"{column} = {int(value)}" for column, value in (("has_clip", has_clip), ("has_snapshot", has_snapshot))
             if value is not None]
    rows = db.tuples(
        "SELECT CAST((start_time + ?) / 86400 AS INTEGER) AS day, camera, label, coalesce(sub_label, '') AS named, "
        f"zones, count(*) FROM events {'WHERE ' + ' AND '.join(flags) if flags else ''} "
        "GROUP BY day, camera, label, named, zones ORDER BY day, camera, label, named, zones", (utc_offset,))
    return [(time.strftime("%Y-%m-%d", time.gmtime(day * 86400)), camera, label, named or None, zones, count)
            for day, camera, label, named, zones, count in rows]


@pytest.mark.parametrize("seed", range(2))
def test_the_events_summary_table_follows_every_write(tmp_path, seed):
    """/api/events/summary reads event_summary (kept by triggers, per quarter hour): after opens,
    updates of every counted column, ends and deletes it says what counting the events says, for every
    time zone's offset (whole hours, half and three quarters, either side of UTC) and with the
    clip/snapshot filters. Start times include quarter hours exactly and just before them."""
    import random

    from securitycam.clock import ManualClock

    db = Database(tmp_path / "summary.db")
    db.migrate()
    store = EventStore(db, ManualClock(1_780_000_000.0))
    rng = random.Random(seed)
    day0 = 1_779_148_800.0  # a UTC midnight

    def start() -> float:
        quarter = day0 + rng.randrange(5 * 96) * 900
        return rng.choice([quarter, quarter - 0.25, quarter + rng.uniform(0, 900)])

    events = [store.open(rng.choice(["front", "back"]), "sensor", rng.choice(["pir", "reed"]), start_time=start())
              for _ in range(300)]
    for event in rng.sample(events, 120):
        store.update(event.id, label="person", sub_label=rng.choice([None, "alice"]),
                     zones=rng.choice([[], ["yard"], ["yard", "door"]]), has_clip=rng.random() < 0.5,
                     has_snapshot=rng.random() < 0.5)
    for event in rng.sample(events, 100):
        store.end(event.id, event.start_time + 30)
    for event in rng.sample(events, 60):
        store.delete(event.id)
    store.update(events[0].id, sub_label="")  # no sub label either way
    for offset in EVERY_OFFSET:
        for has_clip, has_snapshot in ((None, None), (True, None), (False, True)):
            kept = list(store.summary(offset, has_clip, has_snapshot))
            assert kept == counted_from_events(db, offset, has_clip, has_snapshot), (offset, has_clip, has_snapshot)
    assert sum(row[-1] for row in store.summary(5.5 * 3600)) == 240
    # No row is left at zero; an offset that is not whole quarter hours is refused.
    assert db.query_one("SELECT count(*) FROM event_summary WHERE events <= 0")[0] == 0
    with pytest.raises(ValueError, match="quarter hours"):
        list(store.summary(100.0))
