"""A stand-in for Onboard's side of the mail contract (docs/mail.md), from an in-memory table.

Two servers, standard library only:
  * HTTP for Dovecot's Lua passdb/userdb (mail/onboard-auth.lua):
      POST /internal/mail/auth  {"user", "password", "service", "remote_ip"}
      POST /internal/mail/user  {"user"}
    both need header X-Onboard-Mail-Secret and answer
      200 {"ok": true, "user": canonical, "quota_bytes": N, "acl_groups": "a@x,b@y"} or 200 {"ok": false}
  * Postfix socketmap (netstrings "NAME KEY" -> "OK value" / "NOTFOUND " / "TEMP reason"):
      mailbox  address -> OK canonical address (an account or a shared mailbox)
      alias    old address -> OK current address
      senders  address -> OK login1,login2 (who may use it as MAIL FROM)

Use in-process (StubOnboard(...).start() / .stop()) or run it:
  python stub_onboard.py --http 127.0.0.1:8080 --socketmap 127.0.0.1:14305 --secret S
"""

from __future__ import annotations

import argparse
import copy
import hmac
import json
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DOMAIN = "nhs.net"

# The table: accounts, one shared mailbox with one Full Access and one Send As member, an alias, a
# disabled account.
TABLE = {
    "accounts": {
        "alice@nhs.net": {"password": "alice-pw-1", "quota_bytes": 0},
        "bob@nhs.net": {"password": "bob-pw-2", "quota_bytes": 50_000_000},
        "carol@nhs.net": {"password": "carol-pw-3", "quota_bytes": 0},
        "eve@nhs.net": {"password": "eve-pw-4", "quota_bytes": 0},
        "dave@nhs.net": {"password": "dave-pw-5", "quota_bytes": 0, "disabled": True},
    },
    "shared": {
        "pharmacy.fab12@nhs.net": {
            "quota_bytes": 0,
            "full_access": ["bob@nhs.net"],
            "send_as": ["carol@nhs.net"],
        },
    },
    # Renamed accounts keep receiving at their old address.
    "aliases": {"alice.smith@nhs.net": "alice@nhs.net"},
}


