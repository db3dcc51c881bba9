#!/usr/bin/env python
"""`make bench`, second part: does each page cost the same as the data grows? (issue 18)

For each data size (1×: the demo installation, 50 questions, 500 learners, ~125,000
events; 10×; 100×: 5,000 questions, 50,000 learners, ~12.5M events, a learner with
20,000 events, a team of 1,000 members — see bench/scale_data.py) a cached database is
built once (SQLite var/scale-{s}.sqlite3, or scale_{s} on the PostgreSQL server of
DATABASE_URL). Then, in a fresh process per size, with django.test.Client and DEBUG off
(bench/settings.py), every page is requested: the median server time over N requests
after a warm-up (the sizes measured in turn, --rounds times, each page's lowest median
kept), its SQL statements (transaction control not counted), raw and gzip
bytes, and its status. A fresh process at the largest size serves every page a few
times with the answer check's model loaded, as gunicorn's workers have it, for the peak
resident memory.

Budget: no page costs more than 2× at 100× what it costs at 1×, in server time and in
bytes; the worker's peak memory stays under 150 MB at 100×. Exports (the team CSV, my
data) grow with what they export: reported, not budgeted. Prints a markdown table,
writes bench/results/scale-{sqlite,postgresql}.md and exits 1 when a budget is missed
(--no-fail: report only).
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))

#: At most this many times the 1× figure at the largest size, in time and in bytes.
MAX_RATIO = 2.0
WORKER_MAX_MB = 150
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Page:
    key: str
    name: str
    path: str
    #: "heavy" (the learner with the long history), "instructor_50", "instructor_big".
    user: str
    #: An export grows with what it exports: reported, never budgeted.
    export: bool = False


def pages(ids: dict[str, Any]) -> list[Page]:
    big, small = ids["team_big"], ids["team_50"]
    return [
        Page("dashboard", "learner dashboard", "/", "heavy"),
        Page("topics", "topic list", "/topics/", "heavy"),
        Page("topic", "topic page (deployment)", "/topics/deployment/", "heavy"),
        Page("questions", "question list", "/questions/", "heavy"),
        Page("questions2", "question list, page 2", "/questions/?page=2", "heavy"),
        Page("search", "search “quantization”", "/questions/?q=quantization", "heavy"),
        Page("question", "question page", "/questions/cnn-10/", "heavy"),
        Page("notes", "notes list", "/notes/", "heavy"),
        Page("history", "history (heavy learner)", "/history/", "heavy"),
        Page("calibration", "calibration", "/calibration/", "heavy"),
        Page("study", "study home", "/study/", "heavy"),
        Page("card", "study session card", f"/study/{ids['study_session']}/", "heavy"),
        Page("bank", "bank page", "/bank/", "instructor_big"),
        Page("team_big", "team dashboard (big team)", f"/teams/{big}/dashboard/", "instructor_big"),
        Page("team_50", "team dashboard (50)", f"/teams/{small}/dashboard/", "instructor_50"),
        Page(
            "team_csv",
            "team CSV (big team)",
            f"/teams/{big}/dashboard.csv",
            "instructor_big",
            export=True,
        ),
        Page("hard", "hard questions (big team)", f"/teams/{big}/questions/", "instructor_big"),
        Page(
            "team_calibration",
            "team calibration (big team)",
            f"/teams/{big}/calibration/",
            "instructor_big",
        ),
        Page(
            "team_topic",
            "team topic page (big team)",
            f"/teams/{big}/topics/deployment/",
            "instructor_big",
        ),
        Page(
            "set_editor",
            "topic-set editor (big team)",
            f"/teams/{big}/sets/{ids['topic_set_big']}/",
            "instructor_big",
        ),
        Page(
            "assignment_editor",
            "assignment editor (big team)",
            f"/teams/{big}/assignments/{ids['assignment_big']}/edit/",
            "instructor_big",
        ),
        Page(
            "my_data",
            "my-data export (heavy learner)",
            "/accounts/profile/my-data.json",
            "heavy",
            export=True,
        ),
        Page(
            "anki_bank",
            "Anki package of the bank, with notes",
            "/anki/bank.apkg?notes=1",
            "heavy",
            export=True,
        ),
        # The API, with the session (docs/api.md): a page of 50 at every size.
        Page("api_questions", "API: questions, page 1", "/api/v1/questions", "heavy"),
        Page("api_marks", "API: my marks, page 1", "/api/v1/me/marks", "heavy"),
        Page(
            "api_progress",
            "API: big team's progress",
            f"/api/v1/teams/{big}/progress",
            "instructor_big",
        ),
    ]


# --- The environment of a size's process --------------------------------------------


def environment(scale: int, cache_dir: Path, server_url: str) -> dict[str, str]:
    from bench.scale_data import database_url

    env = os.environ.copy()
    env.pop("REDIS_URL", None)  # sessions in the database, no Redis: as docs/deploy.md
    env.update(
        DATABASE_URL=database_url(scale, str(cache_dir), server_url),
        DJANGO_DEBUG="0",
        DJANGO_HTTPS="0",
        DJANGO_SECRET_KEY=env.get("DJANGO_SECRET_KEY", "bench-secret-key-not-for-production-use"),
        DJANGO_ALLOWED_HOSTS=f"{HOST},localhost,testserver",
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_SESSION_ENGINE="django.contrib.sessions.backends.db",
        DJANGO_STATIC_ROOT=str(ROOT / "var" / "scale-static"),
        PYTHONPATH=str(ROOT),
    )
    return env


def run_child(
    scale: int, task: str, env: dict[str, str], extra: list[str] | None = None
) -> dict[str, Any]:
    """Run `task` for `scale` in a fresh process; its JSON answer."""
    with tempfile.NamedTemporaryFile(suffix=".json") as answer:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.scale",
                "--child",
                task,
                "--scale",
                str(scale),
                "--answer",
                answer.name,
                *(extra or []),
            ],
            cwd=ROOT,
            env=env,
            check=True,
        )
        result: dict[str, Any] = json.loads(Path(answer.name).read_text())
        return result


# --- In the child process ------------------------------------------------------------


def _setup() -> None:
    import logging

    import django

    django.setup()
    logging.disable(logging.INFO)  # the request log's line per request


def _clients(ids: dict[str, Any]) -> dict[str, Any]:
    from django.test import Client

    from accounts.models import User

    clients = {}
    for role in ("heavy", "instructor_50", "instructor_big"):
        client = Client(HTTP_HOST=HOST)
        client.force_login(User.objects.get(username=ids[role]))
        clients[role] = client
    return clients


def _content(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


_CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)", re.I)


def child_measure(scale: int, requests: int, only: set[str]) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.scale_data import _read_meta

    meta = _read_meta()
    assert meta is not None, "build the database first"
    clients = _clients(meta["ids"])
    gc.collect()
    gc.freeze()  # as gunicorn's workers do (gunicorn.conf.py post_worker_init)
    measured = {}
    for page in pages(meta["ids"]):
        if only and page.key not in only:
            continue
        client = clients[page.user]
        started = time.perf_counter()
        response = client.get(page.path)
        _content(response)
        first_ms = (time.perf_counter() - started) * 1000
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page.path)
            content = _content(response)
        statements = [q["sql"] for q in queries.captured_queries if not _CONTROL.match(q["sql"])]
        # Slow pages get fewer samples (at least 5): the whole run stays within minutes.
        times = max(5, min(requests, int(20_000 / max(first_ms, 1))))
        samples = []
        for _ in range(times):
            started = time.perf_counter()
            _content(client.get(page.path))
            samples.append((time.perf_counter() - started) * 1000)
        samples.sort()
        measured[page.key] = {
            "status": response.status_code,
            "queries": len(statements),
            "raw": len(content),
            "gzip": len(gzip.compress(content)),
            "ms": samples[len(samples) // 2],
            "samples": len(samples),
            "slowest_sql": _slowest(queries.captured_queries),
        }
        print(
            f"    {scale:>3}× {page.name:<34} {measured[page.key]['ms']:>9.1f} ms "
            f"{len(statements):>3} q {len(content) / 1024:>9.1f} KB  {response.status_code}",
            flush=True,
        )
    return {"meta": {k: meta[k] for k in ("counts", "built_at", "ids")}, "pages": measured}


def _slowest(captured: list[dict[str, str]]) -> dict[str, Any]:
    timed = [q for q in captured if not _CONTROL.match(q["sql"])]
    if not timed:
        return {}
    query = max(timed, key=lambda q: float(q["time"]))
    return {"ms": float(query["time"]) * 1000, "sql": query["sql"][:400]}


def child_explain(
    scale: int, only: set[str], slower_than_ms: float, compare: str = ""
) -> dict[str, Any]:
    """Every statement of each page that takes longer than `slower_than_ms`: its median
    time over three runs and its plan (EXPLAIN QUERY PLAN / EXPLAIN), for finding the
    indexes a page lacks. With `compare` (SQLite: the path of a copy of the database
    with other indexes), each statement also runs there, turn about with this one, seven
    times each (medians), and shows its plan there: a before/after of an index that
    the machine's other work slows down alike."""
    import sqlite3

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.scale_data import _read_meta

    meta = _read_meta()
    assert meta is not None
    clients = _clients(meta["ids"])
    explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    other = sqlite3.connect(compare) if compare else None
    found: dict[str, list[dict[str, Any]]] = {}
    for page in pages(meta["ids"]):
        if only and page.key not in only:
            continue
        client = clients[page.user]
        _content(client.get(page.path))
        with CaptureQueriesContext(connection) as queries:
            _content(client.get(page.path))
        slow: list[dict[str, Any]] = []
        for query in queries.captured_queries:
            sql = query["sql"]
            if _CONTROL.match(sql) or not sql.lstrip().upper().startswith("SELECT"):
                continue
            times = []
            with connection.cursor() as cursor:
                for _ in range(3):
                    started = time.perf_counter()
                    cursor.execute(sql)
                    cursor.fetchall()
                    times.append((time.perf_counter() - started) * 1000)
                if sorted(times)[1] < slower_than_ms:
                    continue
                cursor.execute(explain + sql)
                plan = [" ".join(str(c) for c in row) for row in cursor.fetchall()]
                item: dict[str, Any] = {"ms": sorted(times)[1], "sql": sql, "plan": plan}
                try:
                    if other is not None:
                        other.execute(explain + sql).fetchall()
                except sqlite3.Error:  # a function only Django's connection registers
                    other_ok = False
                else:
                    other_ok = other is not None
                if other is not None and other_ok:
                    here, there = [], []
                    for _ in range(7):
                        started = time.perf_counter()
                        cursor.execute(sql)
                        cursor.fetchall()
                        here.append((time.perf_counter() - started) * 1000)
                        started = time.perf_counter()
                        other.execute(sql).fetchall()
                        there.append((time.perf_counter() - started) * 1000)
                    item.update(
                        ms=sorted(here)[3],
                        compare_ms=sorted(there)[3],
                        compare_plan=[
                            " ".join(str(c) for c in row)
                            for row in other.execute(explain + sql).fetchall()
                        ],
                    )
            slow.append(item)
        found[page.key] = slow
        print(f"## {page.name} ({scale}×)\n", flush=True)
        for item in slow:
            print(f"{item['ms']:.1f} ms\n{item['sql']}\n", flush=True)
            print("\n".join(item["plan"]) + "\n", flush=True)
            if "compare_ms" in item:
                print(f"compared: {item['compare_ms']:.1f} ms there, {item['ms']:.1f} ms here")
                print("\n".join(item["compare_plan"]) + "\n", flush=True)
    return found


