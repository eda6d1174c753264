#!/usr/bin/env python3
"""Helper for scripts/bench (standard library only).

    bench_data.py gen --dialect postgres|sqlite --demo-orgs FILE.csv --accounts N --out DIR
        Writes organisations.csv, people.csv, accounts.csv, role_grants.csv and bench.env into DIR:
        a national-scale hierarchy (7 regions, ~200 trusts with ~5 sites each, 40 commissioners each
        administering ~150 each of GP practices, pharmacies, optometrists, dentists and care homes,
        pharmacy multiples with head offices and stores) hung under the demo organisations, and N
        accounts spread over it. Column formats match what the app writes: on PostgreSQL uuid,
        timestamptz and boolean; on SQLite upper-case UUID text, REAL Unix seconds and 0/1 (empty
        CSV fields are turned into NULL by the loader).

    bench_data.py walk --url URL --token TOKEN [--limit N]
        Follows nextCursor through every page of GET /api/v1/organisations; prints
        "pages items seconds slowest_page_seconds".

    bench_data.py wrk FILE
        Reads `wrk --latency` output; prints "requests_per_s p50_ms p99_ms requests non2xx errors".

    bench_data.py table FILE.tsv
        Prints the results table.

    bench_data.py sql --root ID --la-after-name N --la-after-id ID --na-after-name N --na-after-id ID
                      --in-ods ODS --out-ods ODS --out DIR
        Writes the scope queries as the app builds them (literals in place of binds), and the
        proposed variants (row-value keyset, upward scope check), one .sql file each.

    bench_data.py sqlite-time DB FILE.sql... [--runs N]
        Median milliseconds and row count of each query on SQLite (Python's sqlite3 module).

    bench_data.py cpu [--pid PID] [--children-of PID]
        Prints CPU clock ticks: of PID, of PID's children, and the machine's busy and total ticks.
"""

import argparse
import csv
import json
import os
import random
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import defaultdict, deque
from datetime import datetime, timezone

