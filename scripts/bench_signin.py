"""Sign-in flood benchmark (issue 19): sign-ins a second under a sustained flood, as a share of the hashing
ceiling measured in the same run, and the p50/p99 of /health and of an ordinary signed-in page during the
flood, beside the same figures at rest. Standard library only.

    python3 scripts/bench_signin.py BASE_URL ACCOUNTS_JSON --pool N --verify-ms MS [--clients 4] [--seconds 20]

ACCOUNTS_JSON is {"flood": [{"email", "password"}, ...], "page": {"email", "password"}}: the accounts the
flood signs in as, and one whose session reads an ordinary page. scripts/bench-signin runs it.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import statistics
import threading
import time
import urllib.parse


def connection(base: str) -> http.client.HTTPConnection:
    url = urllib.parse.urlparse(base)
    return http.client.HTTPConnection(url.hostname, url.port, timeout=30)


def get(conn, path: str, cookie: str = "") -> tuple[int, bytes, dict]:
    conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = conn.getresponse()
    return response.status, response.read(), dict(response.getheaders())


def cookies_of(headers: list[tuple[str, str]]) -> dict[str, str]:
    jar = {}
    for name, value in headers:
        if name.lower() == "set-cookie":
            pair = value.split(";", 1)[0]
            key, _, val = pair.partition("=")
            jar[key] = val
    return jar


def sign_in(base: str, email: str, password: str, client: str = "") -> tuple[int, dict[str, str]]:
    """One sign-in through the page: fetch the form for its CSRF token, then post it. `client` is sent as
    X-Forwarded-For (the server trusts 127.0.0.1 as a proxy here), so per-address limits do not apply."""
    conn = connection(base)
    forwarded = {"X-Forwarded-For": client} if client else {}
    conn.request("GET", "/sign-in", headers=forwarded)
    response = conn.getresponse()
    body = response.read().decode()
    jar = cookies_of(response.getheaders())
    token = re.search(r'name="_csrf" value="([^"]+)"', body).group(1)
    form = urllib.parse.urlencode({"email": email, "password": password, "_csrf": token})
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    conn.request(
        "POST", "/sign-in", body=form,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie, **forwarded},
    )
    response = conn.getresponse()
    response.read()
    jar.update(cookies_of(response.getheaders()))
    conn.close()
    return response.status, jar


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def sample(base: str, path: str, cookie: str, stop: threading.Event, out: list[float]) -> None:
    conn = connection(base)
    while not stop.is_set():
        start = time.perf_counter()
        status, _, _ = get(conn, path, cookie)
        out.append((time.perf_counter() - start) * 1000)
        assert status == 200, f"{path} answered {status}"
        time.sleep(0.05)  # a steady probe, not a load of its own
    conn.close()


def probe(base: str, page_cookie: str, seconds: float) -> dict[str, list[float]]:
    stop = threading.Event()
    results = {"/health": [], "/home": []}
    threads = [
        threading.Thread(target=sample, args=(base, "/health", "", stop, results["/health"])),
        threading.Thread(target=sample, args=(base, "/home", page_cookie, stop, results["/home"])),
    ]
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("accounts")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--pool", type=int, required=True, help="hashing threads of the server")
    parser.add_argument("--verify-ms", type=float, required=True, help="one verification, measured alone")
    args = parser.parse_args()
    accounts = json.load(open(args.accounts))
    page = accounts["page"]
    status, jar = sign_in(args.base, page["email"], page["password"])
    page_cookie = "; ".join(f"{k}={v}" for k, v in jar.items())

    rest = probe(args.base, page_cookie, min(10, args.seconds))

    stop = threading.Event()
    counts = {"ok": 0, "busy": 0, "other": 0}
    lock = threading.Lock()

    def flood(index: int) -> None:
        people = accounts["flood"]
        n = index
        while not stop.is_set():
            person = people[n % len(people)]
            n += args.clients
            status, _ = sign_in(args.base, person["email"], person["password"], f"10.{index}.{n // 250 % 250}.{n % 250 + 1}")
            with lock:
                key = "ok" if status == 303 else "busy" if status == 503 else "other"
                counts[key] += 1

    flooders = [threading.Thread(target=flood, args=(i,)) for i in range(args.clients)]
    started = time.perf_counter()
    for t in flooders:
        t.start()
    time.sleep(2)  # let the queue fill
    during = probe(args.base, page_cookie, args.seconds)
    stop.set()
    for t in flooders:
        t.join()
    elapsed = time.perf_counter() - started

    ceiling = args.pool * 1000 / args.verify_ms
    rate = counts["ok"] / elapsed
    print(f"sign-ins: {counts['ok']} in {elapsed:.1f} s = {rate:.2f}/s; busy answers {counts['busy']}, other {counts['other']}")
    print(f"hashing ceiling: {args.pool} threads x 1/{args.verify_ms:.0f} ms = {ceiling:.2f}/s; share {rate / ceiling:.0%}")
    for path in ("/health", "/home"):
        a, b = rest[path], during[path]
        print(
            f"{path}: at rest p50 {percentile(a, 50):.1f} ms p99 {percentile(a, 99):.1f} ms; "
            f"during flood p50 {percentile(b, 50):.1f} ms p99 {percentile(b, 99):.1f} ms "
            f"(p99 ratio {percentile(b, 99) / max(percentile(a, 99), 0.01):.1f}x, {len(b)} samples)"
        )


if __name__ == "__main__":
    main()