def _vm_hwm_mb() -> float:
    match = re.search(r"VmHWM:\s+(\d+) kB", Path("/proc/self/status").read_text())
    return int(match.group(1)) / 1024 if match else 0.0


def child_rss(scale: int, repeat: int) -> dict[str, Any]:
    """Peak resident memory of a process that has loaded the app and the answer check's
    model, as a gunicorn worker has them (gunicorn.conf.py: the model in the master,
    gc.freeze() in the worker), and then serves every page `repeat` times.

    The worker's peak is VmHWM counted from the end of loading (reset through
    /proc/self/clear_refs, as a freshly forked worker starts from its parent's resident
    pages, not from the peak the master reached while loading the model); ru_maxrss, the
    whole process's peak including the load, is reported beside it."""
    import resource

    from bench.scale_data import _read_meta
    from questions import semantic

    semantic.model()
    meta = _read_meta()
    assert meta is not None
    clients = _clients(meta["ids"])
    gc.collect()
    gc.freeze()
    loaded = _vm_hwm_mb()
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
        reset = True
    except OSError:
        reset = False
    after = {"start (app and model loaded)": _vm_hwm_mb()}
    for page in pages(meta["ids"]):
        for _ in range(repeat):
            _content(clients[page.user].get(page.path))
        after[page.name] = _vm_hwm_mb()
    return {
        "peak_mb": _vm_hwm_mb(),
        "peak_reset": reset,
        "loading_peak_mb": loaded,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "after": after,
    }


