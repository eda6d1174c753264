"""Mail-server benchmark driver (issue 20; docs/benchmarks.md, "Real mailboxes"). Standard library only: imaplib
for the mail side, http.client for Onboard, psql (subprocess) for the welcome emails' rows.

    python scripts/bench_mail.py --config CONFIG.json --out RESULTS_DIR

scripts/bench-mail writes CONFIG.json and runs this against a running Onboard (release build, PostgreSQL with the
national data set) connected to a running scripts/mail-start instance. The phases, in order:

  imap        IMAP logins with 4 clients for ~20 s each: connection + LOGOUT without LOGIN (the baseline), first
              logins (a different account each time: every login hashes), repeated logins (accounts already
              logged in once: answered from Onboard's login cache)
  lookup      POST /internal/mail/auth (cache hits), POST /internal/mail/user, and GET /health of the same
              server: a fixed number of requests each, several clients on keep-alive connections
  lock        for N accounts: an IMAP session in IDLE, then POST /api/v1/accounts/{id}/disable; the time from the
              API's answer to a new LOGIN being refused and to the IDLE session's BYE and close
  welcome     N welcome emails queued as the app queues them (outbox rows + outbox.send jobs), timed until every
              one is sent and in its mailbox; then the pieces of one delivery timed on their own

Prints a table, and writes every raw figure to RESULTS_DIR/mail-bench.json.
"""

from __future__ import annotations

import argparse
import base64
import csv
import http.client
import imaplib
import json
import os
import random
import smtplib
import statistics
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * (len(ordered) - 1)))))]


def summary(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50": pct(values, 50),
        "p95": pct(values, 95),
        "p99": pct(values, 99),
        "max": max(values) if values else float("nan"),
        "mean": statistics.fmean(values) if values else float("nan"),
    }