REGIONS = [
    "east_of_england",
    "london",
    "midlands",
    "north_east_and_yorkshire",
    "north_west",
    "south_east",
    "south_west",
]
# Postcode areas per region, so postcodes look local.
AREAS = {
    "east_of_england": ["CB", "NR", "IP", "CO", "PE", "LU", "SG", "CM"],
    "london": ["E", "N", "SE", "SW", "W", "NW", "EC", "WC", "CR", "BR"],
    "midlands": ["B", "CV", "NG", "LE", "DE", "WV", "ST", "WS"],
    "north_east_and_yorkshire": ["LS", "BD", "HX", "WF", "HD", "YO", "NE", "SR", "HU", "S"],
    "north_west": ["M", "L", "PR", "BL", "WN", "CH", "LA", "OL"],
    "south_east": ["BN", "GU", "RG", "OX", "ME", "CT", "PO", "SO", "MK"],
    "south_west": ["BS", "EX", "PL", "TR", "BA", "GL", "TA", "BH"],
}
PLACES = [
    "Ashford", "Barnsley", "Bedford", "Blackburn", "Bolton", "Bradford", "Brighton", "Bristol", "Burnley",
    "Bury", "Calderdale", "Cambridge", "Carlisle", "Chelmsford", "Chester", "Colchester", "Coventry", "Crawley",
    "Croydon", "Darlington", "Derby", "Doncaster", "Dudley", "Durham", "Ealing", "Enfield", "Exeter",
    "Gateshead", "Gloucester", "Grimsby", "Guildford", "Halifax", "Harrogate", "Harrow", "Hastings",
    "Hereford", "Huddersfield", "Hull", "Ipswich", "Kendal", "Kingston", "Lancaster", "Leicester", "Lewisham",
    "Lincoln", "Liverpool", "Luton", "Maidstone", "Mansfield", "Middlesbrough", "Milton Keynes", "Newham",
    "Northampton", "Norwich", "Nottingham", "Oldham", "Oxford", "Peterborough", "Plymouth", "Poole",
    "Portsmouth", "Preston", "Reading", "Redbridge", "Rochdale", "Rotherham", "Salford", "Salisbury",
    "Scarborough", "Sheffield", "Shrewsbury", "Slough", "Solihull", "Southampton", "Southend", "Southwark",
    "Stockport", "Stoke", "Sunderland", "Swindon", "Taunton", "Telford", "Torbay", "Truro", "Wakefield",
    "Walsall", "Warrington", "Watford", "Wigan", "Winchester", "Wirral", "Wolverhampton", "Worcester",
    "Worthing", "Yeovil", "York",
]
STREETS = [
    "High Street", "Church Lane", "Station Road", "Park Avenue", "Market Place", "Mill Lane", "Victoria Road",
    "Queen Street", "King Street", "Green Lane", "The Parade", "London Road", "North Road", "Bridge Street",
    "Manor Road", "Castle Street", "Meadow Way", "Orchard Close", "Riverside", "Hill Top",
]
GIVEN = [
    "Aisha", "Alex", "Amelia", "Amir", "Ben", "Bethany", "Callum", "Charlotte", "Chen", "Daniel", "Deepa",
    "Eleanor", "Emily", "Ethan", "Fatima", "Grace", "Hannah", "Harry", "Imran", "Isla", "Jack", "James",
    "Jasmine", "Joseph", "Kate", "Kwame", "Laura", "Leo", "Lucy", "Mohammed", "Nadia", "Noah", "Oliver",
    "Olivia", "Oscar", "Priya", "Rachel", "Rhys", "Ruby", "Sam", "Sarah", "Sophie", "Thomas", "Tom", "Uma",
    "William", "Yusuf", "Zara", "Zoe", "Adebayo", "Bogdan", "Ciara", "Dylan", "Eilidh", "Farah", "Gareth",
]
FAMILY = [
    "Ahmed", "Ali", "Allen", "Bailey", "Baker", "Begum", "Bell", "Brown", "Campbell", "Clarke", "Cooper",
    "Davies", "Edwards", "Evans", "Green", "Hall", "Harris", "Hill", "Hughes", "Hussain", "Jackson", "James",
    "Johnson", "Jones", "Khan", "King", "Lee", "Lewis", "Martin", "Mensah", "Morgan", "Morris", "Murphy",
    "Nowak", "Okafor", "Owen", "Patel", "Phillips", "Price", "Roberts", "Robinson", "Scott", "Shah", "Singh",
    "Smith", "Taylor", "Thomas", "Thompson", "Turner", "Walker", "Ward", "White", "Williams", "Wilson",
    "Wood", "Wright", "Young", "Zhang",
]
# Fictional multiples: (head office name, share of the stores). "FHQ01" is the demo's Northern
# Pharmacy Group, administered by QWO: its stores everywhere fall into QWO's scope.
MULTIPLES = [
    ("Apex Pharmacy Group head office", 0.35),
    ("Crown Chemists head office", 0.20),
    ("FHQ01", 0.15),
    ("Meridian Pharmacy head office", 0.10),
    ("Greenleaf Chemists head office", 0.08),
    ("Unity Pharmacy head office", 0.06),
    ("Beacon Pharmacy head office", 0.04),
    ("Hearth Pharmacy head office", 0.02),
]
STATUSES = ["live"] * 14 + ["onboarding"] * 2 + ["applying"] + ["not_joined"] * 3

ORG_COLUMNS = [
    "id", "ods_code", "name", "type", "country", "region", "postcode", "status", "ig_status",
    "ig_completed_on", "ig_completed_by_id", "delivers_nhs_care", "other_public_email", "helpdesk_contact",
    "parent_id", "administered_by_id", "successor_id", "closed_at", "created_at", "updated_at",
]
PEOPLE_COLUMNS = ["id", "given_name", "family_name", "mobile", "created_at"]
ACCOUNT_COLUMNS = [
    "id", "person_id", "organisation_id", "address", "password_hash", "state", "failed_sign_ins",
    "last_sign_in_at", "created_at", "updated_at",
]
GRANT_COLUMNS = [
    "id", "account_id", "role", "organisation_id", "region", "granted_by_id", "granted_at", "revoked_by_id",
    "revoked_at",
]


class Formats:
    """Renders values the way the app's driver stores them."""

    def __init__(self, dialect):
        self.sqlite = dialect == "sqlite"

    def uuid(self, value):
        if value is None:
            return ""
        return str(value).upper() if self.sqlite else str(value).lower()

    def time(self, epoch):
        if epoch is None:
            return ""
        if self.sqlite:
            return repr(round(epoch, 5))
        return datetime.fromtimestamp(epoch, timezone.utc).isoformat(sep=" ")

    def bool(self, value):
        if self.sqlite:
            return "1" if value else "0"
        return "t" if value else "f"


def new_uuid(rng):
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def postcode(rng, region):
    area = rng.choice(AREAS[region])
    return f"{area}{rng.randint(1, 29)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"


