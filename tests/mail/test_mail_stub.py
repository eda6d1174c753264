"""The mail server (scripts/mail-start) driven over the Onboard contract, with tests/mail/stub_onboard.py
playing Onboard. Only imaplib and smtplib talk to the mail server (plus urllib for the doveadm HTTP API,
as Onboard would).

    /work/main/.venv/bin/python -m pytest -q tests/mail/test_mail_stub.py

Needs root (mail-start installs Debian packages when missing and starts Dovecot and Postfix).
"""

from __future__ import annotations

import base64
import imaplib
import json
import os
import random
import shutil
import smtplib
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid
from email.message import EmailMessage
from pathlib import Path

import pytest

from stub_onboard import StubOnboard

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = [
    "MAIL_IMAP_ADDRESS",
    "MAIL_SMTP_ADDRESS",
    "MAIL_SUBMISSION_ADDRESS",
    "MAIL_LMTP_ADDRESS",
    "MAIL_DOVEADM_URL",
    "MAIL_DOVEADM_KEY",
    "MAIL_AUTH_SECRET",
    "MAIL_SOCKETMAP_ADDRESS",
]
PASSWORDS = {
    "alice@nhs.net": "alice-pw-1",
    "bob@nhs.net": "bob-pw-2",  # Full Access to the shared mailbox
    "carol@nhs.net": "carol-pw-3",  # Send As for the shared mailbox
    "eve@nhs.net": "eve-pw-4",  # no rights on it
    "dave@nhs.net": "dave-pw-5",  # disabled
}
SHARED = "pharmacy.fab12@nhs.net"
FULL_ACCESS_RIGHTS = ["lookup", "read", "write", "write-seen", "write-deleted", "insert", "post", "expunge",
                      "create", "delete"]
DEADLINE = 20.0  # seconds any single wait may take before the test fails

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mail-start needs root")


def free_port_block(count: int) -> int:
    """A base port with `count` consecutive free ports on 127.0.0.1."""
    for _ in range(200):
        base = random.randrange(20000, 60000)
        sockets = []
        try:
            for port in range(base, base + count):
                s = socket.socket()
                s.bind(("127.0.0.1", port))
                sockets.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError("no free block of ports")