class StubOnboard:
    def __init__(self, http_address: str, socketmap_address: str, secret: str, table: dict | None = None):
        self.http_address = _split(http_address)
        self.socketmap_address = _split(socketmap_address)
        self.secret = secret
        self.table = copy.deepcopy(table or TABLE)
        self.lock = threading.Lock()
        self.http_requests: list[tuple[str, dict]] = []
        # Set to a status (e.g. 500) to answer every HTTP request with it: Dovecot must refuse logins.
        self.force_status: int | None = None
        self.socketmap_requests: list[str] = []
        self._http = None
        self._socketmap = None

    # ---- the decisions ----

    def canonical(self, address: str) -> str | None:
        address = address.strip().lower()
        address = self.table["aliases"].get(address, address)
        if address in self.table["accounts"] or address in self.table["shared"]:
            return address
        return None

    def groups(self, account: str) -> str:
        return ",".join(
            sorted(name for name, box in self.table["shared"].items() if account in box["full_access"])
        )

    def auth(self, body: dict) -> dict:
        user = self.canonical(str(body.get("user", "")))
        account = self.table["accounts"].get(user or "")
        if account is None or account.get("disabled"):  # shared mailboxes never log in
            return {"ok": False}
        if not hmac.compare_digest(str(body.get("password", "")).encode(), account["password"].encode()):
            return {"ok": False}
        return {"ok": True, "user": user, "quota_bytes": account["quota_bytes"], "acl_groups": self.groups(user)}

    def user(self, body: dict) -> dict:
        user = self.canonical(str(body.get("user", "")))
        if user in self.table["accounts"]:
            return {"ok": True, "user": user, "quota_bytes": self.table["accounts"][user]["quota_bytes"],
                    "acl_groups": self.groups(user)}
        if user in self.table["shared"]:
            return {"ok": True, "user": user, "quota_bytes": self.table["shared"][user]["quota_bytes"],
                    "acl_groups": ""}
        return {"ok": False}

    def socketmap(self, name: str, key: str) -> str:
        key = key.strip().lower()
        if name == "mailbox":
            if key in self.table["accounts"] or key in self.table["shared"]:
                return "OK " + key
            return "NOTFOUND "
        if name == "alias":
            current = self.table["aliases"].get(key)
            return "OK " + current if current else "NOTFOUND "
        if name == "senders":
            if key in self.table["accounts"]:
                return "OK " + key
            if key in self.table["shared"]:
                logins = self.table["shared"][key]["send_as"]
                return "OK " + ",".join(logins) if logins else "NOTFOUND "
            return "NOTFOUND "
        return "PERM unknown map " + name

    # ---- the servers ----

    def start(self) -> "StubOnboard":
        self.start_http()
        self.start_socketmap()
        return self

    def start_http(self) -> None:
        stub = self

        class Http(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if stub.force_status is not None:
                    return self._answer(stub.force_status, {"error": "forced"})
                given = self.headers.get("X-Onboard-Mail-Secret", "")
                if not hmac.compare_digest(given.encode(), stub.secret.encode()):
                    return self._answer(403, {"error": "bad secret"})
                try:
                    body = json.loads(raw)
                    assert isinstance(body, dict)
                except (ValueError, AssertionError):
                    return self._answer(400, {"error": "bad JSON"})
                with stub.lock:
                    stub.http_requests.append((self.path, {k: v for k, v in body.items() if k != "password"}))
                    if self.path == "/internal/mail/auth":
                        return self._answer(200, stub.auth(body))
                    if self.path == "/internal/mail/user":
                        return self._answer(200, stub.user(body))
                self._answer(404, {"error": "not found"})

            def _answer(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._http = Server(self.http_address, Http)
        self.http_address = self._http.server_address[:2]  # the real port when 0 was asked for
        threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()

    def start_socketmap(self) -> None:
        stub = self

        class Socketmap(socketserver.BaseRequestHandler):
            def handle(self):
                reader = self.request.makefile("rb")
                while True:  # Postfix keeps a connection open for many lookups
                    request = _read_netstring(reader)
                    if request is None:
                        return
                    name, _, key = request.decode("utf-8", "replace").partition(" ")
                    with stub.lock:
                        stub.socketmap_requests.append(f"{name} {key}")
                        reply = stub.socketmap(name, key)
                    data = reply.encode()
                    self.request.sendall(b"%d:%s," % (len(data), data))

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._socketmap = Server(self.socketmap_address, Socketmap)
        self.socketmap_address = self._socketmap.server_address[:2]
        threading.Thread(target=self._socketmap.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()

    @property
    def url(self) -> str:
        return "http://%s:%d" % self.http_address

    def stop_http(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None

    def stop(self) -> None:
        self.stop_http()
        if self._socketmap is not None:
            self._socketmap.shutdown()
            self._socketmap.server_close()
            self._socketmap = None


def _read_netstring(reader) -> bytes | None:
    digits = b""
    while True:
        c = reader.read(1)
        if not c:
            return None
        if c == b":":
            break
        if not c.isdigit() or len(digits) > 6:
            return None
        digits += c
    data = reader.read(int(digits))
    if reader.read(1) != b",":
        return None
    return data


def _split(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host, int(port)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--http", default="127.0.0.1:8080")
    parser.add_argument("--socketmap", default="127.0.0.1:14305")
    parser.add_argument("--secret", required=True)
    args = parser.parse_args()
    stub = StubOnboard(args.http, args.socketmap, args.secret).start()
    print(f"stub_onboard: HTTP on {args.http}, socketmap on {args.socketmap}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        stub.stop()


if __name__ == "__main__":
    main()
