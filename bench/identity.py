"""identity's benchmark (issue 16): what checking a token costs a service, what a password sign-in costs
identity, and how fast a refresh grant answers at 100 a second.

1. Token verification in a service (`TokenVerifier` with identity's JWKS served over HTTP, fetched once and
   cached): a token seen for the first time (EdDSA signature checked, claims parsed) and one seen before (the
   verifier remembers it until it expires), next to a bare PyJWT HS256 decode and a bare EdDSA decode in the
   same run.
2. argon2id at identity's configured cost: one hash check, hence sign-ins a second per core.
3. The refresh grant against a running identity (embedded PostgreSQL with fsync, NATS): 100 a second for 20 s
   over 50 sessions of 50 accounts, each refresh using the previous answer's token; latency p50/p99, next to
   a raw INSERT + commit at the same rate on the same database.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import http.server
import json
import os
import statistics
import sys
import threading
import time
import uuid

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

sys.path.insert(0, os.path.dirname(__file__))
from _shared import embedded_stack, pct, table, wait_ready

from propdesk.common.auth import TokenVerifier
from propdesk.common.embedded import free_port
from propdesk.common.settings import CommonSettings


def claims(n: int) -> dict:
    now = dt.datetime.now(dt.UTC)
    return {
        "iss": "propdesk",
        "aud": "propdesk",
        "sub": str(uuid.uuid4()),
        "iat": now,
        "nbf": now,
        "exp": now + dt.timedelta(minutes=10),
        "jti": f"t{n}",
        "roles": ["resident"],
        "estates": [str(uuid.uuid4())],
        "units": [str(uuid.uuid4())],
    }


def serve_jwks(key: Ed25519PrivateKey, kid: str) -> tuple[str, http.server.HTTPServer]:
    jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": kid, "alg": "EdDSA", "use": "sig"}]}).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}/jwks.json", server


async def verification(n: int = 20_000) -> dict:
    key, kid = Ed25519PrivateKey.generate(), "bench-1"
    url, server = serve_jwks(key, kid)
    try:
        verifier = TokenVerifier(CommonSettings(dev=False, jwt_jwks_url=url))
        tokens = [jwt.encode(claims(i), key, algorithm="EdDSA", headers={"kid": kid}) for i in range(n)]
        await verifier.verify(tokens[0])  # the JWKS fetched once
        start = time.perf_counter()
        for t in tokens[1:]:
            await verifier.verify(t)
        first_seen = (time.perf_counter() - start) / (n - 1) * 1e6
        recent = tokens[-verifier.CACHE_SIZE // 2 :]  # within what the verifier remembers
        start = time.perf_counter()
        for t in recent:
            await verifier.verify(t)
        remembered = (time.perf_counter() - start) / len(recent) * 1e6
        secret = "s" * 40
        hs = [jwt.encode(claims(i), secret, algorithm="HS256") for i in range(n)]
        start = time.perf_counter()
        for t in hs:
            jwt.decode(t, secret, algorithms=["HS256"], audience="propdesk", issuer="propdesk")
        bare_hs = (time.perf_counter() - start) / n * 1e6
        public = key.public_key()
        start = time.perf_counter()
        for t in tokens:
            jwt.decode(t, public, algorithms=["EdDSA"], audience="propdesk", issuer="propdesk")
        bare_ed = (time.perf_counter() - start) / n * 1e6
    finally:
        server.shutdown()
    return {
        "first_seen_us": first_seen,
        "remembered_us": remembered,
        "bare_hs256_us": bare_hs,
        "bare_eddsa_us": bare_ed,
    }


def argon2_cost() -> dict:
    from propdesk.identity.config import IdentitySettings
    from propdesk.identity.service.passwords import hasher

    s = IdentitySettings(dev=True)
    h = hasher(s)
    stored = h.hash("Correct-Horse-9")
    times = []
    for _ in range(20):
        start = time.perf_counter()
        h.verify(stored, "Correct-Horse-9")
        times.append(time.perf_counter() - start)
    per = statistics.median(times)
    return {
        "cost": f"argon2id t={s.argon2_time_cost} m={s.argon2_memory_kib} KiB p={s.argon2_parallelism}",
        "verify_ms": per * 1000,
        "per_core_per_s": 1 / per,
    }


async def refresh_latency(rate: int = 100, seconds: int = 20, sessions: int = 50) -> dict:
    import asyncpg

    async with embedded_stack("identity") as stack:
        ports = stack.start("identity")
        url = f"http://127.0.0.1:{ports['identity']}"
        # one session per account, as in life (a person has a session or two; refreshing 50 sessions of one
        # account would queue them all on that account's row lock)
        os.environ.update({"PROPDESK_DEV": "1", "PROPDESK_DATABASE_URL": stack.db_url})
        from propdesk.identity.cli import _run
        from propdesk.identity.service import accounts

        async def admins(session) -> str:
            for n in range(sessions):
                await accounts.create_platform_admin(
                    session, login=f"bench-admin-{n}", name=f"Bench {n}", password="Bench-Password-1"
                )
            return "made"

        await asyncio.to_thread(_run, admins)
        async with httpx.AsyncClient(
            base_url=url, timeout=30, limits=httpx.Limits(max_connections=200)
        ) as client:
            await wait_ready(client)
            chains = []
            for n in range(sessions):
                login = {
                    "grant_type": "password",
                    "username": f"bench-admin-{n}",
                    "password": "Bench-Password-1",
                }
                r = await client.post("/v1/token", data=login)
                assert r.status_code == 200, r.text
                chains.append(r.json()["refresh_token"])
            latencies: list[float] = []
            failures = 0
            locks = [asyncio.Lock() for _ in chains]

            async def one(i: int) -> None:
                nonlocal failures
                async with locks[i]:
                    start = time.perf_counter()
                    r = await client.post(
                        "/v1/token", data={"grant_type": "refresh_token", "refresh_token": chains[i]}
                    )
                    latencies.append(time.perf_counter() - start)
                    if r.status_code != 200:
                        failures += 1
                        return
                    chains[i] = r.json()["refresh_token"]

            tasks = []
            begin = time.perf_counter()
            for n in range(rate * seconds):
                await asyncio.sleep(max(0.0, begin + n / rate - time.perf_counter()))
                tasks.append(asyncio.create_task(one(n % sessions)))
            await asyncio.gather(*tasks)
            elapsed = time.perf_counter() - begin
        db = await asyncpg.connect(stack.db_url)
        rotated = await db.fetchval("SELECT count(*) FROM identity.refresh_token WHERE used_at IS NOT NULL")
        await db.close()
        raw = await raw_commits(stack.db_url, rate, seconds)
    return {
        "raw_p50_ms": pct(raw, 0.5) * 1000,
        "raw_p99_ms": pct(raw, 0.99) * 1000,
        "rate": len(latencies) / elapsed,
        "p50_ms": pct(latencies, 0.5) * 1000,
        "p99_ms": pct(latencies, 0.99) * 1000,
        "failures": failures,
        "rotated": rotated,
    }


async def raw_commits(db_url: str, rate: int, seconds: int) -> list[float]:
    """The baseline of the same run: one small INSERT committed per call (the fsync every refresh also waits
    for), at the same rate over a pool of 10 connections to the same embedded PostgreSQL."""
    import asyncpg

    pool = await asyncpg.create_pool(db_url, min_size=10, max_size=10)
    await pool.execute(
        "CREATE TABLE IF NOT EXISTS public.bench_commit (id bigserial primary key, at timestamptz)"
    )
    latencies: list[float] = []

    async def one() -> None:
        start = time.perf_counter()
        await pool.execute("INSERT INTO public.bench_commit (at) VALUES (now())")
        latencies.append(time.perf_counter() - start)

    tasks, begin = [], time.perf_counter()
    for n in range(rate * seconds):
        await asyncio.sleep(max(0.0, begin + n / rate - time.perf_counter()))
        tasks.append(asyncio.create_task(one()))
    await asyncio.gather(*tasks)
    await pool.close()
    return latencies


async def main() -> None:
    v = await verification()
    a = argon2_cost()
    r = await refresh_latency()
    print(
        table(
            [
                (
                    "token check, first time seen (EdDSA via cached JWKS)",
                    f"{v['first_seen_us']:.1f} µs",
                    "≤ 50 µs",
                ),
                ("token check, seen before (remembered until exp)", f"{v['remembered_us']:.2f} µs", ""),
                ("bare PyJWT EdDSA decode, same run", f"{v['bare_eddsa_us']:.1f} µs", "baseline"),
                ("bare PyJWT HS256 decode, same run", f"{v['bare_hs256_us']:.1f} µs", "baseline"),
                (f"password check ({a['cost']})", f"{a['verify_ms']:.1f} ms", ""),
                ("password sign-ins per second per core", f"{a['per_core_per_s']:.0f}", ""),
                ("refresh grant: rate achieved", f"{r['rate']:.0f}/s", "100/s"),
                ("refresh grant p50 / p99", f"{r['p50_ms']:.1f} / {r['p99_ms']:.1f} ms", "p99 ≤ 20 ms"),
                (
                    "raw INSERT + commit at the same rate, same run: p50 / p99",
                    f"{r['raw_p50_ms']:.1f} / {r['raw_p99_ms']:.1f} ms",
                    "baseline",
                ),
                ("refresh p99 / raw commit p99", f"{r['p99_ms'] / r['raw_p99_ms']:.1f}×", ""),
                ("refresh failures / tokens rotated", f"{r['failures']} / {r['rotated']}", "0 / all"),
            ]
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
