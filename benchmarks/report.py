"""Gather docs/bench/*.md into docs/benchmarks.md, with the machine and the commands.

Run: .venv/bin/python benchmarks/report.py   (after the benchmark scripts; `make bench` runs all)
"""

from __future__ import annotations

import json

from common import RESULTS, ROOT

ORDER = ["embed_throughput", "search_latency", "eval_retrieval", "ingest"]
COMMANDS = {
    "embed_throughput": ".venv/bin/python benchmarks/embed_throughput.py",
    "search_latency": ".venv/bin/python benchmarks/search_latency.py",
    "eval_retrieval": ".venv/bin/python benchmarks/eval_retrieval.py",
    "ingest": ".venv/bin/python benchmarks/ingest.py",
}


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
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(parts))
    print((ROOT / "docs" / "benchmarks.md").read_text())


if __name__ == "__main__":
    main()