def gen(args):
    rng = random.Random(args.seed)
    fmt = Formats(args.dialect)
    now = time.time()
    out = args.out
    os.makedirs(out, exist_ok=True)

    # The demo organisations already in the database: ods_code,id,parent_id,administered_by_id,region,name
    demo = {}
    with open(args.demo_orgs, newline="") as handle:
        for row in csv.DictReader(handle):
            demo[row["ods_code"]] = row
    for needed in ("QWO", "FHQ01", "X26"):
        if needed not in demo:
            sys.exit(f"bench_data: demo organisation {needed} is missing; run seed-demo first")
    qwo = demo["QWO"]["id"].lower()
    fhq01 = demo["FHQ01"]["id"].lower()

    orgs = []  # dicts with the fields we set; ids as lower-case strings
    by_ods = {}

    def add(ods, name, type_, region, parent=None, admin=None, status=None, accounts_weight=0.0):
        org = {
            "id": str(new_uuid(rng)),
            "ods": ods,
            "name": name,
            "type": type_,
            "region": region,
            "postcode": postcode(rng, region),
            "status": status or rng.choice(STATUSES),
            "parent": parent,
            "admin": admin,
            "weight": accounts_weight,
        }
        org["ig"] = org["status"] in ("live", "onboarding") and rng.random() < 0.6
        assert ods not in by_ods and ods not in demo, ods
        orgs.append(org)
        by_ods[ods] = org
        return org

    # Trusts and their sites: most NHSmail accounts live here.
    trust_kinds = ["NHS Foundation Trust", "NHS Trust", "Teaching Hospitals NHS Foundation Trust",
                   "Community Health NHS Trust", "Mental Health NHS Foundation Trust"]
    for i in range(1, args.trusts + 1):
        region = REGIONS[i % len(REGIONS)]
        place = PLACES[i % len(PLACES)]
        trust = add(f"TR{i:03d}", f"{place} {trust_kinds[i % len(trust_kinds)]} {i}", "nhs_trust", region,
                    status="live", accounts_weight=rng.lognormvariate(5.3, 0.6))
        for s in range(1, rng.randint(3, 7) + 1):
            add(f"TR{i:03d}{s:02d}", f"{place} {rng.choice(['General Hospital', 'Community Hospital', 'Health Centre', 'Hospital', 'Clinic', 'Mental Health Unit'])} {i}-{s}",
                "trust_site", region, parent=trust["id"], status="live",
                accounts_weight=rng.lognormvariate(6.2, 0.7))

    # Commissioners. QWO (demo, West Yorkshire) is one of them and is made the largest.
    commissioners = [{"id": qwo, "ods": "QWO", "region": demo["QWO"]["region"] or "north_east_and_yorkshire",
                      "scale": args.qwo_scale}]
    for i in range(1, args.commissioners):
        region = REGIONS[i % len(REGIONS)]
        c = add(f"Q{i:02d}", f"NHS {PLACES[(i * 7) % len(PLACES)]} and District Integrated Care Board", "commissioner",
                region, status="live", accounts_weight=rng.lognormvariate(5.5, 0.4))
        commissioners.append({"id": c["id"], "ods": c["ods"], "region": region, "scale": 1.0})

    # Pharmacy multiples: head offices, each administered by one commissioner (as the demo's FHQ01 is).
    head_offices = []
    for index, (name, share) in enumerate(MULTIPLES):
        if name == "FHQ01":
            head_offices.append((fhq01, share))
            continue
        admin = commissioners[1 + (index * 5) % (len(commissioners) - 1)]
        ho = add(f"FH{index + 1:03d}", name, "pharmacy_head_office", admin["region"], admin=admin["id"],
                 status="live", accounts_weight=rng.lognormvariate(5.0, 0.3))
        head_offices.append((ho["id"], share))
    ho_ids = [h[0] for h in head_offices]
    brands = {}
    for ho in ho_ids:
        name = next((o["name"] for o in orgs if o["id"] == ho), "Northern Pharmacy Group head office")
        brands[ho] = name.replace(" head office", "").replace(" Group", "")
    ho_weights = [h[1] for h in head_offices]

    counters = defaultdict(int)

    def code(prefix):
        counters[prefix] += 1
        return f"{prefix}{counters[prefix]:05d}"

    per_kind = args.per_kind
    for c in commissioners:
        region = c["region"]

        def n():
            return max(1, int(round(rng.randint(int(per_kind * 0.8), int(per_kind * 1.2)) * c["scale"])))

        area = lambda: PLACES[rng.randrange(len(PLACES))]  # noqa: E731
        for _ in range(n()):
            add(code("G"), f"{rng.choice(STREETS)} {rng.choice(['Surgery', 'Medical Centre', 'Medical Practice', 'Health Centre', 'Family Practice'])} {area()}",
                "gp_practice", region, admin=c["id"], accounts_weight=rng.lognormvariate(3.3, 0.5))
        for _ in range(n()):
            if rng.random() < 0.5:
                ho = rng.choices(ho_ids, ho_weights)[0]
                brand = brands[ho]
                add(code("FP"), f"{brand} {area()} {rng.choice(STREETS)}", "community_pharmacy", region,
                    parent=ho, admin=c["id"], accounts_weight=rng.lognormvariate(1.6, 0.4))
            else:
                add(code("FP"), f"{rng.choice(STREETS)} {rng.choice(['Pharmacy', 'Chemist', 'Pharmacy and Chemist'])} {area()}",
                    "community_pharmacy", region, admin=c["id"], accounts_weight=rng.lognormvariate(1.6, 0.4))
        for _ in range(n()):
            add(code("TQ"), f"{area()} {rng.choice(['Opticians', 'Eyecare', 'Vision Centre', 'Optometrists'])} {rng.choice(STREETS)}",
                "optometrist", region, admin=c["id"], accounts_weight=rng.lognormvariate(1.1, 0.4))
        made = 0
        target = n()
        while made < target:
            if rng.random() < 0.15 and target - made >= 3:
                group = f"{rng.choice(['Smile', 'Bright', 'Pearl', 'Family', 'City'])} Dental {area()}"
                hq = add(code("VD"), f"{group} headquarters", "dental_practice", region, admin=c["id"],
                         accounts_weight=rng.lognormvariate(2.6, 0.4))
                made += 1
                for _ in range(min(rng.randint(2, 5), target - made)):
                    add(code("VD"), f"{group} {rng.choice(STREETS)}", "dental_practice", region, parent=hq["id"],
                        admin=c["id"], accounts_weight=rng.lognormvariate(2.0, 0.4))
                    made += 1
            else:
                add(code("VD"), f"{rng.choice(STREETS)} Dental Practice {area()}", "dental_practice", region,
                    admin=c["id"], accounts_weight=rng.lognormvariate(2.0, 0.4))
                made += 1
        for _ in range(n()):
            add(code("VC"), f"{rng.choice(['Oak', 'Beech', 'Willow', 'Rose', 'Meadow', 'Park', 'Holly', 'Cedar'])} {rng.choice(['House', 'Lodge', 'Court', 'View'])} Care Home {area()}",
                "care_home", region, admin=c["id"], accounts_weight=rng.lognormvariate(2.2, 0.5))

    # Accounts: only organisations that are live or onboarding hold them; demo organisations too.
    holders = [o for o in orgs if o["status"] in ("live", "onboarding") and o["weight"] > 0]
    extra_holders = [(demo[k]["id"].lower(), w) for k, w in (("QWO", 400.0), ("X26", 300.0), ("RR8", 900.0))
                     if k in demo]
    weights = [o["weight"] for o in holders] + [w for _, w in extra_holders]
    holder_ids = [o["id"] for o in holders] + [i for i, _ in extra_holders]
    total_weight = sum(weights)
    counts = [int(args.accounts * w / total_weight) for w in weights]
    short = args.accounts - sum(counts)
    order = sorted(range(len(weights)), key=lambda k: -weights[k])
    for k in range(short):
        counts[order[k % len(order)]] += 1

    # Write organisations.
    now_s = fmt.time(now)
    with open(os.path.join(out, "organisations.csv"), "w", newline="") as handle:
        w = csv.writer(handle, lineterminator="\n")
        for o in orgs:
            ig_on = fmt.time(now - rng.randint(10, 700) * 86400) if o["ig"] else ""
            w.writerow([
                fmt.uuid(o["id"]), o["ods"], o["name"], o["type"], "england", o["region"], o["postcode"],
                o["status"], "completed" if o["ig"] else "not_started", ig_on, fmt.uuid(o["id"]) if o["ig"] else "",
                fmt.bool(True), fmt.bool(False), "", fmt.uuid(o["parent"]), fmt.uuid(o["admin"]), "", "",
                now_s, now_s,
            ])

    # People and accounts, one account each. A few Local Administrators of other commissioners.
    days = [fmt.time(now - d * 86400 - rng.random() * 86400) for d in range(1, 2000)]
    states = ["active"] * 46 + ["pending_activation", "locked", "leaver", "inactive"]
    la_accounts = []
    serial = 0
    with open(os.path.join(out, "people.csv"), "w", newline="") as ph, \
            open(os.path.join(out, "accounts.csv"), "w", newline="") as ah:

        getrandbits = rng.getrandbits
        randrange = rng.randrange
        hexfmt = "%032X" if fmt.sqlite else "%032x"
        mask = ~(0xF000 << 64) & ~(0xC000 << 48) & ((1 << 128) - 1)
        bits = (0x4000 << 64) | (0x8000 << 48)

        def fast_uuid():
            h = hexfmt % ((getrandbits(128) & mask) | bits)
            return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

        def person_account(org_id, given, family, state, address=None):
            nonlocal serial
            serial += 1
            pid = fast_uuid()
            aid = fast_uuid()
            created = days[randrange(ndays)]
            ph.write(f"{pid},{given},{family},,{created}\n")
            address = address or f"{given}.{family}{serial}@nhs.net".lower()
            last = days[randrange(200)] if state == "active" else ""
            ah.write(f"{aid},{pid},{org_id},{address},,{state},0,{last},{created},{created}\n")
            return aid

        ndays = len(days)
        for c in commissioners[1:1 + args.extra_las]:
            aid = person_account(fmt.uuid(c["id"]), "Local", "Admin", "active",
                                 address=f"la.{c['ods'].lower()}@nhs.net")
            la_accounts.append((aid, c["id"], c["ods"]))
        g, f = GIVEN, FAMILY
        ng, nf, ns = len(g), len(f), len(states)
        for org_id, count in zip(holder_ids, counts):
            org_text = fmt.uuid(org_id)
            for _ in range(count):
                person_account(org_text, g[randrange(ng)], f[randrange(nf)], states[randrange(ns)])
    with open(os.path.join(out, "role_grants.csv"), "w", newline="") as handle:
        w = csv.writer(handle, lineterminator="\n")
        for aid, org_id, _ in la_accounts:
            w.writerow([fmt.uuid(new_uuid(rng)), aid, "local_admin", fmt.uuid(org_id), "", "", now_s, "",
                        ""])

    # What the LA of QWO should see: QWO and everything below it along parent and administered_by edges.
    children = defaultdict(list)
    all_orgs = [(o["id"], o["parent"], o["admin"], o["ods"], o["name"]) for o in orgs]
    all_orgs += [(d["id"].lower(), (d["parent_id"] or "").lower() or None,
                  (d["administered_by_id"] or "").lower() or None, d["ods_code"], d["name"]) for d in demo.values()]
    for oid, parent, admin, _, _ in all_orgs:
        if parent:
            children[parent].append(oid)
        if admin:
            children[admin].append(oid)
    seen = {qwo}
    queue = deque([qwo])
    while queue:
        for child in children[queue.popleft()]:
            if child not in seen:
                seen.add(child)
                queue.append(child)
    ods_of = {oid: ods for oid, _, _, ods, _ in all_orgs}
    in_scope_store = next(o["ods"] for o in orgs if o["parent"] == fhq01 and o["admin"] != qwo)
    in_scope_gp = next(o["ods"] for o in orgs if o["admin"] == qwo and o["type"] == "gp_practice")
    out_scope = next(o["ods"] for o in orgs if o["id"] not in seen and o["type"] == "gp_practice")
    pharm = sum(1 for o in all_orgs if "pharm" in o[4].lower())
    with open(os.path.join(out, "bench.env"), "w") as handle:
        handle.write(f"GEN_ORGS={len(orgs)}\n")
        handle.write(f"GEN_TOTAL_ORGS={len(all_orgs)}\n")
        handle.write(f"GEN_ACCOUNTS={serial}\n")
        handle.write(f"GEN_LA_SCOPE={len(seen)}\n")
        handle.write(f"GEN_PHARM_NAMES={pharm}\n")
        handle.write(f"GEN_IN_SCOPE_GP={in_scope_gp}\n")
        handle.write(f"GEN_IN_SCOPE_STORE={in_scope_store}\n")
        handle.write(f"GEN_OUT_OF_SCOPE={out_scope}\n")
        handle.write(f"GEN_QWO_ID={fmt.uuid(qwo)}\n")
        handle.write(f"GEN_EXTRA_LAS=\"{' '.join('la.' + ods.lower() + '@nhs.net' for _, _, ods in la_accounts)}\"\n")
    assert ods_of[qwo] == "QWO"
    print(f"generated {len(orgs)} organisations (+{len(demo)} demo), {serial} accounts, "
          f"{len(la_accounts)} extra LAs; QWO scope {len(seen)}", file=sys.stderr)


