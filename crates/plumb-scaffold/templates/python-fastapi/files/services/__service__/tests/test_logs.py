"""Unit tests: JSON log lines and request ids."""

import io
import json
import logging

from app import logs
from app.middleware import request_id


def _last(stream: io.StringIO) -> dict:
    return json.loads(stream.getvalue().strip().splitlines()[-1])


def test_log_lines_are_json_with_the_extra_fields():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("test.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        logger.info("request %s", "done", extra={"request_id": "abc", "status": 200})
        entry = _last(stream)
        assert entry["msg"] == "request done"
        assert entry["level"] == "INFO"
        assert entry["logger"] == "test.logs"
        assert entry["request_id"] == "abc" and entry["status"] == 200
        assert entry["ts"].endswith("+00:00")
        assert "args" not in entry and "levelno" not in entry

        try:
            raise ValueError("line one\nline two")
        except ValueError:
            logger.exception("failed")
        assert len(stream.getvalue().strip().splitlines()) == 2, "one line per record"
        entry = _last(stream)
        assert entry["level"] == "ERROR" and "ValueError: line one" in entry["exc"]
    finally:
        logger.removeHandler(handler)


def test_setup_sends_the_root_logger_to_stdout_as_json(capsys):
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        logs.setup("WARNING")
        logging.getLogger("test.setup").warning("careful")
        logging.getLogger("test.setup").info("not shown")
        out = capsys.readouterr().out.strip().splitlines()
        assert [json.loads(line)["msg"] for line in out] == ["careful"]
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def test_request_ids_are_kept_only_when_sane():
    assert request_id("req-1.A_b") == "req-1.A_b"
    for bad in [None, "", "a b", "x" * 129, 'evil"}\n{"level":"ERROR"']:
        generated = request_id(bad)
        assert generated != bad and len(generated) == 32


def test_lines_logged_while_serving_a_request_carry_its_id():
    record = logging.LogRecord("app.users", logging.INFO, __file__, 1, "auth event", (), None)
    assert "request_id" not in json.loads(logs.JsonFormatter().format(record))
    token = logs.request_id.set("req-7")
    try:
        assert json.loads(logs.JsonFormatter().format(record))["request_id"] == "req-7"
    finally:
        logs.request_id.reset(token)