def hostport(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host, int(port)


def log(text: str) -> None:
    print(f"{time.strftime('%H:%M:%S')}  {text}", flush=True)


# ---------------------------------------------------------------------------------------------
# CPU accounting: Onboard, PostgreSQL and Dovecot (process trees), the driver, and everything else
# ---------------------------------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, int] | None:
    """(ppid, utime+stime+cutime+cstime) of a process, or None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return int(fields[1]), sum(int(x) for x in fields[11:15])


def tree_ticks(roots: list[int]) -> int:
    """CPU ticks of the processes below (and including) roots. Reaped children count through their parent's
    cutime/cstime, so short-lived processes (Dovecot's imap-login and imap) are included once they exit."""
    table: dict[int, tuple[int, int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            got = _stat(int(entry))
            if got:
                table[int(entry)] = got
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, stack, seen = 0, [r for r in roots if r in table], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += table[pid][1]
        stack.extend(children.get(pid, []))
    return total


def machine_ticks() -> tuple[int, int]:
    """(busy, total) ticks of the whole machine."""
    parts = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = parts[3] + parts[4]
    return sum(parts[:8]) - idle, sum(parts[:8])


class CPU:
    def __init__(self, pids: dict[str, int]):
        self.pids = pids

    def sample(self) -> dict:
        sample = {name: tree_ticks([pid]) for name, pid in self.pids.items()}
        sample["driver"] = sum(int(x) for x in Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[11:15])
        sample["busy"], sample["total"] = machine_ticks()
        sample["wall"] = time.monotonic()
        return sample

    @staticmethod
    def between(before: dict, after: dict, operations: int) -> dict:
        """CPU ms per operation for each tree, and the share of the machine used by everything else."""
        out = {}
        ours = 0
        for name in before:
            if name in ("busy", "total", "wall"):
                continue
            ticks = after[name] - before[name]
            ours += ticks
            out[f"{name}_ms_per_op"] = ticks / CLK_TCK * 1000 / max(operations, 1)
        wall = after["wall"] - before["wall"]
        busy = after["busy"] - before["busy"]
        out["other_load"] = max(0.0, (busy - ours) / CLK_TCK / (wall * os.cpu_count()))
        out["machine_busy"] = busy / max(after["total"] - before["total"], 1)
        return out


# ---------------------------------------------------------------------------------------------
# Logs: what Onboard and Dovecot wrote during a phase
# ---------------------------------------------------------------------------------------------

LOGS: dict[str, str] = {}


def log_marks() -> dict[str, int]:
    return {name: (os.path.getsize(path) if os.path.exists(path) else 0) for name, path in LOGS.items()}


def log_since(marks: dict[str, int], name: str) -> str:
    with open(LOGS[name], "rb") as handle:
        handle.seek(marks.get(name, 0))
        return handle.read().decode(errors="replace")


def server_ms(text: str, route: str) -> list[float]:
    """The server's own time for each request to `route` (Vapor logs `ms: N, ... route: R`)."""
    found = []
    for line in text.splitlines():
        if f"route: {route}," in line and "ms: " in line:
            try:
                found.append(float(line.split("ms: ", 1)[1].split(",", 1)[0]))
            except ValueError:
                pass
    return found


# ---------------------------------------------------------------------------------------------
# IMAP
# ---------------------------------------------------------------------------------------------


class Pool:
    """Hands out accounts: each once (first logins), or round-robin (repeated logins)."""

    def __init__(self, accounts: list[dict], repeat: bool):
        self.accounts, self.repeat, self.next, self.lock = accounts, repeat, 0, threading.Lock()

    def take(self) -> dict | None:
        with self.lock:
            if self.next >= len(self.accounts):
                if not self.repeat:
                    return None
                self.next = 0
            account = self.accounts[self.next]
            self.next += 1
            return account


def imap_cycle(address: tuple[str, int], account: dict | None, password: str) -> tuple[bool, float, str]:
    """A fresh connection (greeting and CAPABILITY, as imaplib does), LOGIN when an account is given, LOGOUT."""
    start = time.perf_counter()
    try:
        client = imaplib.IMAP4(*address, timeout=30)
        try:
            if account is not None:
                client.login(account["address"], password)
            client.logout()
        except BaseException:
            client.shutdown()
            raise
        return True, (time.perf_counter() - start) * 1000, ""
    except (imaplib.IMAP4.error, OSError) as error:
        return False, (time.perf_counter() - start) * 1000, str(error)[:200]


def imap_phase(name: str, address, pool: Pool | None, password: str, clients: int, seconds: float, cpu: CPU) -> dict:
    results: list[tuple[bool, float, str]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            account = pool.take() if pool else None
            if pool and account is None:
                return
            outcome = imap_cycle(address, account, password)
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    marks = log_marks()
    before = cpu.sample()
    started = time.perf_counter()
    for t in threads:
        t.start()
    stop.wait(seconds)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    after = cpu.sample()
    ok = [ms for good, ms, _ in results if good]
    failures = [why for good, _, why in results if not good]
    figures = {
        "phase": name, "clients": clients, "seconds": elapsed, "ok": len(ok), "failed": len(failures),
        "failures_sample": sorted(set(failures))[:5], "rate": len(ok) / elapsed, **summary(ok),
        "cpu": CPU.between(before, after, len(ok)),
    }
    if "serve" in LOGS:
        figures["server_auth"] = summary(server_ms(log_since(marks, "serve"), "/internal/mail/auth"))
    log(f"imap {name}: {len(ok)} in {elapsed:.1f} s = {figures['rate']:.1f}/s, p50 {figures['p50']:.1f} ms, "
        f"p99 {figures['p99']:.1f} ms, failed {len(failures)} {figures['failures_sample'][:2]}")
    return figures


# ---------------------------------------------------------------------------------------------
# HTTP (Onboard)
# ---------------------------------------------------------------------------------------------


class Onboard:
    def __init__(self, base: str, secret: str, token: str):
        host, port = hostport(base.removeprefix("http://").rstrip("/"))
        self.host, self.port, self.secret, self.token, self.base = host, port, secret, token, base.rstrip("/")

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=30)

    def mail(self, conn, path: str, body: dict) -> tuple[int, dict]:
        payload = json.dumps(body)
        conn.request("POST", path, body=payload, headers={
            "Content-Type": "application/json", "X-Onboard-Mail-Secret": self.secret})
        response = conn.getresponse()
        data = response.read()
        try:
            return response.status, json.loads(data)
        except ValueError:
            return response.status, {"body": data[:200].decode(errors="replace")}

    def api(self, method: str, path: str) -> tuple[int, dict]:
        request = urllib.request.Request(self.base + "/api/v1" + path, method=method, headers={
            "Authorization": f"Bearer {self.token}", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, {"body": error.read()[:300].decode(errors="replace")}


def http_phase(name: str, onboard: Onboard, make_request, count: int, clients: int, cpu: CPU, route: str = "") -> dict:
    """`count` requests over `clients` keep-alive connections; make_request(conn, i) -> bool (a right answer)."""
    counter = iter(range(count))
    lock = threading.Lock()
    times: list[float] = []
    wrong: list[int] = []

    def client() -> None:
        conn = onboard.connection()
        try:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                start = time.perf_counter()
                good = make_request(conn, i)
                ms = (time.perf_counter() - start) * 1000
                with lock:
                    times.append(ms)
                    if not good:
                        wrong.append(i)
        finally:
            conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    marks = log_marks()
    before = cpu.sample()
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    after = cpu.sample()
    figures = {"phase": name, "clients": clients, "seconds": elapsed, "requests": len(times), "wrong": len(wrong),
               "rate": len(times) / elapsed, **summary(times), "cpu": CPU.between(before, after, len(times))}
    if route and "serve" in LOGS:
        figures["server"] = summary(server_ms(log_since(marks, "serve"), route))
    log(f"http {name}: {len(times)} in {elapsed:.1f} s = {figures['rate']:.0f}/s, p50 {figures['p50']:.2f} ms, "
        f"p95 {figures['p95']:.2f} ms, p99 {figures['p99']:.2f} ms, wrong answers {len(wrong)}"
        + (f"; server's own p50 {figures['server']['p50']:.2f} p99 {figures['server']['p99']:.2f} ms"
           if "server" in figures else ""))
    return figures


# ---------------------------------------------------------------------------------------------
# Lock to refusal and to a closed session
# ---------------------------------------------------------------------------------------------


def lock_one(imap_address, onboard: Onboard, account: dict, password: str) -> dict:
    client = imaplib.IMAP4(*imap_address, timeout=30)
    client.login(account["address"], password)
    assert client.select("INBOX")[0] == "OK"
    client.send(b"i1 IDLE\r\n")
    first = client.readline()
    assert first.startswith(b"+ "), first
    events: dict[str, float] = {}
    lines: list[bytes] = []

    def reader() -> None:
        client.sock.settimeout(10)
        try:
            while True:
                line = client.readline()
                if not line:
                    events["closed"] = time.perf_counter()
                    return
                lines.append(line)
                if line.startswith(b"* BYE") and "bye" not in events:
                    events["bye"] = time.perf_counter()
        except TimeoutError:
            return
        except OSError:
            events["closed"] = time.perf_counter()

    watcher = threading.Thread(target=reader)
    watcher.start()
    asked = time.perf_counter()
    status, answer = onboard.api("POST", f"/accounts/{account['id']}/disable")
    answered = time.perf_counter()
    assert status == 200 and answer.get("status") == "disabled", (status, answer)
    # A new LOGIN straight after the answer, repeated until refused (the first one is, when state is live).
    attempts, refused_at, login_ms = 0, None, []
    while refused_at is None and time.perf_counter() - answered < 10:
        attempts += 1
        ok, ms, _ = imap_cycle(imap_address, account, password)
        login_ms.append(ms)
        if not ok:
            refused_at = time.perf_counter()
    watcher.join(12)
    try:
        client.shutdown()
    except OSError:
        pass
    ms = lambda t: None if t is None else (t - answered) * 1000  # noqa: E731
    return {
        "address": account["address"], "api_ms": (answered - asked) * 1000, "refused_ms": ms(refused_at),
        "refusal_attempts": attempts, "refused_login_ms": login_ms[-1] if login_ms else None,
        "bye_ms": ms(events.get("bye")), "closed_ms": ms(events.get("closed")),
        "lines": [line.decode(errors="replace").strip() for line in lines][:3],
    }


# ---------------------------------------------------------------------------------------------
# Welcome emails
# ---------------------------------------------------------------------------------------------


def psql(url: str, sql: str, *extra: str) -> str:
    done = subprocess.run(["psql", url, "-X", "-qAt", "-v", "ON_ERROR_STOP=1", *extra, "-c", sql],
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"psql failed: {done.stderr[-1000:]}")
    return done.stdout.strip()


def psql_script(url: str, script: str, single: bool = True) -> str:
    done = subprocess.run(["psql", url, "-X", "-qAt", "-v", "ON_ERROR_STOP=1", *(["-1"] if single else []), "-f", "-"],
                          input=script,
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"psql failed: {done.stderr[-1000:]}")
    return done.stdout.strip()


CLAIM_SQL = """EXPLAIN (ANALYZE, BUFFERS)
SELECT id FROM jobs
WHERE (state = 'queued' AND run_at <= now()) OR (state = 'running' AND lease_until < now())
ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED"""


def maildir_count(vmail: Path, address: str) -> int:
    local, _, domain = address.partition("@")
    count = 0
    for sub in ("new", "cur"):
        try:
            count += len(os.listdir(vmail / domain / local / "Maildir" / sub))
        except FileNotFoundError:
            pass
    return count


def doveadm(url: str, key: str, command: str, parameters: dict) -> list:
    body = json.dumps([[command, parameters, "b"]]).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json",
        "Authorization": "X-Dovecot-API " + base64.b64encode(key.encode()).decode()})
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.load(response)
    assert answer[0][0] == "doveadmResponse", answer
    return answer[0][1]


def welcome_run(config: dict, accounts: list[dict], out: Path, cpu: CPU, deadline_s: float) -> dict:
    n = len(accounts)
    url = config["database_url"]
    batch = f"bench-welcome-{n}-{uuid.uuid4().hex[:6]}"
    rows = out / f"{batch}.csv"
    with rows.open("w", newline="") as handle:
        w = csv.writer(handle)
        for a in accounts:
            w.writerow([str(uuid.uuid4()), a["id"], a["address"], a["name"]])
    os.chmod(rows, 0o644)
    # What Outbox.enqueue writes, once per person: the outbox row and its outbox.send job, in one transaction.
    script = f"""
CREATE TEMP TABLE w (oid uuid, account uuid, address text, name text);
\\copy w from '{rows}' csv
INSERT INTO outbox (id, channel, template, recipient, fields, secret, secret_ref, account_id, client_address,
    state, attempts, created_at)
SELECT oid, 'email', 'welcome', address, json_build_object('name', name)::text, NULL, NULL, account, '{batch}',
    'queued', 0, now() FROM w;
INSERT INTO jobs (id, kind, payload, state, attempts, max_attempts, run_at, created_at)
SELECT gen_random_uuid(), 'outbox.send', '{{"outbox":"' || upper(oid::text) || '"}}', 'queued', 0, 5, now(), now()
FROM w;
"""
    marks = log_marks()
    before = cpu.sample()
    psql_script(url, script)
    committed = time.perf_counter()
    log(f"welcome {n}: {n} outbox rows and jobs committed")
    timeline, plan = [], ""
    first_sent = None
    while True:
        time.sleep(0.5)
        sent, queued, failed = (int(x) for x in psql(url, f"""
            SELECT count(*) FILTER (WHERE state = 'sent'), count(*) FILTER (WHERE state = 'queued'),
                   count(*) FILTER (WHERE state NOT IN ('sent', 'queued'))
            FROM outbox WHERE client_address = '{batch}'""").split("|"))
        now = time.perf_counter() - committed
        timeline.append((round(now, 2), sent))
        if sent and first_sent is None:
            first_sent = now
        if not plan and queued > n // 2 and sent > 0:
            # The worker's claim, while the queue is full (in a transaction rolled back: nothing is claimed).
            plan = psql_script(url, "BEGIN;\n" + CLAIM_SQL + ";\nROLLBACK;\n", single=False)
        if sent + failed >= n or now > deadline_s:
            break
        if len(timeline) % 20 == 0:
            log(f"welcome {n}: {sent} sent after {now:.0f} s")
    done_at = time.perf_counter() - committed
    after = cpu.sample()
    # What each delivery asked of Dovecot and Onboard, from their logs.
    calls = {}
    if "dovecot" in LOGS:
        text = log_since(marks, "dovecot")
        calls["doveadm_search"] = text.count("Executing command 'search'")
        calls["lmtp_connections"] = sum(1 for line in text.splitlines() if " lmtp(" in line and "Connect from" in line)
        calls["lmtp_saved_welcome"] = sum(1 for line in text.splitlines() if "msgid=<welcome-" in line and "saved mail" in line)
    if "serve" in LOGS:
        lookups = server_ms(log_since(marks, "serve"), "/internal/mail/user")
        calls["onboard_user_lookups"] = len(lookups)
        calls["onboard_user_lookup_ms"] = summary(lookups)
    # Every message in its mailbox: on disk (Maildir), and through Dovecot's own API for a sample.
    vmail = Path(config["vmail"])
    on_disk = sum(1 for a in accounts if maildir_count(vmail, a["address"]) >= 1)
    found = 0
    sample = random.Random(1).sample(accounts, min(10, n))
    for a in sample:
        outbox_id = psql(url, f"SELECT id FROM outbox WHERE client_address = '{batch}' AND account_id = '{a['id']}'")
        rows_found = doveadm(config["doveadm_url"], config["doveadm_key"], "search", {
            "user": a["address"], "query": ["mailbox", "INBOX", "header", "message-id", f"<welcome-{outbox_id}@onboard>"]})
        found += 1 if rows_found else 0
    # The worker's pace, from the jobs' finish times.
    finishes = psql(url, f"""
        SELECT extract(epoch FROM j.finished_at) FROM jobs j JOIN outbox o ON j.payload = '{{"outbox":"' || upper(o.id::text) || '"}}'
        WHERE o.client_address = '{batch}' AND j.finished_at IS NOT NULL ORDER BY j.finished_at""").split()
    gaps = [(float(b) - float(a)) * 1000 for a, b in zip(finishes, finishes[1:])]
    failed_jobs = psql(url, f"""
        SELECT count(*) FROM jobs j JOIN outbox o ON j.payload = '{{"outbox":"' || upper(o.id::text) || '"}}'
        WHERE o.client_address = '{batch}' AND (j.state <> 'succeeded' OR j.attempts > 1)""")
    if plan:
        (out / f"claim-plan-{n}.txt").write_text(plan + "\n")
    sent = timeline[-1][1] if timeline else 0
    figures = {
        "n": n, "sent": sent, "complete": sent == n, "total_s": done_at, "first_sent_s": first_sent,
        "rate": sent / done_at if done_at else 0.0, "on_disk": on_disk, "doveadm_found": f"{found}/{len(sample)}",
        "per_message_ms": summary(gaps), "retried_or_failed_jobs": int(failed_jobs or 0),
        "cpu": CPU.between(before, after, max(sent, 1)), "calls": calls, "timeline": timeline,
    }
    log(f"welcome {n}: {sent}/{n} sent in {done_at:.1f} s ({figures['rate']:.1f}/s; first after "
        f"{first_sent or 0:.1f} s); in mailboxes on disk {on_disk}; doveadm found {found}/{len(sample)}; "
        f"per message p50 {figures['per_message_ms']['p50']:.1f} ms; calls {calls}")
    return figures


def delivery_pieces(config: dict, onboard: Onboard, accounts: list[dict], count: int, cpu: CPU) -> dict:
    """The steps of one welcome delivery, each timed alone and in sequence (one at a time, as the job worker)."""
    accounts = accounts[:count]
    lmtp_host, lmtp_port = hostport(config["mail"]["MAIL_LMTP_ADDRESS"])
    pieces: dict[str, list[float]] = {"user_lookup": [], "doveadm_search": [], "lmtp_delivery": []}
    used: dict[str, dict] = {}

    def timed(name, step) -> None:
        before = cpu.sample()
        for a in accounts:
            start = time.perf_counter()
            step(a)
            pieces[name].append((time.perf_counter() - start) * 1000)
        used[name] = CPU.between(before, cpu.sample(), len(accounts))

    conn = onboard.connection()

    def user(a) -> None:
        status, answer = onboard.mail(conn, "/internal/mail/user", {"user": a["address"]})
        assert status == 200 and answer.get("ok") is True, answer

    def search(a) -> None:  # what WelcomeEmail.deliver asks before delivering (`holds`)
        doveadm(config["doveadm_url"], config["doveadm_key"], "search", {
            "user": a["address"], "query": ["mailbox", "INBOX", "header", "message-id", f"<none-{uuid.uuid4()}@bench>"]})

    message = ("From: <no-reply@nhs.net>\r\nSubject: bench piece\r\nMessage-ID: <{id}@bench>\r\n\r\nA piece.\r\n")

    def deliver(a) -> None:  # what LMTP.deliver does: one connection, LHLO, MAIL, RCPT, DATA, QUIT
        with smtplib.LMTP(lmtp_host, lmtp_port, timeout=30) as lmtp:
            refused = lmtp.sendmail("no-reply@nhs.net", [a["address"]], message.format(id=uuid.uuid4()))
            assert not refused, refused

    timed("user_lookup", user)
    conn.close()
    timed("doveadm_search", search)
    timed("lmtp_delivery", deliver)
    figures = {name: {**summary(values), "cpu": used[name]} for name, values in pieces.items()}
    for name, s in figures.items():
        c = s["cpu"]
        log(f"piece {name}: p50 {s['p50']:.1f} ms, p99 {s['p99']:.1f} ms ({s['n']} alone, one at a time); CPU ms "
            f"each: Onboard {c.get('onboard_ms_per_op', 0):.1f}, PG {c.get('postgres_ms_per_op', 0):.1f}, "
            f"Dovecot {c.get('dovecot_ms_per_op', 0):.1f}")
    return figures


# ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    config = json.load(open(args.config))
    out = Path(args.out)
    clients, seconds = config["clients"], config["seconds"]
    imap_address = hostport(config["mail"]["MAIL_IMAP_ADDRESS"])
    onboard = Onboard(config["base_url"], config["mail"]["MAIL_AUTH_SECRET"], config["token"])
    password = config["password"]
    cpu = CPU(config["pids"])
    LOGS.update(config.get("logs", {}))
    pools = config["accounts"]
    results: dict = {"config": {k: v for k, v in config.items() if k not in ("accounts", "mail", "token")}}
    phases = config.get("phases", ["imap", "lookup", "lock", "welcome"])

    def save() -> None:
        (out / "mail-bench.json").write_text(json.dumps(results, indent=1, default=str) + "\n")

    if "imap" in phases or "lookup" in phases:
        # The accounts that repeated logins use: logged in once (each one hash) so Onboard's cache has them.
        warm = pools["warm"]
        log(f"warming {len(warm)} accounts (one checked login each, straight to /internal/mail/auth)")
        results["warm"] = http_phase(
            "auth, first login (bcrypt)", onboard,
            lambda conn, i: onboard.mail(conn, "/internal/mail/auth", {
                "user": warm[i]["address"], "password": password, "service": "imap",
                "remote_ip": "127.0.0.1"})[1].get("ok") is True,
            len(warm), clients, cpu, "/internal/mail/auth")
        save()
    half = len(pools["warm"]) // 2
    imap_warm, http_warm = pools["warm"][:half], pools["warm"][half:]

    if "imap" in phases:
        results["imap"] = [
            imap_phase("connection + LOGOUT, no LOGIN (baseline)", imap_address, None, password, clients, seconds, cpu),
            imap_phase("first logins (each hashes)", imap_address, Pool(pools["first"], repeat=False), password,
                       clients, seconds, cpu),
            imap_phase("repeated logins (Onboard's cache)", imap_address, Pool(imap_warm, repeat=True), password,
                       clients, seconds, cpu),
        ]
        save()

    if "lookup" in phases:
        count = config["lookup_requests"]
        users = pools["users"]

        def health(conn, i):
            conn.request("GET", "/health")
            response = conn.getresponse()
            response.read()
            return response.status == 200

        def auth(conn, i):
            a = http_warm[i % len(http_warm)]
            status, answer = onboard.mail(conn, "/internal/mail/auth", {
                "user": a["address"], "password": password, "service": "imap", "remote_ip": "127.0.0.1"})
            return status == 200 and answer.get("ok") is True and answer.get("user") == a["address"]

        def user(conn, i):
            a = users[i % len(users)]
            status, answer = onboard.mail(conn, "/internal/mail/user", {"user": a["address"]})
            return status == 200 and answer.get("ok") is True

        http_phase("warm-up", onboard, health, 300, clients, cpu)
        http_phase("warm-up", onboard, lambda c, i: user(c, i + count), 300, clients, cpu)
        results["lookup"] = [
            http_phase("GET /health (baseline)", onboard, health, count, clients, cpu, "/health"),
            http_phase("POST /internal/mail/auth, repeated login (cache hit)", onboard, auth, count, clients, cpu,
                       "/internal/mail/auth"),
            http_phase("POST /internal/mail/user", onboard, user, count, clients, cpu, "/internal/mail/user"),
        ]
        # One connection: the service time without queueing.
        results["lookup_1conn"] = [
            http_phase("GET /health, 1 connection", onboard, health, 1000, 1, cpu, "/health"),
            http_phase("POST /internal/mail/auth, 1 connection", onboard, auth, 1000, 1, cpu, "/internal/mail/auth"),
            http_phase("POST /internal/mail/user, 1 connection", onboard, user, 1000, 1, cpu, "/internal/mail/user"),
        ]
        save()

    if "lock" in phases:
        runs = []
        for account in pools["lock"][: config["lock_n"]]:
            runs.append(lock_one(imap_address, onboard, account, password))
            r = runs[-1]
            log(f"lock {r['address']}: API {r['api_ms']:.0f} ms; refused after {r['refused_ms']:.0f} ms "
                f"({r['refusal_attempts']} attempt(s)); BYE after {r['bye_ms']} ms, closed after {r['closed_ms']} ms")
            time.sleep(0.2)
        results["lock"] = runs
        save()

    if "welcome" in phases:
        results["welcome"] = []
        welcome = pools["welcome"]
        used = 0
        for n in config["welcome_counts"]:
            if used + n > len(welcome):
                log(f"welcome {n}: not enough accounts left ({len(welcome) - used})")
                break
            figures = welcome_run(config, welcome[used:used + n], out, cpu, config["welcome_deadline_s"])
            results["welcome"].append(figures)
            used += n
            save()
            if not figures["complete"]:
                break
            # Run the next size only if it is expected to finish within the deadline.
            nxt = [m for m in config["welcome_counts"] if m > n]
            if nxt and nxt[0] / max(figures["rate"], 0.01) > config["welcome_deadline_s"]:
                log(f"welcome {nxt[0]}: skipped, expected {nxt[0] / figures['rate']:.0f} s at {figures['rate']:.1f}/s")
                results["welcome_skipped"] = {"n": nxt[0], "expected_s": nxt[0] / figures["rate"]}
                break
        results["pieces"] = delivery_pieces(config, onboard, welcome[:used], 200, cpu)
        save()

    report(results)


def report(r: dict) -> None:
    print()
    print("== IMAP logins (4 clients, a fresh connection each: CAPABILITY, [LOGIN], LOGOUT)")
    imap_rows = r.get("imap", [])
    base = imap_rows[0] if imap_rows else None
    print(f"{'':44} {'per s':>8} {'p50 ms':>8} {'p99 ms':>8} {'rate/baseline':>14} {'failed':>7}  "
          f"Onboard / PG / Dovecot CPU ms per login, other load; Onboard's own /auth p50/p99 ms")
    for row in imap_rows:
        c = row["cpu"]
        server = row.get("server_auth", {})
        print(f"{row['phase']:44} {row['rate']:8.1f} {row['p50']:8.1f} {row['p99']:8.1f} "
              f"{row['rate'] / base['rate']:14.3f} {row['failed']:7}  "
              f"{c.get('onboard_ms_per_op', 0):.1f} / {c.get('postgres_ms_per_op', 0):.1f} / "
              f"{c.get('dovecot_ms_per_op', 0):.1f}, {c['other_load']:.0%}; "
              f"{server.get('p50', float('nan')):.1f}/{server.get('p99', float('nan')):.1f}")
    if "warm" in r:
        w = r["warm"]
        print(f"(warm-up, straight to /internal/mail/auth: {w['requests']} first logins at {w['rate']:.1f}/s, "
              f"p50 {w['p50']:.0f} ms)")
    if r.get("lookup"):
        print()
        print("== The lookup behind a login (keep-alive connections)")
        print(f"{'':66} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'p99/health':>10} {'wrong':>6}  server's own p50/p99")
        health = r["lookup"][0]
        for row in r["lookup"] + r.get("lookup_1conn", []):
            ref = health if row["clients"] > 1 else r["lookup_1conn"][0]
            label = f"{row['phase']} ({row['clients']} clients)"
            server = row.get("server", {})
            print(f"{label:66} {row['rate']:7.0f} {row['p50']:7.2f} "
                  f"{row['p95']:7.2f} {row['p99']:7.2f} {row['p99'] / ref['p99']:10.1f} {row['wrong']:6}  "
                  f"{server.get('p50', float('nan')):.2f}/{server.get('p99', float('nan')):.2f}")
    if r.get("lock"):
        print()
        runs = r["lock"]
        print(f"== Disable to refusal and to closed session ({len(runs)} accounts, ms after the API's answer)")
        for key, label in (("api_ms", "API disable, request to answer"), ("refused_ms", "new LOGIN refused"),
                           ("bye_ms", "IDLE session gets BYE"), ("closed_ms", "IDLE session closed")):
            values = [x[key] for x in runs if x[key] is not None]
            missing = len(runs) - len(values)
            print(f"{label:36} p50 {pct(values, 50):7.0f}  max {max(values) if values else float('nan'):7.0f}"
                  + (f"  ({missing} never)" if missing else ""))
    if r.get("welcome"):
        print()
        print("== Welcome emails (outbox rows + outbox.send jobs committed at once; until all sent and in mailboxes)")
        for w in r["welcome"]:
            print(f"N={w['n']}: {w['sent']} sent in {w['total_s']:.1f} s = {w['rate']:.1f}/s (first after "
                  f"{w['first_sent_s'] or 0:.1f} s); in mailboxes {w['on_disk']}/{w['n']}, doveadm found "
                  f"{w['doveadm_found']}; per message p50 {w['per_message_ms']['p50']:.1f} ms p99 "
                  f"{w['per_message_ms']['p99']:.1f} ms; retried/failed jobs {w['retried_or_failed_jobs']}; "
                  f"CPU ms/message Onboard {w['cpu'].get('onboard_ms_per_op', 0):.1f} PG "
                  f"{w['cpu'].get('postgres_ms_per_op', 0):.1f} Dovecot {w['cpu'].get('dovecot_ms_per_op', 0):.1f}; "
                  f"other load {w['cpu']['other_load']:.0%}")
            c = w.get("calls", {})
            if c:
                print(f"  during it: {c.get('lmtp_connections')} LMTP connections, {c.get('doveadm_search')} doveadm "
                      f"searches, {c.get('onboard_user_lookups')} /internal/mail/user lookups "
                      f"(server p50 {c.get('onboard_user_lookup_ms', {}).get('p50', float('nan')):.1f} ms)")
        if "welcome_skipped" in r:
            s = r["welcome_skipped"]
            print(f"N={s['n']}: not run; at that rate it would take {s['expected_s']:.0f} s")
        for name, s in r.get("pieces", {}).items():
            c = s.get("cpu", {})
            print(f"  piece alone, {name}: p50 {s['p50']:.1f} ms, p99 {s['p99']:.1f} ms; CPU ms each: Onboard "
                  f"{c.get('onboard_ms_per_op', 0):.1f}, PG {c.get('postgres_ms_per_op', 0):.1f}, Dovecot "
                  f"{c.get('dovecot_ms_per_op', 0):.1f}")


if __name__ == "__main__":
    main()