def hostport(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host, int(port)


def descendants(pid: int) -> set[int]:
    out = subprocess.run(["ps", "-eo", "pid=,ppid="], capture_output=True, text=True, check=True).stdout
    children: dict[int, list[int]] = {}
    for line in out.splitlines():
        p, pp = map(int, line.split())
        children.setdefault(pp, []).append(p)
    found, todo = set(), [pid]
    while todo:
        for kid in children.get(todo.pop(), []):
            found.add(kid)
            todo.append(kid)
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


class Mail:
    """The running instance: its settings, its folder, the stub, and helpers."""

    def __init__(self, folder: Path, stub: StubOnboard, settings: dict[str, str]):
        self.dir = folder
        self.stub = stub
        self.settings = settings

    def imap(self, user: str, password: str | None = None) -> imaplib.IMAP4:
        client = imaplib.IMAP4(*hostport(self.settings["MAIL_IMAP_ADDRESS"]), timeout=DEADLINE)
        client.login(user, PASSWORDS[user] if password is None else password)
        return client

    def doveadm(self, command: str, parameters: dict) -> list:
        key = base64.b64encode(self.settings["MAIL_DOVEADM_KEY"].encode()).decode()
        request = urllib.request.Request(
            self.settings["MAIL_DOVEADM_URL"],
            data=json.dumps([[command, parameters, "t1"]]).encode(),
            headers={"Authorization": "X-Dovecot-API " + key, "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=DEADLINE) as response:
            answer = json.load(response)
        assert answer[0][0] == "doveadmResponse", answer
        return answer[0][1]

    def wait_for_message(self, user: str, subject: str, mailbox: str = "INBOX") -> bytes:
        """Poll (bounded) until a message with this subject is in the mailbox; return its header."""
        deadline = time.monotonic() + DEADLINE
        client = self.imap(user)
        try:
            while True:
                typ, _ = client.select(mailbox, readonly=True)
                assert typ == "OK", f"{user} cannot open {mailbox}"
                typ, data = client.search(None, "SUBJECT", f'"{subject}"')
                if data[0]:
                    number = data[0].split()[-1]
                    typ, fetched = client.fetch(number, "(BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)])")
                    return fetched[0][1]
                if time.monotonic() > deadline:
                    raise AssertionError(f"no message {subject!r} in {user}'s {mailbox} after {DEADLINE} s")
                time.sleep(0.1)  # polling interval, not synchronisation: the deadline bounds the wait
        finally:
            client.logout()


def message(sender: str, recipient: str, subject: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = recipient
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{uuid.uuid4()}@test.invalid>"
    msg.set_content("A test message.\n")
    return msg


def subject(label: str) -> str:
    return f"{label} {uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module")
def mail():
    base = free_port_block(6)
    # Not pytest's tmp_path: its parents are 0700, and Dovecot's and Postfix's users must reach DIR.
    folder = Path(tempfile.mkdtemp(prefix="onboard-mail-", dir="/tmp"))
    folder.chmod(0o755)
    secret = uuid.uuid4().hex
    stub = StubOnboard("127.0.0.1:0", f"127.0.0.1:{base + 5}", secret).start()
    env = dict(os.environ, MAIL_PORT_BASE=str(base), ONBOARD_URL=stub.url, MAIL_DOMAIN="nhs.net",
               MAIL_AUTH_SECRET=secret)
    env.pop("MAIL_DOVEADM_KEY", None)
    try:
        started = subprocess.run([str(ROOT / "scripts/mail-start"), str(folder)], env=env, capture_output=True,
                                 text=True, timeout=600)
        assert started.returncode == 0, started.stderr + started.stdout
        lines = started.stdout.strip().splitlines()[-len(SETTINGS):]
        settings = dict(line.split("=", 1) for line in lines)
        assert [line.split("=", 1)[0] for line in lines] == SETTINGS, started.stdout
        instance = Mail(folder, stub, settings)
        instance.env = env
        instance.first_output = lines
        # What Onboard does once when it creates a shared mailbox: its INBOX (and, through
        # acl_defaults_from_inbox, every folder) grants Full Access to the group named after it.
        instance.doveadm("aclSet", {"user": SHARED, "mailbox": "INBOX", "id": f"group={SHARED}",
                                    "right": FULL_ACCESS_RIGHTS})
        yield instance
    finally:
        subprocess.run([str(ROOT / "scripts/mail-stop"), str(folder)], timeout=120)
        stub.stop()
        shutil.rmtree(folder, ignore_errors=True)


# ---- start-up ----

def test_settings_are_printed_and_stable(mail):
    s = mail.settings
    base = hostport(s["MAIL_IMAP_ADDRESS"])[1]
    assert s["MAIL_SMTP_ADDRESS"] == f"127.0.0.1:{base + 1}"
    assert s["MAIL_SUBMISSION_ADDRESS"] == f"127.0.0.1:{base + 2}"
    assert s["MAIL_LMTP_ADDRESS"] == f"127.0.0.1:{base + 3}"
    assert s["MAIL_DOVEADM_URL"] == f"http://127.0.0.1:{base + 4}/doveadm/v1"
    assert s["MAIL_SOCKETMAP_ADDRESS"] == f"127.0.0.1:{base + 5}"
    assert s["MAIL_AUTH_SECRET"] == mail.stub.secret
    assert len(s["MAIL_DOVEADM_KEY"]) >= 32
    assert oct((mail.dir / "secrets/doveadm-key").stat().st_mode & 0o777) == "0o600"
    # A second start on the running folder prints the same settings.
    again = subprocess.run([str(ROOT / "scripts/mail-start"), str(mail.dir)], env=mail.env, capture_output=True,
                           text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines()[-len(SETTINGS):] == mail.first_output


# ---- IMAP logins: Onboard decides ----

def test_imap_login_is_decided_by_onboard(mail):
    client = mail.imap("alice@nhs.net")
    assert client.select("INBOX")[0] == "OK"
    client.logout()
    # Logging in with an old (alias) address ends up in the canonical account.
    client = mail.imap("alice.smith@nhs.net", PASSWORDS["alice@nhs.net"])
    assert client.select("INBOX")[0] == "OK"
    client.logout()
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        mail.imap("alice@nhs.net", "wrong password")
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        mail.imap("dave@nhs.net")  # disabled
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        mail.imap("nobody@nhs.net", "x")
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        mail.imap(SHARED, "anything")  # a shared mailbox never logs in itself
    services = {body.get("service") for path, body in mail.stub.http_requests if path == "/internal/mail/auth"}
    assert "imap" in services
    # A lock in Onboard refuses the very next login (nothing is cached in Dovecot).
    mail.stub.table["accounts"]["alice@nhs.net"]["disabled"] = True
    try:
        with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
            mail.imap("alice@nhs.net")
    finally:
        mail.stub.table["accounts"]["alice@nhs.net"]["disabled"] = False
    mail.imap("alice@nhs.net").logout()


def test_no_login_without_onboard(mail):
    stub = mail.stub
    # Onboard answers with an error status: internal failure, no login.
    stub.force_status = 500
    try:
        with pytest.raises(imaplib.IMAP4.error, match="UNAVAILABLE"):
            mail.imap("alice@nhs.net")
    finally:
        stub.force_status = None
    # Onboard is not there at all.
    stub.stop_http()
    try:
        with pytest.raises(imaplib.IMAP4.error, match="UNAVAILABLE"):
            mail.imap("alice@nhs.net")
        submission = smtplib.SMTP(*hostport(mail.settings["MAIL_SUBMISSION_ADDRESS"]), timeout=DEADLINE)
        with pytest.raises(smtplib.SMTPAuthenticationError):
            submission.login("alice@nhs.net", PASSWORDS["alice@nhs.net"])
        submission.close()
    finally:
        stub.start_http()
    mail.imap("alice@nhs.net").logout()


# ---- inbound SMTP ----

def test_inbound_smtp_delivers_to_accounts_and_aliases_only(mail):
    smtp = smtplib.SMTP(*hostport(mail.settings["MAIL_SMTP_ADDRESS"]), timeout=DEADLINE)
    try:
        direct = subject("inbound")
        assert smtp.send_message(message("someone@example.org", "alice@nhs.net", direct)) == {}
        via_alias = subject("alias")
        assert smtp.send_message(message("someone@example.org", "alice.smith@nhs.net", via_alias)) == {}
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            smtp.send_message(message("someone@example.org", "nobody@nhs.net", subject("unknown")))
        assert refused.value.recipients["nobody@nhs.net"][0] == 550
        with pytest.raises(smtplib.SMTPRecipientsRefused) as relay:
            smtp.send_message(message("someone@example.org", "someone@example.com", subject("relay")))
        assert relay.value.recipients["someone@example.com"][0] == 554
        # No AUTH on the inbound listener.
        smtp.ehlo()
        assert not smtp.has_extn("auth")
    finally:
        smtp.close()
    mail.wait_for_message("alice@nhs.net", direct)
    mail.wait_for_message("alice@nhs.net", via_alias)


# ---- submission ----

def submission(mail, user: str | None = None) -> smtplib.SMTP:
    client = smtplib.SMTP(*hostport(mail.settings["MAIL_SUBMISSION_ADDRESS"]), timeout=DEADLINE)
    if user:
        client.login(user, PASSWORDS[user])
    return client


def test_submission_requires_auth(mail):
    client = submission(mail)
    try:
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.send_message(message("alice@nhs.net", "bob@nhs.net", subject("no auth")))
        assert refused.value.smtp_code == 553  # at MAIL FROM
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login("alice@nhs.net", "wrong password")
    finally:
        client.close()


def test_submission_sends_between_users(mail):
    sent = subject("submitted")
    client = submission(mail, "alice@nhs.net")
    try:
        assert client.send_message(message("alice@nhs.net", "bob@nhs.net", sent)) == {}
        # Nobody may send as someone else.
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.send_message(message("bob@nhs.net", "bob@nhs.net", subject("forged")))
        assert refused.value.smtp_code == 553
    finally:
        client.close()
    assert b"alice@nhs.net" in mail.wait_for_message("bob@nhs.net", sent)
    services = {body.get("service") for path, body in mail.stub.http_requests if path == "/internal/mail/auth"}
    assert "smtp" in services  # Postfix's SASL logins reach Onboard as service "smtp"


def test_send_as_shared_mailbox(mail):
    sent = subject("send as")
    client = submission(mail, "carol@nhs.net")  # Send As member
    try:
        assert client.send_message(message(SHARED, "alice@nhs.net", sent)) == {}
    finally:
        client.close()
    assert SHARED.encode() in mail.wait_for_message("alice@nhs.net", sent)
    for user in ("eve@nhs.net", "bob@nhs.net"):  # no Send As (Full Access alone does not give it)
        client = submission(mail, user)
        try:
            with pytest.raises(smtplib.SMTPSenderRefused) as refused:
                client.send_message(message(SHARED, "alice@nhs.net", subject("not allowed")))
            assert refused.value.smtp_code == 553  # rejected at MAIL FROM
            assert b"not owned by user" in refused.value.smtp_error
        finally:
            client.close()


# ---- shared mailbox ----

def test_full_access_member_reads_the_shared_mailbox(mail):
    sent = subject("to the pharmacy")
    smtp = smtplib.SMTP(*hostport(mail.settings["MAIL_SMTP_ADDRESS"]), timeout=DEADLINE)
    try:
        assert smtp.send_message(message("gp@example.org", SHARED, sent)) == {}
    finally:
        smtp.close()

    # bob, logged in as himself, lists the shared mailbox and reads the message from its INBOX.
    shared_inbox = f"Shared/{SHARED}/INBOX"
    assert sent.encode() in mail.wait_for_message("bob@nhs.net", sent, mailbox=f'"{shared_inbox}"')
    client = mail.imap("bob@nhs.net")
    try:
        typ, listing = client.list()
        names = [line.decode() for line in listing]
        # Dovecot lists a shared user's INBOX as the namespace root, Shared/<address> (selectable).
        entry = next(line for line in names if line.endswith(f'"/" Shared/{SHARED}'))
        assert "\\Noselect" not in entry
        typ, count = client.select(f'"Shared/{SHARED}"', readonly=True)
        assert typ == "OK" and int(count[0]) >= 1
    finally:
        client.logout()

    # eve, not a member, neither sees nor opens it.
    client = mail.imap("eve@nhs.net")
    try:
        typ, listing = client.list()
        assert not any(SHARED.encode() in line for line in listing)
        typ, _ = client.select(f'"{shared_inbox}"')
        assert typ == "NO"
    finally:
        client.logout()

    # Removing bob's Full Access counts for his next session at once (no cache anywhere).
    members = mail.stub.table["shared"][SHARED]["full_access"]
    members.remove("bob@nhs.net")
    try:
        client = mail.imap("bob@nhs.net")
        try:
            typ, listing = client.list()
            assert not any(SHARED.encode() in line for line in listing)
            assert client.select(f'"{shared_inbox}"')[0] == "NO"
        finally:
            client.logout()
    finally:
        members.append("bob@nhs.net")


def test_lmtp_delivers_directly_to_dovecot(mail):
    sent = subject("lmtp")
    lmtp = smtplib.LMTP(*hostport(mail.settings["MAIL_LMTP_ADDRESS"]))
    try:
        assert lmtp.send_message(message("someone@example.org", "carol@nhs.net", sent)) == {}
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            lmtp.send_message(message("someone@example.org", "nobody@nhs.net", subject("lmtp unknown")))
    finally:
        lmtp.quit()
    mail.wait_for_message("carol@nhs.net", sent)


# ---- doveadm HTTP API (what Onboard calls) ----

def test_kick_closes_an_idle_session_within_two_seconds(mail):
    client = mail.imap("bob@nhs.net")
    client.select("INBOX")
    client.send(b"i1 IDLE\r\n")
    assert client.readline().startswith(b"+ ")
    who = mail.doveadm("who", {"mask": ["bob@nhs.net"]})
    assert who and who[0]["username"] == "bob@nhs.net"

    started = time.monotonic()
    assert mail.doveadm("kick", {"mask": ["bob@nhs.net"]}) == [{"result": "bob@nhs.net"}]
    client.sock.settimeout(2.0)  # the bound: a read that blocks longer fails the test
    closed_after = None
    lines = []
    try:
        while True:
            line = client.readline()
            if not line:
                closed_after = time.monotonic() - started
                break
            lines.append(line)
    except (TimeoutError, socket.timeout):
        pass
    finally:
        client.shutdown()
    assert closed_after is not None, f"session still open 2 s after kick (got {lines})"
    assert closed_after < 2.0
    assert any(line.startswith(b"* BYE") for line in lines)
    print(f"kick closed the IDLE session after {closed_after * 1000:.0f} ms")


def test_doveadm_quota_status_cache_flush_and_erase(mail):
    quota = mail.doveadm("quotaGet", {"user": "bob@nhs.net"})
    storage = next(row for row in quota if row["type"] == "STORAGE")
    assert storage["limit"] == str(-(-50_000_000 // 1024))  # KiB rounded up, from Onboard's quota_bytes
    unlimited = next(row for row in mail.doveadm("quotaGet", {"user": "alice@nhs.net"}) if row["type"] == "STORAGE")
    assert unlimited["limit"] == "-"

    assert mail.doveadm("authCacheFlush", {"user": ["bob@nhs.net"]}) == [{"entries": "0"}]

    sent = subject("to erase")
    lmtp = smtplib.LMTP(*hostport(mail.settings["MAIL_LMTP_ADDRESS"]))
    lmtp.send_message(message("someone@example.org", "eve@nhs.net", sent))
    lmtp.quit()
    mail.wait_for_message("eve@nhs.net", sent)
    status = mail.doveadm("mailboxStatus", {"user": "eve@nhs.net", "field": ["messages", "vsize"],
                                            "mailboxMask": ["INBOX"]})
    assert int(status[0]["messages"]) >= 1
    assert mail.doveadm("expunge", {"user": "eve@nhs.net", "query": ["mailbox", "*", "all"]}) == []
    status = mail.doveadm("mailboxStatus", {"user": "eve@nhs.net", "field": ["messages"], "mailboxMask": ["*"]})
    assert all(row["messages"] == "0" for row in status)

    acl = mail.doveadm("aclGet", {"user": SHARED, "mailbox": "INBOX"})
    assert {"id": f"group={SHARED}", "global": "",
            "rights": " ".join(sorted(FULL_ACCESS_RIGHTS))} in acl


# ---- stop ----

def test_zz_mail_stop_leaves_nothing_running(mail):
    masters = [int((mail.dir / name).read_text()) for name in ("dovecot.pid", "postfix.pid")]
    processes = set(masters)
    for pid in masters:
        processes |= descendants(pid)
    assert len(processes) > 4
    stopped = subprocess.run([str(ROOT / "scripts/mail-stop"), str(mail.dir)], capture_output=True, text=True,
                             timeout=120)
    assert stopped.returncode == 0, stopped.stderr
    assert [pid for pid in processes if alive(pid)] == []
    for address in ("MAIL_IMAP_ADDRESS", "MAIL_SMTP_ADDRESS", "MAIL_SUBMISSION_ADDRESS", "MAIL_LMTP_ADDRESS"):
        with pytest.raises(OSError):
            socket.create_connection(hostport(mail.settings[address]), timeout=2).close()
