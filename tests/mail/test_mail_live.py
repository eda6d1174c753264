"""The real Onboard driving the real mail server (docs/mail.md): accounts and shared mailboxes made through
Onboard's API and pages, then used the way a mail client would, with imaplib and smtplib only.

Needs a running Onboard (development environment) that was started with the MAIL_* settings of a running
scripts/mail-start instance. `scripts/test --only mail` sets all of it up; by hand:

    ONBOARD_BASE_URL=http://127.0.0.1:PORT DATABASE_URL=sqlite:... ONBOARD_BIN=/path/to/onboard \
        MAIL_IMAP_ADDRESS=... (every line mail-start prints) \
        /work/main/.venv/bin/python -m pytest -q tests/mail/test_mail_live.py

`ONBOARD_BIN` (with the server's `DATABASE_URL`) makes the Local Administrator's API token
(`onboard tokens create`) and reads the texts the development sink delivered (`onboard outbox`): the
security code and the temporary password. Every test makes its own accounts and mailboxes, with random
names, so the tests neither share state nor collide on a database that has seen an earlier run.
"""

from __future__ import annotations

import http.client
import imaplib
import json
import os
import random
import re
import smtplib
import string
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

from test_mail_stub import SETTINGS as MAIL_SETTINGS, hostport, message, subject

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = ["ONBOARD_BASE_URL", "DATABASE_URL", "ONBOARD_BIN", *MAIL_SETTINGS]
MISSING = [name for name in REQUIRED if not os.environ.get(name)]
pytestmark = pytest.mark.skipif(
    bool(MISSING),
    reason="needs a running Onboard connected to a running mail server; not set: " + ", ".join(MISSING)
    + " (scripts/test --only mail sets them)",
)

LA = "liam.walker@nhs.net"  # a Local Administrator of RR8 in the demo data
ORGANISATION = "RR801"  # St James's University Hospital, in the LA's scope
LOCKOUT_THRESHOLD = int(os.environ.get("LOCKOUT_THRESHOLD") or 10)  # Onboard's default
DEADLINE = 15.0  # seconds any single wait may take before the test fails
POLL = 0.1  # polling interval inside a deadline (never a synchronisation by itself)
WELCOME = "Welcome to NHSmail"


def setting(name: str) -> str:
    return os.environ[name]


# ---------------------------------------------------------------------------------------------
# Onboard: its command line, its API, its pages
# ---------------------------------------------------------------------------------------------