def walk(args):
    headers = {"Authorization": f"Bearer {args.token}", "Accept": "application/json"}
    cursor = None
    pages = items = 0
    slowest = 0.0
    start = time.perf_counter()
    while True:
        query = {"limit": str(args.limit)}
        if cursor:
            query["cursor"] = cursor
        url = args.url + "?" + urllib.parse.urlencode(query)
        t0 = time.perf_counter()
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=120) as response:
            body = json.load(response)
        slowest = max(slowest, time.perf_counter() - t0)
        pages += 1
        items += len(body["items"])
        cursor = body.get("nextCursor")
        if not cursor:
            break
    print(f"{pages} {items} {time.perf_counter() - start:.3f} {slowest:.4f}")


def to_ms(text):
    match = re.match(r"([\d.]+)(us|ms|s|m)", text)
    value, unit = float(match.group(1)), match.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(args):
    text = open(args.file).read()
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    p50 = re.search(r"^\s+50%\s+(\S+)", text, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M)
    total = re.search(r"(\d+) requests in", text)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(r"Socket errors: (.*)", text)
    timeouts = re.search(r"timeout (\d+)", errors.group(1)) if errors else None
    if not (rps and p50 and p99 and total):
        print("- - - - - -")
        return
    print(f"{float(rps.group(1)):.1f} {to_ms(p50.group(1)):.1f} {to_ms(p99.group(1)):.1f} {total.group(1)} "
          f"{non2xx.group(1) if non2xx else 0} {timeouts.group(1) if timeouts else 0}")


