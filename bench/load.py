#!/usr/bin/env python
"""Capacity under a real mix (issue 18): how many signed-in people StudyHub serves at once.

1. Prepares the benchmark's database and starts gunicorn exactly as bench/run.py does (its
   functions: the same seeded data, settings, gunicorn.conf.py, DEBUG off, no page cache).
2. Runs locust (bench/locustfile.py) headless, as a separate process on the same machine:
   learners and instructors who sign in once and then work with 5–15 s of think time.
   The load rises in steps of concurrent users; each step is measured once every user
   has signed in and the load has settled. A step meets the goal with a p95 under 150 ms
   and no errors; the run stops after the first that does not (--keep-going: not).
3. The saturating mark: users that only mark, with no think time, then the same users
   posting the write floor (bench/views.py) exactly as the mark is posted; and, as
   bench/run.py measures them, both with wrk (8 connections).
4. Writes bench/results/load-<database>.md (and prints it).

    .venv/bin/python bench/load.py --steps 250,500,1000 --hold 60
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/load.py

The load generator shares the machine's cores with the server: the report gives the CPU
that locust, gunicorn and everything else took during each step.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402  (the path above first: run as a script)

LOCUSTFILE = ROOT / "bench" / "locustfile.py"
MARK_NAME = "POST /questions/[key]/confidence/"
FLOOR_NAME = "POST /bench/write-floor/[key]/"
SEARCH_WORDS = [
    "transfer learning",
    "object detection",
    "augmentation",
    "attention",
    "quantization",
    "tracking",
    "segmentation",
    "embeddings",
    "ocr",
    "robustness",
    "imbalance",
    "deployment",
]


def load_data() -> dict[str, Any]:
    """The accounts (bench/seed.py's) and the bank, for the locustfile."""
    from bench.seed import LEARNERS, PASSWORD, TEAMS, instructor_name, learner_name
    from questions.models import Question, Topic

    return {
        "password": PASSWORD,
        "learners": [learner_name(n) for n in range(LEARNERS)],
        "instructors": [instructor_name(n) for n in range(TEAMS + 1)],
        "topics": list(
            Topic.objects.filter(bank=None).order_by("position").values_list("slug", flat=True)
        ),
        "questions": list(
            Question.objects.filter(bank=None, retired_at=None)
            .order_by("position")
            .values_list("key", flat=True)
        ),
        "search": SEARCH_WORDS,
    }


def run_locust(
    users: list[str], plan: dict[str, Any], data_file: Path, env: dict[str, str], tag: str
) -> tuple[list[dict], float, float]:
    """Runs locust with the plan; returns the steps' figures, its wall and CPU seconds."""
    folder = ROOT / "var"
    results = folder / f"load-{tag}.jsonl"
    results.unlink(missing_ok=True)
    plan_file = folder / f"load-{tag}-plan.json"
    plan_file.write_text(json.dumps({**plan, "results": str(results)}))
    locust = Path(sys.executable).with_name("locust")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    with (folder / f"load-{tag}.out").open("w") as out:
        subprocess.run(
            [
                str(locust),
                "-f",
                str(LOCUSTFILE),
                "--headless",
                "--host",
                run.BASE,
                "--csv",
                str(folder / f"load-{tag}"),
                "--only-summary",
                "--loglevel",
                "WARNING",
                "--logfile",
                str(folder / f"load-{tag}.log"),
                *users,
            ],
            cwd=ROOT,
            env={**env, "LOAD_DATA": str(data_file), "LOAD_PLAN": str(plan_file)},
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
        )
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = results.read_text().splitlines() if results.exists() else []
    steps = [json.loads(line) for line in lines]
    return steps, wall, cpu


def wrk_write(ids: dict, seconds: int) -> dict[str, run.Result]:
    """The mark and the write floor as bench/run.py measures them (wrk, 8 connections,
    posts spread over its 50 learners, the bank and five levels), after a warm-up."""
    cookies = run.sessions()
    csrf = "b" * 32
    measured = {}
    for endpoint in run.endpoints(ids):
        if endpoint.key in ("mark", "writefloor"):
            run.run_wrk(endpoint, cookies, csrf, 2, 8, run.Result(endpoint))
            result = run.Result(endpoint)
            run.run_wrk(endpoint, cookies, csrf, seconds, 8, result)
            measured[endpoint.key] = result
            time.sleep(2)  # what is still queued in the server finishes
    return measured


# --- Report ----------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def report(
    steps: list[dict],
    saturating: dict[str, dict],
    wrk: dict[str, run.Result],
    meta: dict[str, Any],
    p95_goal: float,
) -> str:
    lines = [
        f"# StudyHub under a real mix — {meta['database']}, {meta['when']}",
        "",
        f"bench/load.py: gunicorn as in production ({meta['gunicorn']}, DEBUG off, no page "
        f"cache, sessions: "
        f"{meta['sessions']}), {meta['cores']} cores shared with the load generator (locust "
        f"{meta['locust']}, one process) and with whatever else runs on the machine. "
        f"Data: bench/seed.py's (500 learners, 11 teams). People sign in once and then "
        "work with 5–15 s of think time: learners (19 in 20) browse topics, open questions, "
        "mark, autosave notes, search and study; instructors (1 in 20) open their team "
        f"dashboard and download its CSV. Each step is measured for {meta['hold']} s once "
        f"every user has signed in (spawn rate {meta['spawn_rate']}/s) and {meta['settle']} s "
        "of settling. Goal per step: p95 under "
        f"{p95_goal:.0f} ms and no errors.",
        "",
        "| users | req/s | p50 ms | p95 ms | p99 ms | failures | mark p50 / p95 / p99 ms "
        "| CPU cores: gunicorn, locust, other | goal |",
        "|---:|---:|---:|---:|---:|---:|---|---|---|",
    ]
    for step in steps:
        total, mark = step["total"], step["routes"].get(MARK_NAME)
        cores = step["cores"]
        other = max(0.0, cores["machine"] - cores["gunicorn"] - cores["locust"])
        mark_text = f"{_ms(mark['p50'])} / {_ms(mark['p95'])} / {_ms(mark['p99'])}" if mark else "–"
        lines.append(
            f"| {step['users']:,} | {total['rps']:.1f} | {_ms(total['p50'])} | "
            f"{_ms(total['p95'])} | {_ms(total['p99'])} | {total['failures']} | {mark_text} | "
            f"{cores['gunicorn']:.2f}, {cores['locust']:.2f}, {other:.2f} | "
            f"{'met' if step['met'] else '**missed**'} |"
        )
    met = [step["users"] for step in steps if step["met"]]
    lines += [
        "",
        *(
            [
                "Locust warned that its own CPU use passed 90% (its timings may then be "
                "late): see var/load-*.log.",
                "",
            ]
            if meta.get("locust_cpu_warning")
            else []
        ),
        f"**Largest step meeting the goal: {max(met):,} concurrent users.**"
        if met
        else "**No step met the goal.**",
        "",
        f"Locust took {meta['locust_cpu']:.0f} CPU s in {meta['locust_wall']:.0f} s "
        f"({meta['locust_cpu'] / max(meta['locust_wall'], 1):.2f} cores on average, log-ins "
        'included); "other" is the machine\'s busy time that neither locust nor gunicorn '
        "took (other programs).",
        "",
    ]
    if steps:
        last = steps[-1]
        lines += [
            f"### Per route at {last['users']:,} users",
            "",
            "| request | req/s | p50 ms | p95 ms | p99 ms | failures |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name, route in sorted(last["routes"].items()):
            if not route["requests"]:  # the log-ins, all made before the step was measured
                continue
            lines.append(
                f"| {name} | {route['rps']:.1f} | {_ms(route['p50'])} | {_ms(route['p95'])} | "
                f"{_ms(route['p99'])} | {route['failures']} |"
            )
        errors = [error for step in steps for error in step["errors"]]
        if errors:
            lines += ["", "Errors:", ""]
            lines += [f"- {e['name']}: {e['error']} ({e['count']}×)" for e in errors[:20]]
        lines.append("")
    if saturating:
        lines += [
            "## The mark under a saturating load",
            "",
            f"{meta['mark_users']} signed-in learners post only the mark, with no think time, "
            f"for {meta['mark_seconds']} s (locust); then the same number post the write "
            "floor (bench/views.py: the session's user, the event and the upserted mark in "
            "raw SQL, a fixed fragment), posted exactly as the mark is. Below, both as "
            "bench/run.py measures them: wrk, 8 connections, posts spread over 50 learners, "
            "the bank and the five levels.",
            "",
            "| measured by | endpoint | req/s | p50 ms | p95 ms | p99 ms | failures |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for label, figures in saturating.items():
            lines.append(
                f"| locust | {label} | {figures['rps']:.1f} | {_ms(figures['p50'])} | "
                f"{_ms(figures['p95'])} | {_ms(figures['p99'])} | {figures['failures']} |"
            )
        for result in wrk.values():
            lines.append(
                f"| wrk | {result.endpoint.name} | {result.rps:.1f} | {result.p50_ms:.0f} | – | "
                f"{result.p99_ms:.0f} | {result.errors} |"
            )
        lines.append("")
        mark, floor = saturating.get("mark"), saturating.get("write floor")
        if mark and floor and floor["rps"]:
            ratio = mark["rps"] / floor["rps"]
            lines.append(
                f"- Mark p99 (locust, saturating): {_ms(mark['p99'])} ms: "
                f"{'met' if mark['p99'] is not None and mark['p99'] < 100 else '**missed**'} "
                "(goal under 100 ms)."
            )
            lines.append(
                f"- Mark throughput ÷ write floor (locust): {ratio:.2f}×: "
                f"{'met' if ratio >= 0.8 else '**missed**'} (goal at least 0.8×)."
            )
        if "mark" in wrk and "writefloor" in wrk and wrk["writefloor"].rps:
            ratio = wrk["mark"].rps / wrk["writefloor"].rps
            lines.append(f"- Mark throughput ÷ write floor (wrk, as bench/run.py): {ratio:.2f}×.")
        lines.append("")
    return "\n".join(lines) + "\n"


def summary(
    steps: list[dict], saturating: dict[str, dict], wrk: dict[str, run.Result], engine: str
) -> str:
    """The few lines for bench/results/latest.md (or docs/performance.md)."""
    met = [step["users"] for step in steps if step["met"]]
    missed = next((step for step in steps if not step["met"]), None)
    text = (
        f"Capacity under a real mix ({engine}, bench/load.py): "
        + (f"{max(met):,} concurrent signed-in people" if met else "no step")
        + " served with p95 < 150 ms and no errors"
    )
    if missed:
        total = missed["total"]
        text += (
            f"; at {missed['users']:,}: p95 {_ms(total['p95'])} ms, {total['failures']} failures"
        )
    text += " (goal: 2,000)."
    mark, floor = saturating.get("mark"), saturating.get("write floor")
    if mark and floor and floor["rps"]:
        text += (
            f" Saturating mark: p99 {_ms(mark['p99'])} ms (goal < 100), "
            f"{mark['rps']:.0f} req/s = {mark['rps'] / floor['rps']:.2f}× the write floor's "
            f"{floor['rps']:.0f} (goal ≥ 0.8×)"
        )
        if "mark" in wrk and "writefloor" in wrk and wrk["writefloor"].rps:
            text += f"; by wrk {wrk['mark'].rps / wrk['writefloor'].rps:.2f}×"
        text += "."
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--steps", default="250,500,1000,1500,2000,3000", help="concurrent users per step"
    )
    parser.add_argument(
        "--goal-users",
        type=int,
        default=2000,
        help="the concurrent people a step must serve (exit 1 if no step that large met it)",
    )
    parser.add_argument("--hold", type=int, default=60, help="seconds measured per step")
    parser.add_argument(
        "--settle", type=int, default=15, help="seconds after every user signed in, unmeasured"
    )
    parser.add_argument(
        "--spawn-rate",
        type=float,
        default=3.0,
        help="users started per second: each signs in, a password hash of about 0.25 s of "
        "CPU here, so 3/s takes about ¾ of a core on top of the load already running",
    )
    parser.add_argument("--p95", type=float, default=150.0, help="the goal's p95, ms")
    parser.add_argument(
        "--keep-going", action="store_true", help="run every step, even after one missed"
    )
    parser.add_argument(
        "--mark-users", type=int, default=50, help="users of the saturating mark (0: skip it)"
    )
    parser.add_argument("--mark-seconds", type=int, default=30)
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument(
        "--port",
        type=int,
        default=8766,
        help="gunicorn's port (bench/run.py's is 8765: both can run at once)",
    )
    options = parser.parse_args()
    run.PORT = options.port
    run.BASE = f"http://{run.HOST}:{run.PORT}"

    database_url = run.bench_database_url()
    env = run.bench_environment(database_url)
    engine = "sqlite" if urlsplit(database_url).scheme == "sqlite" else "postgresql"
    output = options.output or run.RESULTS / f"load-{engine}.md"
    print(f"Preparing the benchmark database ({engine}) …", flush=True)
    ids = run.prepare(env)
    from django.conf import settings

    gunicorn_config: dict = {}
    exec((ROOT / "gunicorn.conf.py").read_text(), gunicorn_config)
    log = ROOT / "var" / "load-gunicorn.log"
    print(f"Starting gunicorn on {run.BASE} (log: {log}) …", flush=True)
    server = run.start_server(env, log)
    plan_base = {"server_pid": server.pid, "p95": options.p95}
    saturating: dict[str, dict] = {}
    wrk: dict[str, run.Result] = {}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(load_data(), file)
        data_file = Path(file.name)
    try:
        steps_plan = [int(n) for n in options.steps.split(",") if n]
        print(f"Steps {steps_plan}: {options.hold} s each …", flush=True)
        steps, wall, cpu = run_locust(
            ["LearnerUser", "InstructorUser"],
            {
                **plan_base,
                "steps": steps_plan,
                "spawn_rate": options.spawn_rate,
                "settle": options.settle,
                "hold": options.hold,
                "stop_on_miss": not options.keep_going,
            },
            data_file,
            env,
            f"{engine}-mix",
        )
        for step in steps:
            total = step["total"]
            print(
                f"  {step['users']:>5} users  {total['rps']:7.1f} req/s  p50 {total['p50']} "
                f"p95 {total['p95']} p99 {total['p99']} ms  {total['failures']} failures  "
                f"cores {step['cores']}",
                flush=True,
            )
        if options.mark_users:
            for label, user, name in (
                ("mark", "MarkUser", MARK_NAME),
                ("write floor", "WriteFloorUser", FLOOR_NAME),
            ):
                print(f"Saturating: {label}, {options.mark_users} users …", flush=True)
                figures, _, _ = run_locust(
                    [user],
                    {
                        **plan_base,
                        "steps": [options.mark_users],
                        "spawn_rate": 10,
                        "settle": 5,
                        "hold": options.mark_seconds,
                        "p95": 1e9,
                    },
                    data_file,
                    env,
                    f"{engine}-{user}",
                )
                if figures:
                    saturating[label] = figures[0]["routes"].get(name) or figures[0]["total"]
                    print(f"  {saturating[label]}", flush=True)
                time.sleep(2)
            if shutil.which("wrk"):
                print("wrk: the mark and the write floor as bench/run.py does …", flush=True)
                wrk = wrk_write(ids, 10)
            else:
                print("wrk is not installed: the mark and write floor by wrk are left out")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        data_file.unlink(missing_ok=True)

    version = subprocess.run(
        [str(Path(sys.executable).with_name("locust")), "--version"],
        capture_output=True,
        text=True,
    ).stdout.split()
    meta = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        "sessions": settings.SESSION_ENGINE.rsplit(".", 1)[-1],
        "cores": os.cpu_count(),
        "workers": gunicorn_config.get("workers"),
        "threads": gunicorn_config.get("threads"),
        "gunicorn": run.gunicorn_size(gunicorn_config),
        "locust": version[1] if len(version) > 1 else "?",
        "hold": options.hold,
        "settle": options.settle,
        "spawn_rate": options.spawn_rate,
        "locust_cpu": cpu,
        "locust_wall": wall,
        "mark_users": options.mark_users,
        "mark_seconds": options.mark_seconds,
        "locust_cpu_warning": any(
            "CPU usage" in log.read_text(errors="replace")
            for log in (ROOT / "var").glob(f"load-{engine}-*.log")
        ),
    }
    text = report(steps, saturating, wrk, meta, options.p95)
    text += "## For latest.md\n\n" + summary(steps, saturating, wrk, engine) + "\n"
    print()
    print(text)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    print(f"Written to {output}")
    if options.output is None:
        latest = run.RESULTS / "latest.md"
        previous = latest.read_text() if latest.exists() else "# StudyHub benchmark\n"
        body = (
            "## Capacity under a real mix: "
            + engine
            + "\n\n"
            + summary(steps, saturating, wrk, engine)
            + f"\nThe whole report: bench/results/{output.name}.\n"
        )
        latest.write_text(run.with_section(previous, engine, body))
        print(f"Capacity written to {latest}")
    served = max((step["users"] for step in steps if step["met"]), default=0)
    if served < options.goal_users:
        print(
            f"Goal MISSED: {served:,} concurrent people served, the goal is {options.goal_users:,}"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