def onboard(*args: str) -> str:
    """Runs `$ONBOARD_BIN ARGS` on the server's database (DATABASE_URL is inherited)."""
    env = dict(os.environ)
    env.setdefault("ONBOARD_ENV", "development")
    done = subprocess.run([setting("ONBOARD_BIN"), *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, (f"`onboard {' '.join(args[:2])}` exited {done.returncode}: "
                                  f"{(done.stdout + done.stderr)[-2000:]}")
    return done.stdout


class API:
    """Onboard's API (/api/v1) with one bearer token."""

    def __init__(self, token: str):
        self.base = setting("ONBOARD_BASE_URL").rstrip("/") + "/api/v1"
        self.token = token

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        request = urllib.request.Request(
            self.base + path, method=method, data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json",
                     **({} if body is None else {"Content-Type": "application/json"})})
        try:
            with urllib.request.urlopen(request, timeout=DEADLINE) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            text = error.read().decode(errors="replace")
            try:
                return error.code, json.loads(text)
            except ValueError:
                return error.code, {"body": text}

    def ok(self, method: str, path: str, body: dict | None = None, status: int = 200) -> dict:
        got, answer = self.call(method, path, body)
        assert got == status, f"{method} /api/v1{path} {body!r} answered {got}: {answer}"
        return answer

    def action(self, account: str, name: str) -> dict:
        return self.ok("POST", f"/accounts/{account}/{name}")


class Forms(HTMLParser):
    """The forms on a page: action, and every input with its name, type and value."""

    def __init__(self, html: str):
        super().__init__()
        self.forms: list[dict] = []
        self._open: dict | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self._open = {"action": attributes.get("action") or "", "inputs": []}
            self.forms.append(self._open)
        elif tag == "input" and self._open is not None:
            self._open["inputs"].append(attributes)

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


class Web:
    """One person's browser, without JavaScript: cookies kept by hand (Onboard's are `__Host-`, Secure, which
    http.cookiejar does not send over plain http), redirects followed, CSRF tokens taken from the forms."""

    def __init__(self):
        split = urllib.parse.urlsplit(setting("ONBOARD_BASE_URL"))
        self.host, self.port = split.hostname, split.port or 80
        self.cookies: dict[str, str] = {}
        self.path = "/"
        self.html = ""

    def _send(self, method: str, path: str, fields: dict | None) -> tuple[int, str | None, str]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=DEADLINE)
        headers = {"Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
        finally:
            connection.close()
        for line in response.headers.get_all("Set-Cookie") or []:
            name, _, value = line.split(";", 1)[0].partition("=")
            attributes = line.lower()
            if not value or "max-age=0" in attributes or "01 jan 1970" in attributes:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        return response.status, response.headers.get("Location"), text

    def go(self, method: str, path: str, fields: dict | None = None) -> int:
        """A request, then its redirects (GET), to the page it lands on; returns that page's status."""
        status, location, text = self._send(method, path, fields)
        for _ in range(10):
            if status not in (301, 302, 303, 307) or not location:
                break
            target = urllib.parse.urlsplit(urllib.parse.urljoin(f"http://{self.host}:{self.port}{path}", location))
            path = target.path + (f"?{target.query}" if target.query else "")
            status, location, text = self._send("GET", path, None)
        self.path, self.html = path.split("?", 1)[0], text
        return status

    def submit(self, action: str, fields: dict) -> int:
        """Fills the form on the current page whose action is `action` (its hidden fields, the CSRF token
        among them, kept) and posts it."""
        forms = [f for f in Forms(self.html).forms if f["action"].split("?", 1)[0] == action]
        assert forms, f"no form for {action} on {self.path}: {self.text()[:500]}"
        data = {i["name"]: i.get("value") or "" for i in forms[0]["inputs"] if i.get("type") == "hidden"}
        data.update(fields)
        return self.go("POST", forms[0]["action"], data)

    def text(self) -> str:
        main = re.search(r"<main\b.*?</main>", self.html, re.S)
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main.group(0) if main else self.html)).strip()

    def errors(self) -> str:
        summary = re.search(r'<div class="nhsuk-error-summary.*?</div>\s*</div>', self.html, re.S)
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", summary.group(0))).strip() if summary else ""


# ---------------------------------------------------------------------------------------------
# People: made by the LA, activated on the web as a new person would
# ---------------------------------------------------------------------------------------------


@dataclass
class Person:
    id: str
    address: str
    mobile: str  # as Onboard stores it (+44…), the key to their texts in the outbox
    password: str = ""  # their own, once activated


_used_mobiles: set[str] = set()


def unique_mobile() -> str:
    """A mobile number of Ofcom's drama range not used in this run: Onboard caps texts a number receives."""
    while True:
        number = f"07700 9{random.randrange(100000):05d}"
        if number not in _used_mobiles:
            _used_mobiles.add(number)
            return number


def unique_name() -> str:
    return "".join(random.choices(string.ascii_lowercase, k=10)).capitalize()


def texts(mobile: str) -> dict[str, str]:
    """The newest text of each kind the development sink delivered to `mobile` ({template: body})."""
    found: dict[str, str] = {}
    lines = onboard("outbox", "--limit", "100").splitlines()
    for index, line in enumerate(lines):
        heading = re.search(r"\bto (\S+)\s+\[([a-z_]+)\]\s*$", line)
        if heading and heading.group(1) == mobile and index + 1 < len(lines):
            found.setdefault(heading.group(2), lines[index + 1].strip())  # newest first
    return found


