#!/usr/bin/python3
"""Plots one congestion control run (bench/cc.mjs's JSON): capacity, send
rate and delivered rate over time, and the queuing delay below.

    cc_plot.py RUN.json OUT.png
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    with open(sys.argv[1]) as f:
        run = json.load(f)
    s = run["samples"]
    t = [x["t"] for x in s]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 1]})
    top.step(t, [x["ab"]["capacity"] / 1e6 for x in s], where="post", label="capacity", color="k")
    top.plot(t, [x["ab"]["offered"] / 1e6 for x in s], label="send rate", alpha=0.8)
    top.plot(t, [x["ab"]["delivered"] / 1e6 for x in s], label="delivered", alpha=0.6)
    if run["scenario"].get("tcp"):
        top.plot(t, [x["ab"].get("udp_delivered", 0) / 1e6 for x in s], label="media (UDP)",
                 alpha=0.9)
    top.set_ylabel("Mb/s")
    top.legend(loc="upper left")
    top.set_title("%s — %s" % (run["name"], "webrtcpublish (GCC, ladder)" if run["sender"] == "ours"
                                else "Chromium (its own GCC)"))
    bottom.plot(t, [x["ab"]["qdelay_p50"] or 0 for x in s], color="tab:red")
    bottom.set_ylabel("queue ms")
    bottom.set_xlabel("s")
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=80)


if __name__ == "__main__":
    main()
