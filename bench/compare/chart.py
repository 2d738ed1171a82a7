"""Chart of rows/s by input size per contender, one panel per job, from results.json.

Plots the median rows/s over the counted (non-warm-up) rounds of each valid or
exempt contender; log-x (size), and log-y since the contenders span orders of
magnitude (from `cat` to SQLite).

Usage: chart.py RESULTS_JSON OUT_PNG
"""

import importlib.util
import json
import statistics
import sys
import textwrap


def medians(runs):
    """{job: {contender: {size: median rows/s}}} over counted rounds, invalid contenders left out."""
    groups = {}
    for run in runs:
        if not run["warmup"]:
            groups.setdefault((run["job"], run["contender"], run["size"]), []).append(run)
    table = {}
    for (job, contender, size), group in groups.items():
        if any(run["valid"] is False for run in group):
            continue
        wall = statistics.median(run["wall_s"] for run in group)
        table.setdefault(job, {}).setdefault(contender, {})[size] = group[0]["rows"] / wall
    return table


def draw(results_path, out_path):
    """Write the PNG: one panel per job, one line per contender (the engine's drawn thicker)."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot

    with open(results_path, encoding="utf-8") as f:
        document = json.load(f)
    table = medians(document["runs"])
    jobs = sorted(table)
    contenders = document["meta"]["contenders"]
    colors = matplotlib.colormaps["tab10"].colors + matplotlib.colormaps["Dark2"].colors
    width = 6 * len(jobs) + 2.5
    figure, axes = pyplot.subplots(1, len(jobs), figsize=(width, 5), squeeze=False)
    for axis, job in zip(axes[0], jobs):
        for number, contender in enumerate(contenders):
            points = sorted(table[job].get(contender, {}).items())
            if not points:
                continue
            floor = contender.startswith(("parse-", "cat"))
            axis.plot(*zip(*points), "--" if floor else "-", marker="o", color=colors[number % len(colors)],
                      linewidth=2.5 if contender.startswith("engine") else 1.2, label=contender)
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("rows in the input file")
        axis.set_ylabel("rows/s (median wall time)")
        axis.set_title(textwrap.fill(f"Job {job}: {document['jobs'][str(job)]}", 60), fontsize=9)
        axis.grid(True, which="both", alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="center right", fontsize=8)
    figure.suptitle("ingest import vs peers (dashed: parse ceilings and the I/O floor)")
    figure.tight_layout(rect=(0, 0, 1 - 2.3 / width, 1))
    figure.savefig(out_path, dpi=110)


def main():
    if importlib.util.find_spec("matplotlib") is None:
        print("chart skipped: matplotlib is not installed")
        return
    draw(sys.argv[1], sys.argv[2])
    print(f"wrote {sys.argv[2]}")


if __name__ == "__main__":
    main()