# --- The report -------------------------------------------------------------------------


def best_of(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One size's figures from several rounds of measuring it: each page's lowest median
    time (the round least slowed by other work on the machine), its queries and bytes as
    measured (the same in every round), and a failing status from any round."""
    best: dict[str, Any] = {"meta": rounds[0]["meta"], "pages": {}}
    for measured in rounds:
        for key, figures in measured["pages"].items():
            kept = best["pages"].setdefault(key, dict(figures))
            if figures["ms"] < kept["ms"]:
                kept.update(ms=figures["ms"], slowest_sql=figures["slowest_sql"])
            if figures["status"] != 200:
                kept["status"] = figures["status"]
    return best


def _cell(figures: dict[str, Any] | None) -> str:
    if not figures:
        return "—"
    status = "" if figures["status"] == 200 else f" **{figures['status']}**"
    return (
        f"{figures['ms']:,.0f} ms / {figures['queries']} q / "
        f"{figures['raw'] / 1024:,.1f} KB{status}"
    )


def report(
    results: dict[int, dict[str, Any]],
    rss: dict[str, Any] | None,
    database: str,
    scales: list[int],
    rounds: int = 1,
) -> tuple[str, bool]:
    low, high = scales[0], scales[-1]
    any_ids = results[low]["meta"]["ids"]
    lines = [
        f"# StudyHub at {', '.join(f'{s}×' for s in scales)} the data — "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        "",
        f"Database: {database}. In-process (django.test.Client, DEBUG off, sessions in the "
        f"database), {os.cpu_count()} cores shared with other work: server time is the median "
        "of up to 15 requests after a warm-up (fewer, at least 5, for pages slower than "
        "1.3 s)"
        + (
            f", the lowest of {rounds} such medians, the sizes measured in turn round after round"
            if rounds > 1
            else ""
        )
        + "; q: SQL statements of one request (BEGIN/COMMIT/SAVEPOINT not counted); "
        "KB: raw response bytes. Learner pages as the heavy learner; team pages as the "
        "team's instructor.",
        "",
        "Data:",
        "",
    ]
    for scale in scales:
        counts = results[scale]["meta"]["counts"]
        lines.append(
            f"- {scale}×: "
            + ", ".join(f"{k} {v:,}" for k, v in counts.items())
            + f" (built {results[scale]['meta']['built_at']})"
        )
    lines += [
        "",
        f"| page | {' | '.join(f'{s}× ms / q / KB' for s in scales)} | "
        f"{high}×/{low}× time | {high}×/{low}× bytes | budget (≤ {MAX_RATIO:g}×) |",
        "|---|" + "---|" * len(scales) + "---:|---:|---|",
    ]
    ok = True
    for page in pages(any_ids):
        cells = [results[s]["pages"].get(page.key) for s in scales]
        first, last = cells[0], cells[-1]
        if not first or not last:
            continue
        time_ratio = last["ms"] / max(first["ms"], 0.001)
        byte_ratio = last["raw"] / max(first["raw"], 1)
        statuses_ok = all(c and c["status"] == 200 for c in cells)
        if page.export:
            verdict = "export: not budgeted"
        else:
            met = time_ratio <= MAX_RATIO and byte_ratio <= MAX_RATIO and statuses_ok
            ok &= met
            missed = [
                name
                for name, bad in (
                    ("time", time_ratio > MAX_RATIO),
                    ("bytes", byte_ratio > MAX_RATIO),
                    ("status", not statuses_ok),
                )
                if bad
            ]
            verdict = "met" if met else f"**MISSED** ({', '.join(missed)})"
            if first["queries"] != last["queries"]:
                verdict += f"; queries {first['queries']} → {last['queries']}"
        lines.append(
            f"| {page.name} | {' | '.join(_cell(c) for c in cells)} | "
            f"{time_ratio:,.1f}× | {byte_ratio:,.1f}× | {verdict} |"
        )
    if rss is not None:
        met = rss["peak_mb"] < WORKER_MAX_MB
        ok &= met
        grew = sorted(
            (
                (b - a, name)
                for (_, a), (name, b) in zip(
                    list(rss["after"].items()), list(rss["after"].items())[1:], strict=False
                )
            ),
            reverse=True,
        )[:3]
        lines += [
            "",
            f"Worker peak memory at {rss['scale']}× (VmHWM of a fresh process that loaded the "
            "app and the answer check's model as a gunicorn worker has them, counted from "
            f"the end of loading, then served every page {rss['repeat']} times): "
            f"**{rss['peak_mb']:.0f} MB** — budget < {WORKER_MAX_MB} MB: "
            f"{'met' if met else '**MISSED**'}. Resident after loading: "
            f"{rss['after']['start (app and model loaded)']:.0f} MB (the load itself peaked at "
            f"{rss['loading_peak_mb']:.0f} MB, which gunicorn's master, not a worker, goes "
            f"through; ru_maxrss of the whole process {rss['maxrss_mb']:.0f} MB). The pages "
            "that raised the peak most: "
            + ", ".join(f"{name} (+{mb:.0f} MB)" for mb, name in grew if mb > 0)
            + ".",
        ]
    return "\n".join(lines) + "\n", ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,10,100", help="comma-separated sizes")
    parser.add_argument("--requests", type=int, default=15, help="requests per page (median)")
    parser.add_argument(
        "--rounds", type=int, default=2, help="rounds of every size in turn (lowest median)"
    )
    parser.add_argument("--only", default="", help="comma-separated page keys")
    parser.add_argument("--rebuild", action="store_true", help="build every database again")
    parser.add_argument("--build-only", action="store_true", help="build the databases, no more")
    parser.add_argument("--no-rss", action="store_true", help="skip the peak-memory process")
    parser.add_argument("--no-fail", action="store_true", help="report only: always exit 0")
    parser.add_argument("--cache-dir", type=Path, default=ROOT / "var", help="SQLite files")
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the raw figures")
    # Internal: the work of one size, in its own process.
    parser.add_argument(
        "--explain",
        type=float,
        default=None,
        metavar="MS",
        help="instead of the table: at the largest size, every statement of the pages "
        "(--only) slower than MS, with its plan",
    )
    parser.add_argument(
        "--compare-db",
        default="",
        metavar="PATH",
        help="with --explain on SQLite: also time each statement, turn about, on this copy "
        "of the database (say, without an index)",
    )
    parser.add_argument(
        "--child", choices=["build", "measure", "rss", "explain"], help=argparse.SUPPRESS
    )
    parser.add_argument("--scale", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--answer", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    only = {key for key in options.only.split(",") if key}

    if options.child:
        _setup()
        from bench.scale_data import ensure

        if options.child == "build":
            from django.core.management import call_command

            answer: dict[str, Any] = ensure(options.scale, rebuild=options.rebuild)
            call_command("collectstatic", verbosity=0, interactive=False)
        elif options.child == "explain":
            answer = child_explain(options.scale, only, options.explain or 0.0, options.compare_db)
        elif options.child == "measure":
            answer = child_measure(options.scale, options.requests, only)
        else:
            answer = child_rss(options.scale, repeat=3)
        options.answer.write_text(json.dumps(answer))
        return 0

    scales = sorted(int(s) for s in options.scales.split(","))
    server_url = os.environ.get("DATABASE_URL", "")
    postgres = bool(server_url) and not server_url.startswith("sqlite")
    database = "postgresql" if postgres else "sqlite"
    options.cache_dir.mkdir(parents=True, exist_ok=True)
    if options.explain is not None:
        top = scales[-1]
        env = environment(top, options.cache_dir.resolve(), server_url)
        run_child(top, "build", env)
        run_child(
            top,
            "explain",
            env,
            ["--only", options.only, "--explain", str(options.explain)]
            + ["--compare-db", options.compare_db],
        )
        return 0
    for scale in scales:
        env = environment(scale, options.cache_dir.resolve(), server_url)
        print(f"{scale}× ({database}):", flush=True)
        run_child(scale, "build", env, ["--rebuild"] if options.rebuild else [])
    if options.build_only:
        return 0
    # The sizes in turn, round after round: a spell of other work on the machine slows
    # one round of one size, not every figure of it.
    rounds: dict[int, list[dict[str, Any]]] = {scale: [] for scale in scales}
    for round_number in range(1, options.rounds + 1):
        for scale in scales:
            env = environment(scale, options.cache_dir.resolve(), server_url)
            print(f"{scale}× ({database}), round {round_number} of {options.rounds}:", flush=True)
            rounds[scale].append(
                run_child(
                    scale,
                    "measure",
                    env,
                    ["--requests", str(options.requests), "--only", options.only],
                )
            )
    results = {scale: best_of(measured) for scale, measured in rounds.items()}
    rss = None
    if not options.no_rss and not only:
        top = scales[-1]
        print(f"Peak memory at {top}× …", flush=True)
        rss = run_child(top, "rss", environment(top, options.cache_dir.resolve(), server_url))
        rss.update(scale=top, repeat=3)
    text, ok = report(results, rss, database, scales, options.rounds)
    print()
    print(text)
    output = options.output or (
        ROOT / "var" / "scale-partial.md" if only else RESULTS / f"scale-{database}.md"
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    if options.json:
        options.json.write_text(json.dumps({"results": results, "rss": rss}, indent=1))
    print(f"Written to {output}")
    return 0 if ok or options.no_fail else 1


if __name__ == "__main__":
    sys.exit(main())
