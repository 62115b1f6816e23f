"""Gather docs/bench/*.md into docs/benchmarks.md, with the machine and the commands.

Run: .venv/bin/python benchmarks/report.py   (after the benchmark scripts; `make bench` runs all)
"""

from __future__ import annotations

import json

from common import RESULTS, ROOT

ORDER = [
    "eval_retrieval",
    "eval_answers",
    "eval_conversation",
    "eval_languages",
    "ocr_accuracy",
    "ingest",
    "embed_throughput",
    "search_latency",
    "store_growth",
    "read_while_writing",
    "page_viewer",
    "load_test",
    "load_test_attack",
    "door_latency",
    "scale_out",
    "scale_out_server",
]
COMMANDS = {name: f".venv/bin/python benchmarks/{name}.py" for name in ORDER}
COMMANDS["scale_out_server"] = ".venv/bin/python benchmarks/scale_out.py --server-only"
COMMANDS["load_test_attack"] = ".venv/bin/python benchmarks/load_test.py --attackers 3"
# The figures shown were made with these (a full answer run takes hours of SmolLM2 on 2 cores).
COMMANDS["eval_answers"] += " --llm-limit 8"
COMMANDS["eval_conversation"] += " --llm-limit 10"
COMMANDS["eval_languages"] += " --limit 50"


def plots() -> list[str]:
    """PNG charts of what reads faster as a picture; returns markdown image lines for those drawn."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return ["_(matplotlib is not installed: `pip install -e .[dev]` to draw the charts)_\n"]
    lines = []
    eval_json = RESULTS / "eval_retrieval.json"
    if eval_json.exists():
        results = json.loads(eval_json.read_text())["results"]
        fig, axes = plt.subplots(1, len(results), figsize=(6 * len(results), 3.6), squeeze=False)
        for ax, (set_name, methods) in zip(axes[0], results.items(), strict=True):
            names = [m for m in methods if not m.startswith("_")]
            y = range(len(names))
            ax.barh([i + 0.2 for i in y], [methods[m]["R@1"] for m in names], 0.4, label="R@1")
            ax.barh([i - 0.2 for i in y], [methods[m]["R@5"] for m in names], 0.4, label="R@5")
            ax.set_yticks(list(y), names)
            ax.invert_yaxis()
            ax.set_xlim(0, 1)
            ax.set_title(set_name, fontsize=10)
        handles, labels = axes[0][0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="upper center", ncol=2, fontsize=8)
        fig.tight_layout(rect=(0, 0, 1, 0.92))
        fig.savefig(RESULTS / "retrieval.png", dpi=110)
        plt.close(fig)
        lines.append("![Recall@1 and recall@5 per method on both sets](bench/retrieval.png)\n")
    latency_json = RESULTS / "search_latency.json"
    if latency_json.exists():
        rows = json.loads(latency_json.read_text())["rows"]
        fig, ax = plt.subplots(figsize=(6, 3.6))
        ax.loglog(
            [r["n"] for r in rows], [r["search_p50_ms"] for r in rows], "o-", label="exact (IndexFlatIP)"
        )
        for r in rows:
            if "hnsw" in r:
                for point in r["hnsw"]["sweep"]:
                    ax.plot(r["n"], point["search_p50_ms"], "s", color="tab:orange")
                    ax.annotate(
                        f"HNSW ef={point['ef_search']}, recall {point['recall_at_10']:.2f}",
                        (r["n"], point["search_p50_ms"]),
                        textcoords="offset points",
                        xytext=(-8, 0),
                        ha="right",
                        fontsize=7,
                    )
        ax.set_xlabel("vectors (384 dims)")
        ax.set_ylabel("search p50 (ms), top-5")
        ax.legend(loc="upper left", fontsize=8)
        fig.tight_layout()
        fig.savefig(RESULTS / "search_latency.png", dpi=110)
        plt.close(fig)
        lines.append("![Search latency against index size, exact and HNSW](bench/search_latency.png)\n")
    return lines


def main() -> None:
    parts = [
        "# Benchmarks\n",
        "Every number below was produced by the command written under its heading, on the machine named there. "
        "Speeds are compared only within one run (the machines are shared; ratios are what carry over). "
        "`make bench` runs them all and rewrites this file.\n",
    ]
    for name in ORDER:
        md, js = RESULTS / f"{name}.md", RESULTS / f"{name}.json"
        if not md.exists():
            continue
        meta = json.loads(js.read_text())
        m = meta["machine"]
        parts.append(md.read_text().strip())
        parts.append(
            f"\n_Command: `{COMMANDS[name]}` · run {meta['when']} · {m['cpu']}, {m['cores']} cores "
            f"({m['cpu_capability']}), torch {m['torch']}{', GPU ' + m['gpu'] if m['gpu'] else ''}._\n"
        )
    parts.extend(["## Charts\n", *plots()])
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(parts))
    print((ROOT / "docs" / "benchmarks.md").read_text())


if __name__ == "__main__":
    main()
