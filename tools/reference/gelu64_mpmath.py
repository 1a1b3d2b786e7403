#!/usr/bin/env python3
"""mpmath's exact GELU x·Φ(x) and GELU′(x) = Φ(x) + x·φ(x) at 40 digits, rounded to float64, for the unit test of
the float64 GELU kernels (`crates/nonlin/src/gelu.rs`, `gelu64_matches_mpmath`): the deep tail down to where the
result leaves the subnormal range, the gradient's zero at −0.7517915…, and the region above 0 where the result
approaches x. Prints the Rust table; paste it over the one in the test.

Run: /tmp/torchenv/bin/python tools/reference/gelu64_mpmath.py
"""

import mpmath as mp

mp.mp.dps = 40

POINTS = [
    -38.7, -38.5, -37.69, -37.5, -35.0, -30.0, -27.32, -20.0, -12.5, -10.0, -7.0, -5.0, -3.0, -2.0, -1.7, -1.25,
    -1.0, -0.8, -0.7517915246935645, -0.75179152469356, -0.7513, -0.7, -0.5, -0.1, -1e-5, 1e-5, 0.1, 0.5,
    0.7517915246935645, 1.0, 2.0, 3.0, 5.0, 8.0, 8.5, 10.0,
]


def main():
    print("    const MPMATH: [(f64, f64, f64); %d] = [" % len(POINTS))
    for x in POINTS:
        t = mp.mpf(x)
        c = mp.ncdf(t)
        print(f"        ({x!r}, {float(t * c)!r}, {float(c + t * mp.npdf(t))!r}),")
    print("    ];")


if __name__ == "__main__":
    main()
