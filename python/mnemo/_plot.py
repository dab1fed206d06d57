"""mnemo.plot_memory: a memory plan (the --report JSON) as a matplotlib
figure with the content of the HTML report: live bytes per step against
the lower bound and the plan's arena (naive as a number), the peak step
with its ONNX node, patch/slice loops shaded, and the address map (one
rectangle per tensor over its lifetime, on-chip and off-chip tiers apart).
"""
import json
import os

_SPACE_COLORS = {"sram": "#4c78a8", "dram": "#f58518"}


def _human(n):
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return "%.1f %s" % (n / scale, unit)
    return "%d B" % n


def _load(report):
    if isinstance(report, dict):
        return report
    if hasattr(report, "report"):  # an Artifact
        r = report.report
        if r is None:
            raise ValueError("the artifact has no memory report (compile with report=True)")
        return r
    if isinstance(report, (str, os.PathLike)):
        with open(report) as f:
            return json.load(f)
    raise TypeError("report must be a dict, an Artifact or a path to report.json, not %s"
                    % type(report).__name__)


def plot_memory(report, path=None, title=None):
    """Draws the plan in `report` (a dict from Artifact.report, an
    Artifact, or a report.json path). Saves it to `path` when given (the
    format follows the extension: .png, .svg, .pdf) and returns the
    matplotlib Figure. Uses no pyplot state, so it is safe in scripts,
    notebooks and threads alike."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle
    from matplotlib.ticker import FuncFormatter

    r = _load(report)
    timeline = r.get("timeline") or []
    tensors = r.get("tensors") or []
    if not timeline:
        raise ValueError("the report has no timeline (nothing was planned)")
    steps = len(timeline)
    live = [t["live_bytes"] for t in timeline]
    arena = r.get("arena_bytes") or 0
    bound = r.get("lower_bound_bytes") or 0
    naive = r.get("naive_bytes") or 0
    peak = r.get("peak_step")
    if peak is None:
        peak = max(range(steps), key=lambda s: live[s])
    spaces = [s for s in ("sram", "dram") if any(t.get("space", "sram") == s for t in tensors)]
    if not spaces:
        spaces = ["sram"]
    source = r.get("source") or r.get("model") or "model"

    fig = Figure(figsize=(10, 3.2 + 2.6 * len(spaces)), layout="constrained")
    axes = fig.subplots(1 + len(spaces), 1, sharex=True,
                        gridspec_kw={"height_ratios": [1.2] + [1] * len(spaces)})
    fig.suptitle(title or "%s: %s arena (%s planner), bound %s, naive %s (%.2fx)"
                 % (source, _human(arena), r.get("planner", "?"), _human(bound), _human(naive),
                    naive / arena if arena else 0), fontsize=10)

    # Live bytes per step, scaled to the plan (naive is in the title).
    ax = axes[0]
    xs = list(range(steps + 1))
    ax.step(xs, live + [live[-1]], where="post", color="#4c78a8", label="live bytes")
    ax.axhline(arena, color="#e45756", lw=1.2, label="plan (arena) %s" % _human(arena))
    ax.axhline(bound, color="#54a24b", lw=1, ls="--", label="lower bound %s" % _human(bound))
    ax.set_ylim(0, max(arena, max(live)) * 1.15)
    ax.axvline(peak + 0.5, color="black", lw=0.8, ls=":")
    ax.annotate("peak: step %d (%s), %s" % (peak, timeline[peak].get("op", ""), _human(live[peak])),
                xy=(peak + 0.5, live[peak]), xytext=(4, 6), textcoords="offset points",
                fontsize=8)
    ax.set_ylabel("live")
    ax.legend(loc="upper right", fontsize=8)
    for loop in r.get("loops") or []:
        for a in axes:
            a.axvspan(loop["first_step"], loop["last_step"] + 1, color="0.85", zorder=0)

    # The address map per tier: a rectangle per tensor over its lifetime.
    for ax, space in zip(axes[1:], spaces):
        top = 0
        for t in tensors:
            if t.get("space", "sram") != space:
                continue
            x0, x1 = t["first_step"], t["last_step"] + 1
            y0, h = t["offset"], t["bytes"]
            top = max(top, y0 + h)
            ax.add_patch(Rectangle((x0, y0), x1 - x0, h, facecolor=_SPACE_COLORS[space],
                                   edgecolor="white", lw=0.5, alpha=0.85,
                                   label=None))
            if h >= 0.06 * max(arena, 1) and x1 - x0 >= 0.08 * steps:
                ax.text((x0 + x1) / 2, y0 + h / 2, t["name"][-28:], ha="center", va="center",
                        fontsize=6, color="white", clip_on=True)
        if space == "sram":
            ax.axhline(arena if not r.get("sram_bytes") else r["sram_bytes"], color="#e45756",
                       lw=1)
            budget = r.get("sram_budget_bytes")
            if budget and budget <= 1.5 * max(top, 1):
                top = max(top, budget)
                ax.axhline(budget, color="black", lw=0.8, ls="--")
                ax.text(0, budget, " SRAM budget %s" % _human(budget), va="bottom", fontsize=7)
            elif budget:
                ax.set_title("SRAM budget %s (above this axis)" % _human(budget), fontsize=8,
                             loc="left")
        ax.set_ylim(0, max(top, 1) * 1.12)
        ax.set_ylabel("%s offset" % ("on-chip" if space == "sram" else "off-chip (DRAM)"))
    for a in axes:
        a.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _human(int(v)) if v else "0"))
    axes[-1].set_xlim(0, steps)
    axes[-1].set_xlabel("step (op in execution order; shaded: loops planned per iteration)")

    if path is not None:
        fig.savefig(os.fspath(path), dpi=120)
    return fig
