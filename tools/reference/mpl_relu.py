#!/usr/bin/env python3
"""Renders the tutorial's ReLU figure with matplotlib, exactly as the tutorial's code draws it, for a side-by-side
comparison with `nonlin plot relu --out relu.png`. Also prints the layout matplotlib computes (axes box, ticks).

Run: /tmp/torchenv/bin/python tools/reference/mpl_relu.py docs/img/matplotlib_relu.png
"""

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def relu(x):
    return np.maximum(0, x)


out = sys.argv[1] if len(sys.argv) > 1 else "matplotlib_relu.png"
x = np.linspace(-5, 5, 100)
y = relu(x)
plt.plot(x, y, label="ReLU", color="b")
plt.xlabel("Input")
plt.ylabel("Output")
plt.title("ReLU Function")
plt.axhline(0, color="black", linewidth=0.5, linestyle="--")
plt.grid(True, linestyle="--", alpha=0.7)
plt.legend()
plt.savefig(out)
fig, ax = plt.gcf(), plt.gca()
print("matplotlib", matplotlib.__version__, "figure px", fig.get_size_inches() * fig.dpi, "dpi", fig.dpi)
print("axes box px", ax.get_window_extent().bounds, "xlim", ax.get_xlim(), "ylim", ax.get_ylim())
print("xticks", ax.get_xticks(), "yticks", ax.get_yticks())
print("legend box px", ax.get_legend().get_window_extent().bounds)
