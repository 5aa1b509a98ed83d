"""Connection settings, bad command-line input, TLS with a login, and the live source."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_mqtt_cluster import require

from emergent_lab.cli import main
from emergent_lab.mqtt.lesson import start_lesson
from emergent_lab.mqtt.processes import free_port, wait_for_port
from emergent_lab.mqtt.settings import BrokerSettings
from emergent_lab.run.source import ClusterSource


def test_urls_give_host_port_and_tls() -> None:
    plain = BrokerSettings.from_url("mqtt://broker.local")
    assert (plain.host, plain.port, plain.tls) == ("broker.local", 1883, False)
    secure = BrokerSettings.from_url("mqtts://user:secret@10.0.0.2")
    assert (secure.port, secure.tls, secure.username, secure.password) == (
        8883,
        True,
        "user",
        "secret",
    )
    assert BrokerSettings.from_url("mqtt://h:1884", username="other").username == "other"


@pytest.mark.parametrize(
    ("url", "options", "message"),
    [
        ("http://h:1883", {}, "--broker: scheme must be mqtt:// or mqtts://"),
        ("mqtt://h:99999", {}, "--broker: invalid port"),
        ("mqtt://:1883", {}, "--broker: the URL has no host"),
        ("mqtt://h", {"cert_file": "/nonexistent.pem"}, "--tls-cert and --tls-key"),
        ("mqtt://h", {"ca_file": "/nonexistent.pem"}, "--tls-ca: no such file"),
        ("mqtt://h", {"password": "x"}, "--password: needs --username"),
    ],
)
def test_bad_connection_settings_name_the_option(
    url: str, options: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        BrokerSettings.from_url(url, **options)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["agent", "--id", "a/b"], "--id: invalid node id"),
        (["agent", "--id", "n1", "--cluster", "a+b"], "cluster: invalid node id"),
        (["agent", "--id", "n1", "--generation", "0"], "--generation: must be an integer >= 1"),
        (["agent", "--id", "n1", "--heartbeat-interval", "0"], "cluster.heartbeat_interval"),
        (["agent", "--id", "n1", "--broker", "tcp://x"], "--broker: scheme"),
        (["observe", "--key-file", "/nonexistent.key"], "--key-file: cannot read"),
        (["broker", "--port", "70000"], "--port: must be an integer"),
        # Both started an agent (that gossiped a metric every peer refuses, or stopped at once).
        (["agent", "--id", "n1", "--metric", "nope=0.5"], "--metric.nope: unknown metric"),
        (["agent", "--id", "n1", "--duration", "-1"], "--duration: must be a finite number > 0"),
        # Each ran, flooding the broker (a period of 0) or publishing what every agent refuses.
        (["agent", "--id", "n1", "--heartbeat-interval", "1e-9"], "--heartbeat-interval: must be"),
        (["agent", "--id", "n1", "--status-interval", "0.001"], "--status-interval: must be"),
        (["device", "--id", "d1", "--interval", "0"], "--interval: must be a finite number >="),
        (["device", "--id", "a/b"], "--id: invalid node id"),
        (["device", "--id", "d1", "--generation", "0"], "--generation: must be an integer >= 1"),
        (["device", "--id", "d1", "--duration", "-5"], "--duration: must be a finite number > 0"),
        (["observe", "--counters-every", "0"], "--counters-every: must be a finite number >= 0.01"),
        (["observe", "--duration", "-5"], "--duration: must be a finite number > 0"),
    ],
)
def test_bad_command_line_input_exits_2_naming_the_field(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certificates(directory: Path) -> None:
    """A CA, a broker certificate for 127.0.0.1 and a client certificate, all signed by it."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca",
            "-keyout", "ca.key", "-out", "ca.pem", cwd=directory)  # fmt: skip
    for name, extension in (("server", "subjectAltName=IP:127.0.0.1"), ("client", None)):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
                "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=directory)  # fmt: skip
        sign = ["x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key"]
        sign += ["-CAcreateserial", "-days", "2", "-out", f"{name}.pem"]
        if extension is not None:
            (directory / "ext.cnf").write_text(extension + "\n")
            sign += ["-extfile", "ext.cnf"]
        openssl(*sign, cwd=directory)