def table(args):
    rows = [line.rstrip("\n").split("\t") for line in open(args.file) if line.strip()]
    widths = [max(len(r[i]) for r in rows if i < len(r)) for i in range(max(len(r) for r in rows))]
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)))
        if index == 0:
            print("  ".join("-" * w for w in widths))


# ---------------------------------------------------------------------------------------------
# SQL: the scope query as the app builds it (Scope.contains + OrganisationSearch / getOrganisation),
# with literals instead of binds, and the variants docs/benchmarks.md proposes.
# ---------------------------------------------------------------------------------------------
SELECT_ITEM = (
    "SELECT o.id, o.ods_code, o.name, o.type, o.country, o.region, o.postcode, o.status,\n"
    "    p.ods_code AS parent_ods, a.ods_code AS administered_by_ods\n"
    "FROM organisations o\n"
    "LEFT JOIN organisations p ON p.id = o.parent_id\n"
    "LEFT JOIN organisations a ON a.id = o.administered_by_id\n"
)


def lit(text):
    return "'" + text.replace("'", "''") + "'"


def scope_clause(root):
    """Scope.contains for a Local Administrator whose grant and own organisation are both `root`."""
    return (
        "(o.id IN (WITH RECURSIVE tree(id) AS (\n"
        f"    SELECT id FROM organisations WHERE id IN ({lit(root)})\n"
        "    UNION\n"
        "    SELECT c.id FROM organisations c JOIN tree t ON c.parent_id = t.id OR c.administered_by_id = t.id\n"
        f") SELECT id FROM tree) OR o.id IN ({lit(root)}))"
    )


