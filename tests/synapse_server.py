"""A real Synapse homeserver on 127.0.0.1 for the Matrix tests.

Synapse lives in a virtual environment of its own (`.synapse-venv`, made by
`scripts/setup-synapse`), because its dependency pins differ from the bot's.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = Path(os.environ.get("SYNAPSE_PYTHON", ROOT / ".synapse-venv" / "bin" / "python"))
SECRET = "mitmach-test-registration-secret"


def why_not() -> str | None:
    if not PYTHON.exists():
        return f"Synapse is not installed ({PYTHON} missing): run scripts/setup-synapse"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


CONFIG = """server_name: "localhost"
pid_file: {dir}/homeserver.pid
listeners:
  - port: {port}
    bind_addresses: ['127.0.0.1']
    type: http
    tls: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args: {{database: {dir}/homeserver.db}}
log_config: {dir}/log.yaml
media_store_path: {dir}/media
signing_key_path: {dir}/signing.key
trusted_key_servers: []
registration_shared_secret: "{secret}"
report_stats: false
enable_metrics: false
suppress_key_server_warning: true
{limits}rc_login:
  address: {{per_second: 1000, burst_count: 1000}}
  account: {{per_second: 1000, burst_count: 1000}}
"""

LIFTED = """rc_message: {{per_second: {message_rate}, burst_count: {message_burst}}}
rc_joins: {{local: {{per_second: 1000, burst_count: 1000}}}}
rc_invites:
  per_room: {{per_second: 1000, burst_count: 1000}}
  per_user: {{per_second: 1000, burst_count: 1000}}
"""

LOG = """version: 1
formatters: {{precise: {{format: '%(asctime)s %(levelname)s %(name)s %(message)s'}}}}
handlers: {{file: {{class: logging.FileHandler, formatter: precise, filename: {dir}/homeserver.log}}}}
root: {{level: WARNING, handlers: [file]}}
disable_existing_loggers: false
"""


class Synapse:
    def __init__(
        self, directory: Path, message_rate: float = 1000, message_burst: int = 1000, *, default_limits: bool = False
    ) -> None:
        """`message_rate` and `message_burst` are Synapse's rc_message: low values make it answer 429.

        With `default_limits`, messages, joins and invites have Synapse's own defaults (messages:
        0.2 a second after a burst of 10; joins: 0.1 a second after 10); logins stay lifted."""
        self.default_limits = default_limits
        self.dir = directory
        self.message_rate = message_rate
        self.message_burst = message_burst
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        config = self.dir / "homeserver.yaml"
        text = CONFIG.format(
            dir=self.dir,
            port=self.port,
            secret=SECRET,
            limits=""
            if self.default_limits
            else LIFTED.format(message_rate=self.message_rate, message_burst=self.message_burst),
        )
        config.write_text(text, encoding="utf-8")
        (self.dir / "log.yaml").write_text(LOG.format(dir=self.dir), encoding="utf-8")
        app = [str(PYTHON), "-m", "synapse.app.homeserver", "-c", str(config)]
        subprocess.run([*app, "--generate-keys"], check=True, capture_output=True, timeout=120)
        self.process = subprocess.Popen(app, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/_matrix/client/versions", timeout=1).read()
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"Synapse did not start; see {self.dir}/homeserver.log") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def register(self, name: str, password: str) -> str:
        """Create a user with the shared registration secret; returns the Matrix user id."""
        endpoint = f"{self.url}/_synapse/admin/v1/register"
        nonce = json.load(urllib.request.urlopen(endpoint, timeout=10))["nonce"]
        mac = hmac.new(SECRET.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), name.encode(), password.encode(), b"notadmin"]))
        body = json.dumps(
            {"nonce": nonce, "username": name, "password": password, "admin": False, "mac": mac.hexdigest()}
        ).encode()
        request = urllib.request.Request(endpoint, data=body, headers={"Content-Type": "application/json"})
        return str(json.load(urllib.request.urlopen(request, timeout=10))["user_id"])