def activation_texts(mobile: str) -> tuple[str, str]:
    """The security code and the temporary password texted to a new person (the job worker sends them)."""
    deadline = time.monotonic() + DEADLINE
    while True:
        sent = texts(mobile)
        if "security_code" in sent and "credentials" in sent:
            code = re.search(r"\b(\d{6})\b", sent["security_code"]).group(1)
            password = re.search(r"\b([0-9A-Z]{4}(?:-[0-9A-Z]{4}){5})\b", sent["credentials"]).group(1)
            return code, password
        assert time.monotonic() < deadline, f"no security code and temporary password for {mobile}: {sent}"
        time.sleep(POLL)


def create_account(api: API) -> Person:
    """The LA adds an account over the API, activated by text (code and temporary password sent at once)."""
    answer = api.ok("POST", "/accounts", {"firstName": "Mail", "surname": unique_name(), "mobile": unique_mobile(),
                                           "organisation": ORGANISATION, "activation": "automated"}, status=201)
    assert answer["status"] == "pending_activation", answer
    return Person(id=answer["id"], address=answer["address"], mobile=answer["mobile"])


def activate(person: Person) -> Web:
    """The person's first sign-in: temporary password, security code, acceptable use policy, a new password."""
    code, temporary = activation_texts(person.mobile)
    person.password = f"quiet harbour {uuid.uuid4().hex[:12]}"
    web = Web()
    web.go("GET", "/sign-in")
    web.submit("/sign-in", {"email": person.address, "password": temporary})
    steps = []
    while web.path != "/welcome" and len(steps) < 6:
        steps.append(web.path)
        if web.path == "/sign-in/security-code":
            web.submit("/sign-in/security-code", {"code": code})
        elif web.path == "/sign-in/acceptable-use":
            web.submit("/sign-in/acceptable-use", {"accept": "yes"})
        elif web.path == "/sign-in/new-password":
            web.submit("/sign-in/new-password", {"password": person.password, "confirm": person.password})
        else:
            break
    assert web.path == "/welcome", f"activation stopped at {web.path} after {steps}: {web.errors() or web.text()[:400]}"
    assert steps == ["/sign-in/security-code", "/sign-in/acceptable-use", "/sign-in/new-password"], steps
    assert person.address in web.text()
    return web


@pytest.fixture(scope="module")
def api() -> API:
    token = onboard("tokens", "create", "--email", LA, "--name", f"mail live {uuid.uuid4().hex[:8]}")
    return API(token.strip().splitlines()[-1].strip())


@pytest.fixture
def new_user(api):
    """Makes an active account (created by the LA, activated on the web) with its own password."""

    def make() -> Person:
        person = create_account(api)
        activate(person)
        return person

    return make


# ---------------------------------------------------------------------------------------------
# Mail: imaplib and smtplib only
# ---------------------------------------------------------------------------------------------


def imap(person: Person, password: str | None = None) -> imaplib.IMAP4:
    client = imaplib.IMAP4(*hostport(setting("MAIL_IMAP_ADDRESS")), timeout=DEADLINE)
    try:
        client.login(person.address, person.password if password is None else password)
    except BaseException:
        client.shutdown()
        raise
    return client


def refused_over_imap(person: Person, password: str | None = None) -> str:
    """Asserts that an IMAP login is refused as a failed authentication; returns Dovecot's answer."""
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED") as refused:
        imap(person, password).logout()
    return str(refused.value)


def submission(person: Person) -> smtplib.SMTP:
    client = smtplib.SMTP(*hostport(setting("MAIL_SUBMISSION_ADDRESS")), timeout=DEADLINE)
    client.login(person.address, person.password)
    return client


