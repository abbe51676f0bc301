"""The intake benchmark's machinery: the gunicorn it measures, the load generator and CPU accounting.

The load generator is `wrk` (C, one event-loop thread, so it leaves the two cores to the server) driven by a
generated Lua script: every request is a fresh rating with its own transaction number, sent as the
`X-Request-ID` header too, which the server echoes back (config.observability), so each response is matched
to its request and its latency measured per rating. After the measured seconds the script stops sending
ratings and sends only `GET /healthz` (answered before any tenant code) for a short grace period: every
rating sent gets its answer before wrk exits, and "stored rows == 201 responses" can be checked exactly.
Without wrk (and no way to install it) a thread-per-client Python generator stands in, and says so.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import resource
import shutil
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from devstack.services import stop_process_group

from bench.core import log, percentile

GRACE_S = 2  # after the measured seconds: no new ratings, those in flight are answered; then wrk idles
START_TIMEOUT_S = 60
TICKS = os.sysconf("SC_CLK_TCK")


# --- the server ------------------------------------------------------------------------------------------


@contextlib.contextmanager
def gunicorn(
    env: dict[str, str], *, settings: str, log_path: Path, overrides: dict[str, str] | None = None
) -> Iterator[subprocess.Popen]:
    """gunicorn with infra/gunicorn.conf.py (workers and threads as configured there) on 127.0.0.1.

    `overrides` (e.g. WEB_THREADS) are for experiments only: the benchmark measures the configuration as shipped.
    """
    from devstack.services import running_gunicorn

    server_env = {
        **env,
        "DJANGO_SETTINGS_MODULE": settings,
        "ACCESS_LOG": "0",
        "LOG_LEVEL": "ERROR",  # a refused rating must not cost a log line more than in production… or less
    }
    server_env.pop("WEB_CONCURRENCY", None)
    server_env.pop("WEB_THREADS", None)
    server_env.update(overrides or {})
    with running_gunicorn(server_env, log_path=log_path, timeout=START_TIMEOUT_S) as (process, port):
        process.port = port  # type: ignore[attr-defined]
        yield process


def gunicorn_workers(master_pid: int) -> int:
    return len(_children(master_pid))


# --- CPU accounting ---------------------------------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()  # fields from the 3rd on (state, ppid, …)


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields is not None and int(fields[1]) == pid:
                found.append(int(entry))
    return found


def tree_cpu_seconds(root_pid: int) -> float:
    """CPU of a process, its reaped children (cutime/cstime) and its live children, in seconds.

    The difference of two readings is exact even when children exit in between (gunicorn recycles its
    workers after max_requests; PostgreSQL backends come and go): what a dead child used before the first
    reading was counted then as a live child's, and is part of its reaped total now.
    """
    fields = _stat(root_pid)
    if fields is None:
        return 0.0
    # utime, stime, cutime, cstime are fields 14–17 of /proc/PID/stat: 11–14 here.
    total = sum(int(v) for v in fields[11:15])
    for child in _children(root_pid):
        child_fields = _stat(child)
        if child_fields is not None:
            total += int(child_fields[11]) + int(child_fields[12])
    return total / TICKS


def find_pid(comm: str, needle: str) -> int | None:
    """The process named `comm` whose command line contains `needle` (e.g. our Redis's port)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if Path(f"/proc/{entry}/comm").read_text().strip() != comm:
                continue
            if needle in Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode():
                return int(entry)
        except OSError:
            continue
    return None


class CpuMeter:
    """CPU seconds used by each named process tree (plus finished children of this process: the client)."""

    def __init__(self, trees: dict[str, int | None]) -> None:
        self.trees = {name: pid for name, pid in trees.items() if pid}

    def read(self) -> dict[str, float]:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        values = {name: tree_cpu_seconds(pid) for name, pid in self.trees.items()}
        values["client"] = usage.ru_utime + usage.ru_stime
        values["wall"] = time.monotonic()
        return values

    @staticmethod
    def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        return {name: round(after[name] - before[name], 2) for name in before}


# --- single ratings under load ----------------------------------------------------------------------------


@dataclass
class Client:
    """One principal sending ratings: its key and the inline transaction fields it sends."""

    key: str
    channel: str
    unit_code: str
    window_code: str = ""


@dataclass
class LoadSpec:
    host: str  # Host header: <slug>.localhost
    path: str  # /api/v1/evaluations or /bench/insert
    prefix: str  # transaction numbers: <prefix>-<thread>-<sequence>
    seconds: float
    connections: int
    clients: list[Client]
    items: list[str]
    tags: list[str]
    comments: list[str]


@dataclass
class LoadResult:
    tool: str
    seconds: float
    statuses: Counter = field(default_factory=Counter)  # of rating requests, by HTTP status
    latencies_ms: list[float] = field(default_factory=list)  # of every answered rating request
    created: list[str] = field(default_factory=list)  # transaction numbers answered 201
    created_in_window: int = 0  # 201s received within the measured seconds
    socket_errors: dict[str, int] = field(default_factory=dict)
    unanswered: int = 0  # ratings sent that got no answer before wrk stopped
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds per process tree during the run

    @property
    def rate(self) -> float:
        return self.created_in_window / self.seconds

    @property
    def non_2xx(self) -> int:
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)

    def p(self, q: float) -> float:
        return percentile(self.latencies_ms, q)


