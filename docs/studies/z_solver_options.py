#!/usr/bin/python3
"""Design study behind docs/numerics.md, "Known limitations: speed".

Two questions about cheaper second-order, L-stable diffusion steps than Richardson-extrapolated
LOD backward Euler (three LOD solves; three passes over memory when the z lines are streamed):

1. One banded solve per z line. R(z) = 2/(1 - z/2)^2 - 1/(1 - z) equals
   (1 - z - z^2/4) / ((1 - z/2)^2 (1 - z)), so a z line could be advanced with one solve of the
   heptadiagonal matrix (I - hA/2)^2 (I - hA) (one ascending and one descending pass) and a
   stencil. The script measures how much mass that loses to rounding at D dt/dx^2 = r, against
   three tridiagonal solves (numpy's dense solver stands in for the solver's Thomas sweeps, whose
   own mass conservation tests/verification checks).

2. Stability functions with one or two poles (two passes, 48 or 32 bytes per voxel): their
   most negative value on the negative real axis (undershoot of a stiff mode) and their error
   constant C in R(z) - exp(z) = C z^3 + O(z^4).

Run: /usr/bin/python3 docs/studies/z_solver_options.py   (Debian's python3-numpy; ~2 s)
It exits 1 when a figure quoted in docs/numerics.md no longer holds (ctest runs it).
"""
import sys
import numpy as np


def laplacian(n):
    a = np.zeros((n, n))
    for i in range(n):
        if i > 0:
            a[i, i - 1] = 1.0
            a[i, i] -= 1.0
        if i < n - 1:
            a[i, i + 1] = 1.0
            a[i, i] -= 1.0
    return a  # zero flux at both ends: columns sum to 0, so exact solves conserve mass


def banded_solve(m, b, p):
    """LU without pivoting restricted to bandwidth p, as a streamed z sweep would do it."""
    n = len(b)
    lower = np.eye(n)
    upper = m.copy()
    for k in range(n):
        for i in range(k + 1, min(n, k + p + 1)):
            lower[i, k] = upper[i, k] / upper[k, k]
            upper[i, k:min(n, k + p + 1)] -= lower[i, k] * upper[k, k:min(n, k + p + 1)]
    y = np.zeros(n)
    for i in range(n):
        y[i] = b[i] - lower[i, max(0, i - p):i] @ y[max(0, i - p):i]
    x = np.zeros(n)
    for i in reversed(range(n)):
        x[i] = (y[i] - upper[i, i + 1:min(n, i + p + 1)] @ x[i + 1:min(n, i + p + 1)]) / upper[i, i]
    return x


def banded_study(n=64, steps=200):
    """Returns {r: relative mass change of one step}, banded and with three solves."""
    print("1. one heptadiagonal solve per z line (n = %d), relative mass change" % n)
    print("   %8s  %12s  %14s  %18s  %20s" % ("r", "one step", f"{steps} steps", "vs three solves",
                                             "three solves, 1 step"))
    rng = np.random.default_rng(1)
    eye = np.eye(n)
    one_step = {}
    reference = {}
    for r in [1.0, 10.0, 100.0, 1e3, 1e4]:
        ta = r * laplacian(n)
        full, half = eye - ta, eye - ta / 2
        m = half @ half @ full
        w = rng.random(n) + 1.0
        apply = lambda u: (lambda g: g - ta @ g - ta @ (ta @ g) / 4)(banded_solve(m, u, 3))
        x = apply(w)
        ref = 2 * np.linalg.solve(half, np.linalg.solve(half, w)) - np.linalg.solve(full, w)
        u = w.copy()
        for _ in range(steps):
            u = apply(u)
        one_step[r] = abs(x.sum() - w.sum()) / w.sum()
        reference[r] = abs(ref.sum() - w.sum()) / w.sum()
        print("   %8g  %12.1e  %14.1e  %18.1e  %20.1e" % (r, one_step[r],
                                                        abs(u.sum() - w.sum()) / w.sum(),
                                                        np.abs(x - ref).max() / np.abs(ref).max(),
                                                        reference[r]))
    return one_step, reference


def stability_study():
    """Returns {name: (min R, C)}."""
    z = -np.logspace(-3, 4, 20001)
    def ros2(g):
        return lambda z: (1 + (1 - 2 * g) * z) / (1 - g * z) ** 2

    cases = {
        "Richardson LOD backward Euler (now)": lambda z: 2 / (1 - z / 2) ** 2 - 1 / (1 - z),
        "SDIRK2 / ROS2, gamma = 1 - 1/sqrt2": ros2(1 - 2 ** -0.5),
        "ROS2, gamma = 1 + 1/sqrt2": ros2(1 + 2 ** -0.5),
        "two poles 1/4, 1/3": lambda z: -8 / (1 - z / 4) + 9 / (1 - z / 3),
        "two poles 3/2, 2": lambda z: 2 / (1 - 1.5 * z) - 1 / (1 - 2 * z),
    }
    print("\n2. stability functions on z < 0")
    print("   %-38s  %10s  %8s  %10s" % ("R(z)", "min R", "at z", "C (z^3)"))
    found = {}
    for name, f in cases.items():
        values = f(z)
        i = int(np.argmin(values))
        small = 1e-3
        c = (f(-small) - np.exp(-small)) / (-small) ** 3
        print("   %-38s  %10.4f  %8.1f  %10.3f" % (name, values[i], z[i], c))
        found[name] = (values[i], c)
    return found


def main():
    mass, reference = banded_study()
    found = stability_study()
    now = found["Richardson LOD backward Euler (now)"]
    checks = [
        ("banded solve loses mass beyond 1e-11 per step at r = 100", mass[100.0] > 1e-11),
        ("banded solve is round-off at r = 1", mass[1.0] < 1e-14),
        ("three tridiagonal solves are round-off at every r", max(reference.values()) < 1e-12),
        ("Richardson undershoot is -0.036", abs(now[0] + 0.036) < 0.002),
        ("Richardson error constant is -1/6", abs(now[1] + 1 / 6) < 0.005),
        ("poles 1/4, 1/3 undershoot below -0.2", found["two poles 1/4, 1/3"][0] < -0.2),
        ("poles 3/2, 2 never undershoot", found["two poles 3/2, 2"][0] >= 0.0),
        ("poles 3/2, 2 carry 8.5x the error constant",
         abs(found["two poles 3/2, 2"][1] / now[1] - 8.5) < 0.2),
    ]
    failed = [name for name, ok in checks if not ok]
    for name in failed:
        print("FAILED: " + name, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