def inbound() -> smtplib.SMTP:
    return smtplib.SMTP(*hostport(setting("MAIL_SMTP_ADDRESS")), timeout=DEADLINE)


def wait_for(client: imaplib.IMAP4, subject_text: str, mailbox: str = "INBOX") -> list[bytes]:
    """Polls (bounded) until messages with this subject are in the mailbox; returns their sequence numbers."""
    deadline = time.monotonic() + DEADLINE
    while True:
        typ, _ = client.select(f'"{mailbox}"', readonly=True)
        if typ == "OK":
            typ, data = client.search(None, "SUBJECT", f'"{subject_text}"')
            if typ == "OK" and data[0]:
                return data[0].split()
        assert time.monotonic() < deadline, f"no message {subject_text!r} in {mailbox} after {DEADLINE} s"
        time.sleep(POLL)


def header(client: imaplib.IMAP4, number: bytes, fields: str = "FROM TO SUBJECT") -> str:
    typ, fetched = client.fetch(number, f"(BODY.PEEK[HEADER.FIELDS ({fields})])")
    assert typ == "OK", fetched
    return fetched[0][1].decode()


def shared_folders(client: imaplib.IMAP4) -> list[str]:
    typ, listing = client.list()
    assert typ == "OK", listing
    return [line.decode() for line in listing if line and b"Shared/" in line]


# ---------------------------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------------------------


def test_new_user_activates_on_the_web_then_finds_the_welcome_email_over_imap(api):
    person = create_account(api)
    activate(person)
    assert api.ok("GET", f"/accounts/{person.id}")["status"] == "active"

    client = imap(person)
    try:
        numbers = wait_for(client, WELCOME)
        assert len(numbers) == 1, f"{len(numbers)} welcome emails"
        welcome = header(client, numbers[0])
        assert "no-reply@nhs.net" in welcome and person.address in welcome, welcome
    finally:
        client.logout()


def test_pending_account_and_wrong_password_are_refused_over_imap(api, new_user):
    pending = create_account(api)
    _, temporary = activation_texts(pending.mobile)
    refused_over_imap(pending, temporary)  # a mail client never accepts the temporary password
    assert api.ok("GET", f"/accounts/{pending.id}")["status"] == "pending_activation"

    person = new_user()
    refused_over_imap(person, person.password + "x")
    imap(person).logout()  # the refusal was the password's: the right one logs in


def test_user_sends_through_submission_and_unknown_recipients_are_refused_at_rcpt(new_user):
    sender, recipient = new_user(), new_user()
    sent = subject("submission")
    client = submission(sender)
    try:
        assert client.send_message(message(sender.address, recipient.address, sent)) == {}
    finally:
        client.quit()
    reader = imap(recipient)
    try:
        [number] = wait_for(reader, sent)
        assert sender.address in header(reader, number, "FROM")
    finally:
        reader.logout()

    smtp = inbound()
    try:
        smtp.ehlo()
        assert smtp.mail("someone@example.org")[0] == 250
        code, reply = smtp.rcpt(f"nobody.{uuid.uuid4().hex[:10]}@nhs.net")
        assert code == 550, (code, reply)
        assert smtp.rcpt(recipient.address)[0] == 250  # the same session takes a real address
    finally:
        smtp.quit()