def _lua(value) -> str:
    """A Lua literal for plain data (str, int, float, bool, list, dict)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # \" \\ \n … are Lua escapes too
    if isinstance(value, list):
        return "{" + ", ".join(_lua(v) for v in value) + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


LUA_TEMPLATE = r"""
-- Generated by bench/intake_load.py: one fresh rating per request, matched to its answer by X-Request-ID.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } hcp_timespec;
int clock_gettime(int clk_id, hcp_timespec *tp);
]]
local ts = ffi.new("hcp_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

local CFG = __CONFIG__

local threads = {}
local next_tid = 0
function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(7919 + tid * 104729)
  seq = 0
  fillers = 0
  pending = 0
  -- wrk calls request() once on thread 0 before the run to check the script's output; that one is a filler
  skip_first = (tid == 0)
  started = now_us()
  stop_at = started + CFG.seconds * 1000000
  sent_at = {}
  lines = {}
  uncorrelated = {}
  filler = wrk.format("GET", "/healthz", { Host = CFG.host })
end

local function body_for(number, c)
  local r = math.random(100)
  local level = 1
  if r > 97 then level = 5 elseif r > 92 then level = 4 elseif r > 87 then level = 3 elseif r > 60 then level = 2 end
  local parts = { '{"transaction":"', number, '","level":', level, ',"channel":"', c.channel,
                  '","item_code":"', CFG.items[math.random(#CFG.items)], '","unit_code":"', c.unit_code, '"' }
  if c.window_code ~= "" then
    parts[#parts + 1] = ',"window_code":"' .. c.window_code .. '"'
  end
  if level >= 4 then
    local first = math.random(#CFG.tags)
    local tags = '"' .. CFG.tags[first] .. '"'
    if math.random(2) == 1 then
      tags = tags .. ',"' .. CFG.tags[first % #CFG.tags + 1] .. '"'
    end
    parts[#parts + 1] = ',"reason_tags":[' .. tags .. ']'
    parts[#parts + 1] = ',"comment":"' .. CFG.comments[math.random(#CFG.comments)] .. '"'
  end
  parts[#parts + 1] = '}'
  return table.concat(parts)
end

function request()
  local t = now_us()
  if skip_first or t >= stop_at then
    skip_first = false
    fillers = fillers + 1
    if t >= stop_at and pending == 0 then wrk.thread:stop() end
    return filler
  end
  seq = seq + 1
  pending = pending + 1
  local number = CFG.prefix .. "-" .. tid .. "-" .. seq
  local c = CFG.clients[(seq + tid * 13) % #CFG.clients + 1]
  sent_at[number] = t
  return wrk.format("POST", CFG.path, {
    Host = CFG.host,
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Api-Key " .. c.key,
    ["X-Request-ID"] = number,
  }, body_for(number, c))
end

function response(status, headers, body)
  local t = now_us()
  local id = headers["X-Request-ID"] or headers["x-request-id"]
  local sent = id and sent_at[id]
  if sent == nil then
    if status ~= 200 then  -- a rating refused before the middleware that echoes the id (200: /healthz)
      uncorrelated[#uncorrelated + 1] = status
      pending = pending - 1
    end
  else
    sent_at[id] = nil
    pending = pending - 1
    local in_window = 0
    if t <= stop_at then in_window = 1 end
    lines[#lines + 1] = string.format("R %s %d %.0f %d", id, status, t - sent, in_window)
  end
  -- every rating answered after the measured seconds: stop this thread (wrk itself runs out its -d)
  if t >= stop_at and pending <= 0 then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local f = assert(io.open(CFG.out, "w"))
  for _, thread in ipairs(threads) do
    for _, line in ipairs(thread:get("lines")) do f:write(line, "\n") end
    for _, status in ipairs(thread:get("uncorrelated")) do f:write("U ", status, "\n") end
    f:write(string.format("T %d %d %d\n", thread:get("tid"), thread:get("seq"), thread:get("pending")))
  end
  local e = summary.errors
  f:write(string.format("E %d %d %d %d %d\n", e.connect, e.read, e.write, e.status, e.timeout))
  f:close()
end
"""


def ensure_wrk() -> str | None:
    """wrk's path; installed with apt-get when missing and we are root (Debian package `wrk`)."""
    found = shutil.which("wrk")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    log("wrk is missing: apt-get install -y wrk …")
    with contextlib.suppress(subprocess.SubprocessError, OSError):
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "wrk"],
            capture_output=True,
            timeout=180,
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    return shutil.which("wrk")


def run_load(spec: LoadSpec, *, port: int, workdir: Path, meter: CpuMeter | None = None) -> LoadResult:
    wrk = ensure_wrk()
    before = meter.read() if meter else None
    result = _run_wrk(wrk, spec, port=port, workdir=workdir) if wrk else _run_python(spec, port=port)
    if meter and before:
        result.cpu = CpuMeter.spent(before, meter.read())
    return result


def _run_wrk(wrk: str, spec: LoadSpec, *, port: int, workdir: Path) -> LoadResult:
    out = workdir / f"wrk-{spec.prefix}.txt"
    config = {
        "host": spec.host,
        "path": spec.path,
        "prefix": spec.prefix,
        "seconds": spec.seconds,
        "out": str(out),
        "clients": [
            {"key": c.key, "channel": c.channel, "unit_code": c.unit_code, "window_code": c.window_code}
            for c in spec.clients
        ],
        "items": spec.items,
        "tags": spec.tags,
        "comments": spec.comments,
    }
    script = workdir / f"wrk-{spec.prefix}.lua"
    script.write_text(LUA_TEMPLATE.replace("__CONFIG__", _lua(config)))
    command = [
        wrk,
        "-t1",  # one event loop copes with thousands of requests a second; the cores are the server's
        f"-c{spec.connections}",
        f"-d{int(spec.seconds + GRACE_S)}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}{spec.path}",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, text=True
    )
    try:
        output, _ = process.communicate(timeout=spec.seconds + GRACE_S + 60)
    finally:
        stop_process_group(process, grace=5)
    if process.returncode != 0 or not out.exists():
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{output[-2000:]}")
    return _parse_wrk(out.read_text(), spec.seconds)


def _parse_wrk(text: str, seconds: float) -> LoadResult:
    result = LoadResult(tool="wrk", seconds=seconds)
    for line in text.splitlines():
        kind, *values = line.split()
        if kind == "R":
            number, status, latency_us, in_window = values
            result.statuses[int(status)] += 1
            result.latencies_ms.append(int(latency_us) / 1000)
            if status == "201":
                result.created.append(number)
                result.created_in_window += int(in_window)
        elif kind == "U":
            result.statuses[int(values[0])] += 1
        elif kind == "T":
            result.unanswered += max(0, int(values[2]))
        elif kind == "E":
            names = ("connect", "read", "write", "status", "timeout")
            result.socket_errors = {
                n: int(v) for n, v in zip(names, values, strict=True) if n != "status" and int(v)
            }
    return result


def _run_python(spec: LoadSpec, *, port: int) -> LoadResult:
    """Fallback without wrk: one thread per connection, keep-alive, same requests and bookkeeping."""
    import random

    result = LoadResult(tool="python threads (no wrk)", seconds=spec.seconds)
    lock = threading.Lock()
    start = time.monotonic()
    stop_at = start + spec.seconds

    def client(tid: int) -> None:
        rng = random.Random(tid)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        seq = 0
        try:
            while time.monotonic() < stop_at:
                seq += 1
                number = f"{spec.prefix}-{tid}-{seq}"
                c = spec.clients[(seq + tid * 13) % len(spec.clients)]
                body = {
                    "transaction": number,
                    "level": rng.choices([1, 2, 3, 4, 5], [60, 27, 5, 5, 3])[0],
                    "channel": c.channel,
                    "item_code": rng.choice(spec.items),
                    "unit_code": c.unit_code,
                }
                if c.window_code:
                    body["window_code"] = c.window_code
                if body["level"] >= 4:
                    body["reason_tags"] = [rng.choice(spec.tags)]
                    body["comment"] = rng.choice(spec.comments)
                sent = time.monotonic()
                try:
                    connection.request(
                        "POST",
                        spec.path,
                        body=json.dumps(body, ensure_ascii=False).encode(),
                        headers={
                            "Host": spec.host,
                            "Content-Type": "application/json",
                            "Authorization": f"Api-Key {c.key}",
                            "X-Request-ID": number,
                        },
                    )
                    response = connection.getresponse()
                    response.read()
                    status = response.status
                except OSError:
                    connection.close()
                    status = 0
                received = time.monotonic()
                with lock:
                    result.statuses[status] += 1
                    result.latencies_ms.append((received - sent) * 1000)
                    if status == 201:
                        result.created.append(number)
                        result.created_in_window += received <= stop_at
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(spec.connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return result


# --- bulk ---------------------------------------------------------------------------------------------------


@dataclass
class BulkResult:
    seconds: float
    requests: int
    created: int
    statuses: Counter
    request_seconds: list[float]
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.created / self.seconds


def run_bulk(
    bodies: list[list[bytes]], *, keys: list[str], host: str, port: int, meter: CpuMeter | None = None
) -> BulkResult:
    """Each client (a thread) posts its pre-serialised bodies one after the other; the clock runs from the
    first request to the last answer. Responses are parsed only after the clock stops."""
    answers: list[list[tuple[int, bytes, float]]] = [[] for _ in bodies]
    barrier = threading.Barrier(len(bodies) + 1)

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        headers = {
            "Host": host,
            "Content-Type": "application/json",
            "Authorization": f"Api-Key {keys[index]}",
        }
        barrier.wait()
        try:
            for body in bodies[index]:
                sent = time.perf_counter()
                connection.request("POST", "/api/v1/evaluations/bulk", body=body, headers=headers)
                response = connection.getresponse()
                answers[index].append((response.status, response.read(), time.perf_counter() - sent))
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    before = meter.read() if meter else None
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    cpu = CpuMeter.spent(before, meter.read()) if meter and before else {}
    statuses: Counter = Counter()
    created = 0
    for per_client in answers:
        for status, raw, _s in per_client:
            statuses[status] += 1
            if status == 200:
                created += json.loads(raw)["created"]
    return BulkResult(
        seconds=seconds,
        requests=sum(len(a) for a in answers),
        created=created,
        statuses=statuses,
        request_seconds=[s for a in answers for _st, _r, s in a],
        cpu=cpu,
    )
