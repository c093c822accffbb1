"""Shared pieces of the figure-script tests (tests/integration/figures_*.py), run by Debian's
/usr/bin/python3 (numpy, matplotlib, h5py).

A tiny run: the teaching scenario cut to 2 simulated days with an output every 12 h (5 output
times: 0, 12, 24, 36, 48 h), 13 x 1 x 15 voxels; about 5 s on one core.
"""

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

TINY_SETS = ["protocol.duration_days=2", "output.every_h=12", "numerics.checkpoint_every_min=0"]
TINY_TIMES_H = [0.0, 12.0, 24.0, 36.0, 48.0]

# A picture is "not blank" when its grey levels vary (variance over pixels, 0..1 scale) and a
# share of its pixels differs from the corner (background) colour. A white or one-colour image
# has 0 and 0; the real figures have variance 0.02-0.2 and 10-35 % non-background pixels.
MIN_VARIANCE = 0.005
MIN_CONTENT = 0.02


def fail_missing_tools(tools):
    """Exits with a failure (never a skip) naming scripts/setup-deps when a tool (or Debian's
    python3-matplotlib, which every figure script needs) is missing."""
    missing = [t for t in tools if shutil.which(t) is None]
    if importlib.util.find_spec("matplotlib") is None:
        missing.append("python3-matplotlib")
    if missing:
        raise SystemExit(f"FAIL: {', '.join(missing)} not found on PATH: the figure tests need "
                         "them; run scripts/setup-deps (Debian packages python3-matplotlib, "
                         "paraview, python3-paraview, xvfb, xauth, ffmpeg, chromium)")


def tiny_run(exe, directory, extra_sets=()):
    """Runs the tiny scenario into directory; returns its Path."""
    source = Path(__file__).resolve().parents[2]
    scenario = source / "scenarios" / "teaching-single-session.toml"
    command = [exe, "run", str(scenario), "-o", str(directory), "--quiet"]
    for item in TINY_SETS + list(extra_sets):
        command += ["--set", item]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    subprocess.run(command, check=True, env=env)
    return Path(directory)


def script(source, name, *args, env=None, timeout=300):
    """Runs scripts/NAME with Debian's python; returns (exit code, stdout + stderr). The timeout
    is for a release build; the sanitised dev build scales it (MICROHEAL_TEST_TIME_SCALE)."""
    timeout = timeout * float(os.environ.get("MICROHEAL_TEST_TIME_SCALE", "1"))
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    result = subprocess.run(["/usr/bin/python3", str(Path(source) / "scripts" / name),
                             *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=full_env, timeout=timeout)
    return result.returncode, result.stdout


def written(output):
    """The files a script says it wrote ('wrote PATH' lines)."""
    return [Path(line[len("wrote "):].strip()) for line in output.splitlines()
            if line.startswith("wrote ")]


def png_stats(path):
    """(width, height, grey variance, share of non-background pixels) of a PNG."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.image as mpimg
    import numpy as np

    image = mpimg.imread(str(path))
    rgb = image[..., :3].astype(float)
    grey = rgb.mean(axis=2)
    corner = rgb[0, 0]
    content = float((np.abs(rgb - corner).sum(axis=2) > 0.05).mean())
    return image.shape[1], image.shape[0], float(grey.var()), content


def check_png(c, path, size=None):
    """Checks that path is a PNG of the given (width, height) that is not blank."""
    if not Path(path).is_file():
        c.check(False, f"{path} exists")
        return
    width, height, variance, content = png_stats(path)
    if size is not None:
        c.check((width, height) == tuple(size),
                f"{Path(path).name}: {width} x {height} px == {size[0]} x {size[1]}")
    c.check(variance > MIN_VARIANCE and content > MIN_CONTENT,
            f"{Path(path).name}: not blank (grey variance {variance:.4f} > {MIN_VARIANCE}, "
            f"{content:.1%} non-background pixels > {MIN_CONTENT:.0%})")


def images_differ(a, b):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.image as mpimg
    import numpy as np

    first, second = mpimg.imread(str(a)), mpimg.imread(str(b))
    return first.shape != second.shape or float(np.abs(first - second).max()) > 0.02


def check_error(c, what, result, code, *needles):
    """A script's (exit code, output) must be `code` and the output must name every needle."""
    rc, output = result
    message = output.strip().splitlines()[-1] if output.strip() else "(no output)"
    c.check(rc == code and all(n in output for n in needles),
            f"{what}: exit {rc} == {code}, message names {needles}: {message}")
