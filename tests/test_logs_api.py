import logging
import os

import pytest

from securitycam.system import logs as logs_module


@pytest.fixture
def logs_dir(data_dir, app):
    return data_dir / "logs"


def test_api_log_newest_first_with_filters(client, logs_dir):
    logger = logging.getLogger("securitycam.presence")
    logger.info("phone arrived")
    logger.error("presence scan failed\nTraceback: line two")
    logger.warning("something else")
    entries = client.get("/logs/api?limit=2000").json
    messages = [e["message"] for e in entries]
    assert messages.index("something else") < messages.index("presence scan failed\nTraceback: line two")
    assert set(entries[0]) == {"ts", "level", "source", "message"}
    errors = client.get("/logs/api?level=error&search=PRESENCE").json
    assert [e["message"] for e in errors] == ["presence scan failed\nTraceback: line two"]
    assert errors[0]["source"] == "securitycam.presence" and errors[0]["level"] == "ERROR"
    assert len(client.get("/logs/api?limit=1").json) == 1


def test_api_log_limit_is_capped(client, logs_dir):
    lines = [f"2026-04-01T10:00:00.000+00:00 INFO securitycam.x: line {n}" for n in range(2500)]
    (logs_dir / "api" / "api.log.1").write_text("\n".join(lines) + "\n")
    os.utime(logs_dir / "api" / "api.log.1", (1, 1))  # older than the live file
    entries = client.get("/logs/api?limit=5000").json
    assert len(entries) == 2000


@pytest.mark.parametrize("query", ["limit=abc", "limit=0", "level=LOUD"])
def test_api_log_bad_query(client, query):
    response = client.get(f"/logs/api?{query}")
    assert response.status_code == 400 and response.json["field"] in ("limit", "level")


def test_api_log_is_rotated_and_bounded(tmp_path):
    handler = logs_module.setup_logging(tmp_path)
    try:
        logger = logging.getLogger("securitycam.flood")
        for n in range(12000):
            logger.info("x" * 500 + str(n))
    finally:
        logging.getLogger("securitycam").removeHandler(handler)
        handler.close()
    files = list((tmp_path / "api").iterdir())
    total = sum(f.stat().st_size for f in files)
    assert len(files) == logs_module.API_LOG_BACKUPS + 1
    assert total <= (logs_module.API_LOG_BACKUPS + 1) * logs_module.API_LOG_BYTES


def test_mediamtx_levels_are_normalised(client, logs_dir):
    (logs_dir / "mediamtx").mkdir()
    (logs_dir / "mediamtx" / "mediamtx.log").write_text(
        "2026/04/01 10:00:00 INF MediaMTX v1.9.0\n"
        "2026/04/01 10:00:01 WAR [RTSP] [conn 127.0.0.1:5000] slow reader\n"
        "2026/04/01 10:00:02 ERR [path cam] [rpicamera] camera not found\n"
        "2026/04/01 10:00:03 DBG [HLS] muxer started\n"
    )
    entries = client.get("/logs/mediamtx").json
    assert [e["level"] for e in entries] == ["DEBUG", "ERROR", "WARNING", "INFO"]
    assert entries[1] == {"ts": "2026/04/01 10:00:02", "level": "ERROR", "source": "path cam",
                          "message": "[rpicamera] camera not found"}
    assert [e["source"] for e in client.get("/logs/mediamtx?search=rtsp").json] == ["RTSP"]
    assert client.get("/logs/mediamtx?level=WARNING").json[0]["message"].endswith("slow reader")


def test_script_logs_listing_and_content(client, logs_dir):
    (logs_dir / "install").mkdir()
    (logs_dir / "update").mkdir()
    (logs_dir / "mediamtx").mkdir()
    (logs_dir / "install" / "2026-04-01_09-51-07.log").write_text("installing\n")
    os.utime(logs_dir / "install" / "2026-04-01_09-51-07.log", (1000, 1000))
    (logs_dir / "update" / "2026-04-01_10-00-00.log").write_text("updated\n")
    (logs_dir / "mediamtx" / "mediamtx.log").write_text("not a script log\n")
    listing = client.get("/logs/install").json
    assert [e["name"] for e in listing] == ["update/2026-04-01_10-00-00.log", "install/2026-04-01_09-51-07.log"]
    assert listing[1]["category"] == "install" and listing[1]["size"] == len("installing\n")
    response = client.get("/logs/script/install/2026-04-01_09-51-07.log")
    assert response.status_code == 200 and response.text == "installing\n"
    assert response.mimetype == "text/plain"
    assert client.get("/logs/script/install/missing.log").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/logs/script/install/..%2F..%2Fsettings%2Fsettings.json",
        "/logs/script/install/../../securitycam.db",
        "/logs/script/..%2F..%2F/etc/passwd",
        "/logs/script/api/api.log",
        "/logs/script/install/%2Fetc%2Fpasswd",
    ],
)
def test_script_log_traversal_is_refused(client, logs_dir, path):
    (logs_dir / "install").mkdir(exist_ok=True)
    response = client.get(path)
    assert response.status_code in (400, 404)
    assert response.json["success"] is False
    assert "root:" not in response.get_data(as_text=True)


def test_script_log_symlink_out_is_refused(client, logs_dir, data_dir):
    (logs_dir / "install").mkdir()
    (logs_dir / "install" / "evil.log").symlink_to(data_dir / "settings" / "settings.json")
    assert client.get("/logs/script/install/evil.log").status_code == 400


def test_the_summary_tables_names_answer_too(client, logs_dir):
    (logs_dir / "install").mkdir()
    (logs_dir / "install" / "a.log").write_text("x\n")
    assert client.get("/logs/scripts").json == client.get("/logs/install").json
    assert client.get("/logs?limit=3").json == client.get("/logs/api?limit=3").json
    assert client.get("/system/alert").json["overall"] == "ok"