def upward_clause(root):
    """Proposed: is `o` in scope? Walk up from o along parent/administered_by (depth, not subtree size)."""
    return (
        f"(o.id IN ({lit(root)}) OR EXISTS (WITH RECURSIVE up(id) AS (\n"
        "    SELECT o.id\n"
        "    UNION\n"
        "    SELECT CASE e.k WHEN 1 THEN u.parent_id ELSE u.administered_by_id END\n"
        "    FROM up JOIN organisations u ON u.id = up.id CROSS JOIN (SELECT 1 AS k UNION ALL SELECT 2) e\n"
        "    WHERE CASE e.k WHEN 1 THEN u.parent_id ELSE u.administered_by_id END IS NOT NULL\n"
        f") SELECT 1 FROM up WHERE up.id IN ({lit(root)})))"
    )


# OrganisationSearch's text filter for q=pharm.
PHARM = " AND (LOWER(o.name) LIKE '%pharm%' ESCAPE '\\' OR o.ods_code LIKE 'PHARM%')"


def or_cursor(name, id_):
    return f" AND (o.name > {lit(name)} OR (o.name = {lit(name)} AND o.id > {lit(id_)}))"


def row_cursor(name, id_):
    return f" AND (o.name, o.id) > ({lit(name)}, {lit(id_)})"


