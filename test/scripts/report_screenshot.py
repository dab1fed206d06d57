#!/usr/bin/env python3
"""The HTML memory report as a browser shows it: compiles the bundled CNN
with a patch schedule under an SRAM budget, renders report.html in a
headless Chromium (chromium-headless-shell, which scripts/setup.sh
installs), and checks the screenshot and the DOM the browser built:

  - the page is titled with the model's file name;
  - the timeline is drawn at the plan's scale (the live-bytes line, blue,
    and the plan, red, are both on screen), the patch loop is shaded,
    the peak is marked with its ONNX node;
  - the address map names each rectangle (hover titles).

Exit 77 (skipped) without a headless browser or matplotlib to read PNGs.
Usage: report_screenshot.py MNEMOC WORKDIR [SCREENSHOT_OUT]"""
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


def main():
    mnemoc, work = sys.argv[1], sys.argv[2]
    browser = next((b for b in ("chromium-headless-shell", "chromium", "google-chrome")
                    if shutil.which(b)), None)
    if not browser:
        skip("no headless Chromium (apt-get install chromium-headless-shell)")
    try:
        import matplotlib.image as mpimg
        import numpy as np
    except ImportError:
        skip("matplotlib is needed to read the screenshot (python3-matplotlib)")
    os.makedirs(work, exist_ok=True)
    html = os.path.join(work, "report.html")
    subprocess.run([mnemoc, os.path.join(ROOT, "examples", "tiny_cnn.onnx"), "--dim",
                    "batch=1..1", "--patch-schedule", "--sram-budget=160KiB", "-o", work,
                    "--report=" + html], check=True, stdout=subprocess.DEVNULL)
    shot = sys.argv[3] if len(sys.argv) > 3 else os.path.join(work, "report.png")
    flags = ["--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1200,900"]
    subprocess.run([browser, *flags, "--screenshot=" + shot, "file://" + os.path.abspath(html)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    dom = subprocess.run([browser, *flags, "--dump-dom", "file://" + os.path.abspath(html)],
                         check=True, capture_output=True, text=True, timeout=120).stdout

    failures = []

    def expect(cond, what):
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            failures.append(what)

    expect("<title>tiny_cnn.onnx: mnemo memory plan</title>" in dom, "page title names the model file")
    expect(re.search(r"peak: step [0-9]+ \(/blocks/blocks.0/dw/dw.0/Conv\)", dom) is not None,
           "peak marked with its ONNX node")
    expect("<title>/blocks/blocks.1/MaxPool:" in dom, "rectangles name their tensor on hover")
    expect("tiers-ilp" in dom, "planner named as in the JSON report")

    img = mpimg.imread(shot)[:, :, :3]
    h, w = img.shape[:2]
    expect((w, h) == (1200, 900), "screenshot is 1200x900 (got %dx%d)" % (w, h))
    px = (img * 255).round().astype(int)

    def count(rgb, tol=40):
        return int((np.abs(px - np.array(rgb)).sum(axis=2) <= tol).sum())

    # The colours of the timeline (MemoryPlan.cpp's writeHTML): live bytes
    # blue (#36c), plan red (#c33), loops shaded (#f3ecd9).
    blue, red, shade = count((0x33, 0x66, 0xcc)), count((0xcc, 0x33, 0x33)), count((0xf3, 0xec, 0xd9), 12)
    print("pixels: blue %d, red %d, shaded %d" % (blue, red, shade))
    expect(blue > 300, "live-bytes line drawn")
    expect(red > 300, "plan line drawn")
    expect(shade > 20000, "patch loop shaded")
    # Scaled to the plan: the live-bytes line spans most of the plot's
    # height (under a naive-sized axis it sat in the bottom fifth).
    rows = np.nonzero((np.abs(px - np.array((0x33, 0x66, 0xcc))).sum(axis=2) <= 40).any(axis=1))[0]
    span = int(rows.max() - rows.min()) if rows.size else 0
    print("live-bytes line spans %d px" % span)
    expect(span >= 150, "timeline scaled to the plan")
    expect((px.sum(axis=2) < 700).mean() > 0.02, "page is not blank")
    if failures:
        print("%d failed" % len(failures))
        sys.exit(1)
    print("report screenshot: all checks passed")


if __name__ == "__main__":
    main()