def test_shared_mailbox_member_reads_it_and_sends_as_it_and_others_cannot(api, new_user):
    member, outsider = new_user(), new_user()
    local = f"mailtest.{uuid.uuid4().hex[:10]}"
    mailbox = api.ok("POST", "/mailboxes", {"organisation": ORGANISATION, "localPart": local, "name": "Mail test team",
                                            "owner": LA}, status=201)
    shared = mailbox["address"]
    assert shared == f"{local}@nhs.net", mailbox
    mailbox = api.ok("POST", f"/mailboxes/{mailbox['id']}/members",
                     {"address": member.address, "fullAccess": True, "sendAs": True})
    rights = next(m for m in mailbox["members"] if m["address"] == member.address)
    assert rights["fullAccess"] and rights["sendAs"], mailbox

    to_team = subject("to the team")
    smtp = inbound()
    try:
        assert smtp.send_message(message("gp@example.org", shared, to_team)) == {}
    finally:
        smtp.quit()

    # The member opens it in their own session: Shared/<address>, its INBOX holding the message.
    client = imap(member)
    try:
        [number] = wait_for(client, to_team, f"Shared/{shared}/INBOX")
        typ, fetched = client.fetch(number, "(BODY[TEXT])")
        assert typ == "OK" and b"A test message." in fetched[0][1], fetched
        assert any(line.endswith(f'"/" Shared/{shared}') for line in shared_folders(client))
    finally:
        client.logout()

    # ... and sends as it.
    as_team = subject("sent as the team")
    client = submission(member)
    try:
        assert client.send_message(message(shared, outsider.address, as_team)) == {}
    finally:
        client.quit()
    reader = imap(outsider)
    try:
        [number] = wait_for(reader, as_team)
        assert shared in header(reader, number, "FROM")
        # Someone who is not a member neither sees nor opens it ...
        assert not any(shared in line for line in shared_folders(reader))
        assert reader.select(f'"Shared/{shared}/INBOX"', readonly=True)[0] == "NO"
    finally:
        reader.logout()

    # ... nor sends as it: refused at MAIL FROM.
    client = submission(outsider)
    try:
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.send_message(message(shared, member.address, subject("not a member")))
        assert refused.value.smtp_code == 553, refused.value
        assert b"not owned by user" in refused.value.smtp_error
    finally:
        client.close()


def test_disable_by_the_la_closes_an_idle_imap_session_within_two_seconds(api, new_user, capsys):
    person = new_user()
    client = imap(person)
    assert client.select("INBOX")[0] == "OK"
    client.send(b"i1 IDLE\r\n")
    assert client.readline().startswith(b"+ ")

    started = time.monotonic()
    assert api.action(person.id, "disable")["status"] == "disabled"
    answered = time.monotonic() - started
    closed_after, lines = None, []
    try:
        while True:
            remaining = started + 2.0 - time.monotonic()
            if remaining <= 0:
                break
            client.sock.settimeout(remaining)  # the bound: a read that blocks past 2 s fails the test
            line = client.readline()
            if not line:
                closed_after = time.monotonic() - started
                break
            lines.append(line)
    except TimeoutError:  # socket.timeout too
        pass
    except ConnectionError:  # reset rather than closed: gone all the same
        closed_after = time.monotonic() - started
    finally:
        client.shutdown()
    assert closed_after is not None and closed_after < 2.0, f"IDLE session still open 2 s after disable: {lines}"
    assert any(line.startswith(b"* BYE") for line in lines), lines
    with capsys.disabled():  # shown in the stage's output, captured or not
        print(f"\n[mail] disable by the LA -> IDLE session closed after {closed_after * 1000:.0f} ms "
              f"(the API answered after {answered * 1000:.0f} ms)")
    refused_over_imap(person)


def test_leaver_cannot_log_in_over_imap(api, new_user):
    person = new_user()
    imap(person).logout()
    assert api.action(person.id, "leaver")["status"] == "leaver"
    refused_over_imap(person)


def test_wrong_imap_passwords_count_toward_the_lock(api, new_user):
    person = new_user()
    imap(person).logout()  # a right password clears any earlier failures
    for _ in range(LOCKOUT_THRESHOLD - 1):
        refused_over_imap(person, "not the password")
    assert api.ok("GET", f"/accounts/{person.id}")["status"] == "active"
    refused_over_imap(person, "not the password")
    assert api.ok("GET", f"/accounts/{person.id}")["status"] == "locked"
    refused_over_imap(person)  # the right password too, while the lock lasts