def sql(args):
    os.makedirs(args.out, exist_ok=True)
    order = "\nORDER BY o.name, o.id LIMIT 51"
    scope = scope_clause(args.root)
    queries = {
        "la_list_first": SELECT_ITEM + "WHERE " + scope + order,
        "la_list_last": SELECT_ITEM + "WHERE " + scope + or_cursor(args.la_after_name, args.la_after_id) + order,
        "la_list_last_rowvalue": SELECT_ITEM + "WHERE " + scope + row_cursor(args.la_after_name, args.la_after_id)
        + order,
        "national_list_mid": SELECT_ITEM + "WHERE 1 = 1" + or_cursor(args.na_after_name, args.na_after_id) + order,
        "national_list_mid_rowvalue": SELECT_ITEM + "WHERE 1 = 1" + row_cursor(args.na_after_name, args.na_after_id)
        + order,
        "la_search_pharm": SELECT_ITEM + "WHERE " + scope + PHARM + order,
        "national_search_pharm": SELECT_ITEM + "WHERE 1 = 1" + PHARM + order,
        "la_get_in": SELECT_ITEM + f"WHERE o.ods_code = {lit(args.in_ods)} AND " + scope,
        "la_get_out": SELECT_ITEM + f"WHERE o.ods_code = {lit(args.out_ods)} AND " + scope,
        "la_get_in_upward": SELECT_ITEM + f"WHERE o.ods_code = {lit(args.in_ods)} AND " + upward_clause(args.root),
        "la_get_out_upward": SELECT_ITEM + f"WHERE o.ods_code = {lit(args.out_ods)} AND " + upward_clause(args.root),
    }
    for name, text in queries.items():
        with open(os.path.join(args.out, name + ".sql"), "w") as handle:
            handle.write(text + ";\n")
    print(" ".join(queries))


def _sqlite():
    """A SQLite new enough for Onboard's schema (FTS5 trigram with remove_diacritics, contentless_delete:
    3.45 or later, as bundled in SQLiteNIO): pysqlite3-binary when installed, else the standard module."""
    try:
        import pysqlite3 as module
    except ImportError:
        import sqlite3 as module
    return module


def sqlite_query(args):
    """Like the sqlite3 shell: each row's values joined by '|', or CSV with a header row."""
    db = _sqlite().connect(args.db)
    cursor = db.execute(args.sql)
    if args.csv_header:
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow([c[0] for c in cursor.description])
        for row in cursor:
            w.writerow(["" if v is None else v for v in row])
    else:
        for row in cursor:
            print("|".join("" if v is None else str(v) for v in row))


def sqlite_load(args):
    """Runs SCRIPT's part before '-- IMPORT', loads each TABLE=FILE.csv into its (staging) table, then runs
    the rest, in one connection, as the shell's .import would."""
    db = _sqlite().connect(args.db, isolation_level=None)
    text = open(args.script).read()
    before, _, after = text.partition("-- IMPORT")
    db.executescript(before)
    for pair in args.imports:
        table, _, path = pair.partition("=")
        with open(path, newline="") as handle:
            reader = csv.reader(handle)
            first = next(reader, None)
            if first is None:
                continue
            marks = ",".join("?" * len(first))
            db.execute("BEGIN")
            db.execute(f"INSERT INTO {table} VALUES ({marks})", first)
            db.executemany(f"INSERT INTO {table} VALUES ({marks})", reader)
            db.execute("COMMIT")
    db.executescript(after)


def sqlite_time(args):
    """Median wall time of each query file over --runs runs (after one warm-up), and its row count."""
    import statistics

    db = _sqlite().connect(args.db)
    for path in args.files:
        text = open(path).read()
        rows = len(db.execute(text).fetchall())
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            db.execute(text).fetchall()
            times.append((time.perf_counter() - t0) * 1000)
        print(f"{os.path.basename(path)[:-4]} {statistics.median(times):.2f} {rows}")


def cpu(args):
    """Clock ticks used by PID, by the children of --children-of, and machine busy/total ticks."""

    def ticks(pid):
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            return int(fields[11]) + int(fields[12]), int(fields[1])
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return 0, -1

    own = ticks(args.pid)[0] if args.pid else 0
    children = 0
    if args.children_of:
        parent = args.children_of
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                used, ppid = ticks(entry)
                if ppid == parent:
                    children += used
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    total = sum(values[:8])
    busy = total - values[3] - values[4]
    print(own, children, busy, total)


# ---------------------------------------------------------------------------------------------
# Directory search latency (issue 21): the most common British surnames and three-letter fragments,
# each asked in turn through GET /api/v1/directory, one request at a time.
# ---------------------------------------------------------------------------------------------
DIRECTORY_SURNAMES = [
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
    "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
    "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill",
]
DIRECTORY_FRAGMENTS = [
    "son", "smi", "wil", "jon", "tay", "bro", "dav", "eva", "tho", "rob",
    "wri", "wal", "whi", "edw", "hug", "gre", "har", "cla", "pat", "mar",
]


