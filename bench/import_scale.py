"""Does an import cost the same whatever the bank already holds? (issue 18)

    .venv/bin/python -m bench.import_scale                        # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m bench.import_scale                    # PostgreSQL

In a throw-away database (a file for SQLite; `imp_scale_<pid>` on the PostgreSQL server
of DATABASE_URL) with the seed bank and a team whose instructor imports, six CSV files
of 1,000 generated questions are imported one after another into the team's bank, so
the sixth meets a bank of 5,050. Each file is imported one of two ways (`--via`):

- `service`: `plan_import` (the comparison with the bank, what the preview shows), then
  `write_plan` in one transaction, as `run_import` and `manage.py import_questions` do;
- `pages`: as an instructor does with the test client: upload (which plans once to
  check the file), preview (plans again), confirm (plans again, then writes).

For each file it prints the seconds and queries of each step, and the near-duplicate
search's work: work units, character comparisons, duplicates and repeats found. The
generated questions are distinct CV/CNN interview questions built from six slots of
varied vocabulary; from the second file on, each file also holds ten rewordings of
questions already in the bank (which must be found as likely duplicates) and five
questions already there word for word.

`--search-scale` then measures the near-duplicate search alone against banks of 1,000,
2,000, 5,000 and 10,000 questions (bulk-created): the time to index the bank, and per
question of a 1,000-question file the time, work units and comparisons.

`--profile N` writes a cProfile of the Nth import's plan and write to
`bench/results/import-scale-N.prof` and prints its top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import statistics
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from bench import throwaway  # noqa: E402 — sets Django up; must come first

# isort: split
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
)
from django.urls import reverse  # noqa: E402

from accounts.models import User  # noqa: E402
from questions.importing import parse_import, plan_import, write_plan  # noqa: E402
from questions.importing.document import normalise_for_match  # noqa: E402
from questions.importing.duplicates import BankQuestions, Work  # noqa: E402
from questions.importing.planning import DUPLICATE, IN_BANK, REPEAT  # noqa: E402
from questions.models import Bank, ImportRecord, Question  # noqa: E402
from teams.models import Membership, Team  # noqa: E402

FILES = 6
PER_FILE = 1_000
REWORDED = 10  # per file from the second: near-duplicates of bank questions
REPEATED = 5  # per file from the second: bank questions word for word

OPENINGS = [
    "How does {tech} change {prop} in {arch} for {task} {ctx}, {tail}?",
    "Why would you add {tech} to {arch} when working on {task} {ctx}, {tail}?",
    "When does {tech} hurt {prop} of {arch} trained for {task} {ctx}, {tail}?",
    "What goes wrong with {prop} if {arch} is used for {task} without {tech} {ctx}, {tail}?",
    "Compare {arch} with and without {tech} in terms of {prop} on {task} {ctx}, {tail}.",
    "Explain how {tech} interacts with {prop} in {arch} applied to {task} {ctx}, {tail}.",
    "In {task} {ctx}, how would you measure the effect of {tech} on {prop} in {arch}, {tail}?",
    "Describe a failure of {arch} on {task} {ctx} that {tech} fixes for {prop}, {tail}.",
]
TECHS = [
    "batch normalisation", "group normalisation", "dropout", "stochastic depth",
    "depthwise separable convolutions", "dilated convolutions", "skip connections",
    "squeeze-and-excitation blocks", "focal loss", "mixup", "CutMix", "label smoothing",
    "knowledge distillation", "int8 quantisation", "structured pruning",
    "random resized crops", "test-time augmentation", "weight decay",
    "a cosine learning-rate schedule", "learning-rate warm-up", "gradient clipping",
    "deformable convolutions", "anchor-free heads", "non-maximum suppression",
    "soft-NMS", "multi-scale training", "feature pyramid fusion", "self-attention pooling",
    "contrastive pre-training", "exponential moving average weights",
]  # fmt: skip
PROPS = [
    "the receptive field", "the memory footprint", "inference latency", "calibration",
    "small-object recall", "training stability", "gradient flow",
    "translation equivariance", "overfitting", "robustness to class imbalance",
    "boundary accuracy", "throughput per watt", "convergence speed", "mean average precision",
    "robustness to label noise", "out-of-distribution accuracy", "feature reuse",
    "spatial resolution of the output", "parameter count", "sensitivity to the batch size",
]  # fmt: skip
ARCHS = [
    "ResNet-50", "ResNet-18", "VGG-16", "MobileNetV2", "MobileNetV3", "EfficientNet-B0",
    "U-Net", "Mask R-CNN", "Faster R-CNN", "YOLOv5", "YOLOv8", "SSD", "RetinaNet",
    "DenseNet-121", "Inception-v3", "a Vision Transformer", "the Swin Transformer",
    "ConvNeXt", "DETR", "DeepLabv3+", "HRNet", "a Siamese network", "CenterNet", "SegFormer",
]  # fmt: skip
TASKS = [
    "semantic segmentation", "instance segmentation", "object detection",
    "image classification", "human pose estimation", "monocular depth estimation",
    "optical flow", "face verification", "medical image segmentation",
    "satellite image change detection", "video action recognition", "lane detection",
    "OCR of receipts", "defect inspection on a production line", "person re-identification",
    "crowd counting", "super-resolution", "visual place recognition",
]  # fmt: skip
CONTEXTS = [
    "on COCO", "on ImageNet", "with only 500 labelled images", "on a phone", "on a Jetson Nano",
    "at 4K resolution", "with noisy labels", "under heavy occlusion", "at night",
    "with a batch size of 2", "in a federated setting", "with a long-tailed class distribution",
    "on grayscale X-ray images", "after transfer from ImageNet", "with synthetic training data",
    "on a single GPU", "under a 10 ms latency budget", "with rotated inputs",
]  # fmt: skip
TAILS = [
    "and how would you check it", "and what would you try first",
    "and which metric shows it", "and how would you explain it to a product manager",
    "and what does the literature say", "and what would an ablation look like",
    "and where would you look in the loss curves", "and what would you log",
    "and how does it change with depth", "and what is the cost at inference",
    "and how would you visualise it", "and what would a baseline be",
    "and how would you tune it", "and what are the failure cases",
    "and which hyper-parameters matter most", "and how would you test it in production",
]  # fmt: skip
DETAILS = [
    "with {k}x{k} kernels", "trained for {n} epochs", "over {n} classes",
    "with {n} images per class", "at {n} frames per second", "with a stride of {k}",
    "using {n} anchors per location", "with input crops of {n} pixels",
    "and {n} MB of memory", "with {k} input channels", "on {n} cameras",
    "with a {n} ms budget", "for {n} hours of video",
]  # fmt: skip
TOPICS = [
    "CNN foundations", "Object detection", "Segmentation", "Training tricks",
    "Efficient inference", "Vision transformers", "Data and augmentation",
    "Evaluation and metrics", "Video and motion", "Deployment",
]  # fmt: skip
#: Small changes that keep a question at least 85 % alike (a likely duplicate).
REWORDINGS = [
    ("How does", "How would"),
    ("Why would you add", "Why might you add"),
    ("When does", "When can"),
    ("What goes wrong with", "What breaks in"),
    ("Compare ", "Contrast "),
    ("Explain how", "Describe how"),
    ("how would you measure", "how could you measure"),
    ("Describe a failure", "Describe one failure"),
]


class Generator:
    """Distinct questions, and their answers, from a seeded random source."""

    def __init__(self, seed: int = 18) -> None:
        self.rng = random.Random(seed)
        self.seen: set[str] = set()
        self.made: list[str] = []
        self.rewordings: list[str] = []  # of the last file

    def question(self) -> str:
        rng = self.rng
        while True:
            # Each optional part left out now and then, as people write.
            ctx = rng.choice(CONTEXTS) if rng.random() < 0.7 else ""
            if rng.random() < 0.6:
                ctx += " " + rng.choice(DETAILS).format(
                    k=rng.choice([1, 3, 5, 7]), n=rng.randint(2, 400)
                )
            text = rng.choice(OPENINGS).format(
                tech=rng.choice(TECHS),
                prop=rng.choice(PROPS),
                arch=rng.choice(ARCHS),
                task=rng.choice(TASKS),
                ctx=ctx.strip(),
                tail=rng.choice(TAILS) if rng.random() < 0.6 else "",
            )
            text = " ".join(text.replace(" ,", ",").split()).replace(",?", "?").replace(",.", ".")
            if text not in self.seen:
                self.seen.add(text)
                self.made.append(text)
                return text

    def answer(self, question: str) -> str:
        rng = self.rng
        tech, prop, arch = rng.choice(TECHS), rng.choice(PROPS), rng.choice(ARCHS)
        sentences = [
            f"{tech[:1].upper()}{tech[1:]} mainly changes {prop}, because it alters what "
            "each layer sees during training.",
            f"In {arch} the effect is larger in the early stages, where feature maps are big.",
            f"Measure it with an ablation: the same schedule and seed with and without {tech}.",
            f"Watch {rng.choice(PROPS)} as well, which often moves in the opposite direction.",
            "Report the mean and spread over three seeds, not a single run.",
        ]
        return " ".join(sentences[: rng.randint(2, 5)])

    def reworded(self, text: str) -> str:
        for old, new in REWORDINGS:
            if text.startswith(old) or old in text:
                return text.replace(old, new, 1)
        return text.replace(", and", "; and", 1)

    def csv_file(self, number: int) -> str:
        rng = self.rng
        earlier = list(self.made)
        rows: list[tuple[str, str, str]] = []
        if number > 1:
            self.rewordings = [self.reworded(text) for text in rng.sample(earlier, REWORDED)]
            for text in self.rewordings:
                rows.append((text, self.answer(text), rng.choice(TOPICS)))
            for text in rng.sample(earlier, REPEATED):
                rows.append((text, self.answer(text), rng.choice(TOPICS)))
        while len(rows) < PER_FILE:
            text = self.question()
            topics = "; ".join(rng.sample(TOPICS, rng.randint(1, 2)))
            rows.append((text, self.answer(text), topics))
        rng.shuffle(rows)
        lines = ["question,answer,topics"]
        lines += [",".join(f'"{cell}"' for cell in row) for row in rows]
        return "\n".join(lines) + "\n"


def imp_database() -> AbstractContextManager[None]:
    """throwaway.throwaway_database, with the PostgreSQL database named imp_… (this
    benchmark's own prefix on a shared server)."""
    return throwaway.throwaway_database(prefix="imp_scale")


class Step:
    """Seconds and queries of one step."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.queries = 0

    @contextmanager
    def __call__(self) -> Iterator[None]:
        began = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            yield
        self.seconds += time.perf_counter() - began
        self.queries += len(queries)


def import_by_service(text: str, number: int, bank: Bank, profile: bool) -> dict:
    plan_step, write_step = Step(), Step()
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    with plan_step():
        plan = plan_import(parse_import(text, source=f"file-{number}.csv"), bank=bank)
    with write_step(), transaction.atomic():
        report = write_plan(plan)
    if profiler:
        profiler.disable()
    return {
        "plan": plan,
        "report": report,
        "steps": {"plan": plan_step, "write": write_step},
        "profiler": profiler,
    }


def import_by_pages(text: str, number: int, client: Client, user: User, profile: bool) -> dict:
    upload, preview, confirm = Step(), Step(), Step()
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    with upload():
        data = SimpleUploadedFile(f"file-{number}.csv", text.encode(), content_type="text/csv")
        response = client.post(reverse("questions:import_upload"), {"file": data, "format": "auto"})
    assert response.status_code == 302, response.content[:3000]
    record = ImportRecord.objects.filter(user=user).first()
    assert record is not None
    with preview():
        response = client.get(record.get_absolute_url())
    assert response.status_code == 200
    plan = response.context["plan"]
    with confirm():
        response = client.post(record.get_absolute_url())
    assert response.status_code == 302
    if profiler:
        profiler.disable()
    record.refresh_from_db()
    assert not record.is_pending, "the confirm did not import"
    return {
        "plan": plan,
        "report": None,
        "steps": {"upload": upload, "preview": preview, "confirm": confirm},
        "profiler": profiler,
    }


def run_imports(via: str, profile_file: int | None) -> list[dict]:
    call_command("load_question_bank", verbosity=0)
    instructor = User.objects.create(username="bench-instructor", display_name="I")
    team = Team.objects.create(name="Bench team")
    Membership.objects.create(user=instructor, team=team, role=Membership.Role.INSTRUCTOR)
    client = Client()
    client.force_login(instructor)
    generator = Generator()
    rows = []
    for number in range(1, FILES + 1):
        text = generator.csv_file(number)
        bank_before = Question.objects.count()
        profile = profile_file == number
        if via == "service":
            result = import_by_service(text, number, team.bank, profile)
        else:
            result = import_by_pages(text, number, client, instructor, profile)
        plan = result["plan"]
        counts = plan.counts
        # The rewordings must be found; a few generated questions are alike by chance.
        found = {q.item.text for q in plan.questions if q.status == DUPLICATE}
        assert set(generator.rewordings if number > 1 else []) <= found, counts
        assert counts[IN_BANK] == (REPEATED if number > 1 else 0), counts
        rows.append(
            {
                "file": number,
                "bank_before": bank_before,
                "bank_after": Question.objects.count(),
                "steps": {name: (s.seconds, s.queries) for name, s in result["steps"].items()},
                "units": plan.work.units,
                "comparisons": plan.work.comparisons,
                "duplicates": counts[DUPLICATE],
                "in_bank": counts[IN_BANK],
                "repeats": counts[REPEAT],
            }
        )
        if result["profiler"]:
            write_profile(result["profiler"], number, via)
    return rows


def write_profile(profiler: cProfile.Profile, number: int, via: str) -> None:
    path = Path(__file__).parent / "results" / f"import-scale-{via}-{number}.prof"
    profiler.dump_stats(str(path))
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(35)
    stats.sort_stats("tottime").print_stats(25)
    print(f"# cProfile of import {number} ({via}), saved to {path}")
    print(out.getvalue())


def search_scale(sizes: list[int], runs: int) -> list[dict]:
    """The near-duplicate search alone, against banks of `sizes` questions."""
    generator = Generator(seed=1818)
    Question.objects.bulk_create(
        Question(key=f"scale-{i}", position=i, text=generator.question()) for i in range(max(sizes))
    )
    probe = [generator.question() for _ in range(PER_FILE - REWORDED)]
    probe += [generator.reworded(t) for t in generator.made[:REWORDED]]
    probe = [normalise_for_match(t) for t in probe]
    results = []
    for size in sizes:
        among = Question.objects.filter(key__startswith="scale-", position__lt=size)
        builds, searches = [], []
        for _ in range(runs):
            work = Work("probe.csv", budget=10**12)
            began = time.perf_counter()
            bank = BankQuestions(work, questions=among)
            builds.append(time.perf_counter() - began)
            began = time.perf_counter()
            found = sum(1 for text in probe if bank.likely_duplicate(text))
            searches.append(time.perf_counter() - began)
        results.append(
            {
                "size": size,
                "build_ms": statistics.median(builds) * 1000,
                "search_ms": statistics.median(searches) * 1000,
                "units": work.units / len(probe),
                "comparisons": work.comparisons / len(probe),
                "found": found,
            }
        )
    return results


def medians(series: list[list[dict]]) -> list[dict]:
    """The first series' rows with each step's seconds the median over all series
    (queries and work are the same in every run)."""
    rows = series[0]
    for index, row in enumerate(rows):
        row["steps"] = {
            name: (statistics.median(s[index]["steps"][name][0] for s in series), queries)
            for name, (_, queries) in row["steps"].items()
        }
    return rows


def print_imports(via: str, rows: list[dict], runs: int) -> None:
    vendor = connection.vendor
    names = list(rows[0]["steps"])
    head = " | ".join(f"{n} s | {n} queries" for n in names)
    print(f"\n## {vendor}, via {via} (seconds: medians of {runs} runs)\n")
    print(f"| file | bank before | {head} | total s | work units | comparisons | dup | in bank |")
    print("|" + "---|" * (7 + 2 * len(names)))
    for r in rows:
        cells = " | ".join(f"{s:.2f} | {q}" for s, q in r["steps"].values())
        total = sum(s for s, _ in r["steps"].values())
        print(
            f"| {r['file']} | {r['bank_before']:,} | {cells} | {total:.2f} | {r['units']:,} | "
            f"{r['comparisons']:,} | {r['duplicates']} | {r['in_bank']} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--via", choices=["service", "pages", "both"], default="both")
    parser.add_argument("--profile", type=int, default=None, help="profile this import")
    parser.add_argument("--search-scale", action="store_true")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 5000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-imports", action="store_true")
    args = parser.parse_args()

    vias = ["service", "pages"] if args.via == "both" else [args.via]
    if not args.no_imports:
        for via in vias:
            series = []
            for _ in range(args.runs):
                with imp_database():
                    series.append(run_imports(via, args.profile))
            print_imports(via, medians(series), args.runs)
    if args.search_scale:
        with imp_database():
            scale = search_scale(args.sizes, args.runs)
        print(f"\n## near-duplicate search alone, {connection.vendor}, {PER_FILE:,} questions\n")
        print("| bank | index the bank ms | search ms (whole file) | units/question | "
              "comparisons/question | duplicates found |")  # fmt: skip
        print("|---|---|---|---|---|---|")
        for r in scale:
            print(
                f"| {r['size']:,} | {r['build_ms']:.0f} | {r['search_ms']:.0f} | "
                f"{r['units']:.0f} | {r['comparisons']:.1f} | {r['found']} |"
            )


if __name__ == "__main__":
    main()