def test_an_agent_joins_a_mosquitto_with_tls_client_certificates_and_a_password(
    tmp_path: Path,
) -> None:
    require("mosquitto", "mosquitto_sub", "mosquitto_passwd", "openssl")
    make_certificates(tmp_path)
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(tmp_path / "passwd"), "agent", "s3cret"],
                   check=True, capture_output=True)  # fmt: skip
    port = free_port()
    config = tmp_path / "mosquitto.conf"
    # As root, Mosquitto drops to its own user, which cannot read pytest's tmp_path.
    stay_root = "user root\n" if os.geteuid() == 0 else ""
    config.write_text(
        stay_root + f"listener {port} 127.0.0.1\n"
        f"cafile {tmp_path / 'ca.pem'}\n"
        f"certfile {tmp_path / 'server.pem'}\n"
        f"keyfile {tmp_path / 'server.key'}\n"
        "require_certificate true\n"
        "allow_anonymous false\n"
        f"password_file {tmp_path / 'passwd'}\n"
    )
    (tmp_path / "password").write_text("s3cret\n")
    broker = subprocess.Popen(["mosquitto", "-c", str(config)], stderr=subprocess.DEVNULL)
    agent = None
    try:
        wait_for_port(port)
        tls = ["--tls-ca", str(tmp_path / "ca.pem"), "--tls-cert", str(tmp_path / "client.pem")]
        tls += ["--tls-key", str(tmp_path / "client.key"), "--username", "agent"]
        agent = subprocess.Popen(
            [sys.executable, "-m", "emergent_lab.cli", "agent", "--broker",
             f"mqtts://127.0.0.1:{port}", "--cluster", "tls", "--id", "solo", *tls,
             "--password-file", str(tmp_path / "password"), "--duration", "20"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        read = subprocess.run(
            ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "--cafile",
             str(tmp_path / "ca.pem"), "--cert", str(tmp_path / "client.pem"), "--key",
             str(tmp_path / "client.key"), "-u", "agent", "-P", "s3cret",
             "-t", "emergent/tls/leader", "-C", "1", "-W", "15"],
            capture_output=True, text=True, timeout=20,
        )  # fmt: skip
        assert '"leader":"solo"' in read.stdout, read.stderr
    finally:
        if agent is not None:
            agent.kill()
            agent.wait()
        broker.terminate()
        broker.wait(5)


def test_the_live_cluster_serves_the_dashboard_interface_and_acts_on_real_processes() -> None:
    lesson = start_lesson(
        [{"cpu_free": 0.2, "mem_free": 0.5}, {"cpu_free": 0.6, "mem_free": 0.5}],
        devices={"d1": {"cpu_free": 0.1}},
        cluster="live",
    )
    cluster = lesson.cluster
    try:
        assert isinstance(cluster, ClusterSource)
        assert cluster.wait_for(lambda c: c.leader() == "n2" and len(c.node_ids()) == 3, 20)
        states = {n.node_id: n for n in cluster.nodes()}
        assert states["n1"].recognised == "n2" and states["n2"].acting
        assert states["d1"].up and states["d1"].metrics == {"cpu_free": 0.1}
        assert {p.peer for p in cluster.peers("n1")} == {"n2", "d1"}
        assert cluster.traffic()[-1].messages > 0
        cluster.kill("n2")
        assert cluster.wait_for(lambda c: c.leader() == "n1", 10)
        assert cluster.wait_for(lambda c: c.published_leader() == "n1", 5)
        cluster.revive("n2")
        assert cluster.wait_for(lambda c: c.leader() == "n2", 15)
        assert {n.node_id: n.generation for n in cluster.nodes()}["n2"] == 2
        assert [m.kind for m in cluster.marks() if m.kind in ("kill", "revive")] == [
            "kill",
            "revive",
        ]
        with pytest.raises(ValueError, match="partition: not possible"):
            cluster.partition("half")
        with pytest.raises(ValueError, match="kill: 'd1' is not an agent started here"):
            cluster.kill("d1")
    finally:
        lesson.close()