def directory(args):
    import statistics
    import urllib.parse
    import urllib.request

    terms = [t.lower() for t in DIRECTORY_SURNAMES] + DIRECTORY_FRAGMENTS
    headers = {"Authorization": f"Bearer {args.token}"}
    times, matched, more = [], [], 0
    # One warm-up pass, not counted.
    for rnd in range(args.runs + 1):
        for term in terms:
            url = f"{args.url}?q={urllib.parse.quote(term)}&kind={args.kind}"
            start = time.perf_counter()
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as response:
                body = json.loads(response.read())
            elapsed = (time.perf_counter() - start) * 1000
            if rnd > 0:
                times.append(elapsed)
                matched.append(body["matched"])
                more += 1 if body["more"] else 0
    times.sort()
    def pct(p):
        return times[min(len(times) - 1, int(round(p / 100 * len(times) + 0.5)) - 1)]
    print(f"{len(times)} {statistics.median(times):.1f} {pct(95):.1f} {pct(99):.1f} {times[-1]:.1f} "
          f"{statistics.median(matched):.0f} {more}")


def session(args):
    """Signs in through the pages as a browser would (a user: no authenticator step) and prints the Cookie
    header value that carries the session, for wrk's page measurements. Cookies are carried by hand: they
    are `__Host-` and Secure, which Python's cookie jar keeps from plain-HTTP 127.0.0.1."""
    import http.client
    import urllib.parse

    host = urllib.parse.urlsplit(args.url)
    cookies = {}

    def ask(method, path, body=None):
        conn = http.client.HTTPConnection(host.hostname, host.port)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                if val:
                    cookies[key] = val
                else:
                    cookies.pop(key, None)
        return response.status, response.getheader("Location"), text

    _, _, page = ask("GET", "/sign-in")
    csrf = re.search(r'name="_csrf" value="([^"]*)"', page).group(1)
    form = urllib.parse.urlencode({"email": args.email, "password": args.password, "_csrf": csrf})
    status, location, _ = ask("POST", "/sign-in", form)
    for _ in range(6):
        if not location or location.endswith("/home"):
            break
        status, location, _ = ask("GET", location)
    status, _, _ = ask("GET", "/home")
    if status != 200:
        raise SystemExit(f"signing in as {args.email} did not reach /home ({status})")
    print("; ".join(f"{k}={v}" for k, v in cookies.items()))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("gen")
    g.add_argument("--dialect", choices=["postgres", "sqlite"], required=True)
    g.add_argument("--demo-orgs", required=True)
    g.add_argument("--accounts", type=int, default=1_700_000)
    g.add_argument("--out", required=True)
    g.add_argument("--seed", type=int, default=20260101)
    g.add_argument("--trusts", type=int, default=200)
    g.add_argument("--commissioners", type=int, default=40, help="including the demo's QWO")
    g.add_argument("--per-kind", type=int, default=150, help="organisations of each kind per commissioner")
    g.add_argument("--qwo-scale", type=float, default=2.0, help="QWO administers this many times more")
    g.add_argument("--extra-las", type=int, default=5)
    w = sub.add_parser("walk")
    w.add_argument("--url", required=True)
    w.add_argument("--token", required=True)
    w.add_argument("--limit", type=int, default=50)
    r = sub.add_parser("wrk")
    r.add_argument("file")
    t = sub.add_parser("table")
    t.add_argument("file")
    q = sub.add_parser("sql")
    q.add_argument("--root", required=True)
    q.add_argument("--la-after-name", required=True)
    q.add_argument("--la-after-id", required=True)
    q.add_argument("--na-after-name", required=True)
    q.add_argument("--na-after-id", required=True)
    q.add_argument("--in-ods", required=True)
    q.add_argument("--out-ods", required=True)
    q.add_argument("--out", required=True)
    st = sub.add_parser("sqlite-time")
    st.add_argument("db")
    st.add_argument("files", nargs="+")
    st.add_argument("--runs", type=int, default=15)
    c = sub.add_parser("cpu")
    c.add_argument("--pid", type=int)
    c.add_argument("--children-of", type=int)
    se = sub.add_parser("session")
    se.add_argument("--url", required=True)
    se.add_argument("--email", required=True)
    se.add_argument("--password", required=True)
    sq = sub.add_parser("sqlite-query")
    sq.add_argument("db")
    sq.add_argument("sql")
    sq.add_argument("--csv-header", action="store_true")
    sl = sub.add_parser("sqlite-load")
    sl.add_argument("db")
    sl.add_argument("script")
    sl.add_argument("imports", nargs="+", help="TABLE=FILE.csv")
    d = sub.add_parser("directory")
    d.add_argument("--url", required=True)
    d.add_argument("--token", required=True)
    d.add_argument("--kind", default="people")
    d.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    commands = {"gen": gen, "walk": walk, "wrk": wrk, "table": table, "sql": sql, "sqlite-time": sqlite_time,
                "cpu": cpu, "directory": directory, "sqlite-query": sqlite_query, "sqlite-load": sqlite_load,
                "session": session}
    commands[args.command](args)


if __name__ == "__main__":
    main()
