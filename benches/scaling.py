#!/usr/bin/env python3
"""How much faster `vita annotate` runs with more threads, measured so that a noisy machine
does not decide the answer.

    python3 benches/scaling.py [INPUT] [--runs N] [--threads 1,2]

Builds vita in release mode, then runs `vita annotate -q -j T INPUT > /dev/null` for each T in
turn, N times (default 20), interleaved (-j 1, -j 2, -j 1, ...), so that a slow spell of a
shared machine falls on every setting alike. Prints, per setting, the best and median wall
time and syllables/s, and the speed-up of each over the first: best over best, median over
median, and the median of the speed-ups of consecutive pairs.

Then the machine's own ceiling: in each round, after the settings, T separate `-j 1`
processes started at once (T the last setting), which share nothing but the machine (its
cores, caches, memory bandwidth, and whatever else its host runs). Their speed-up, T times
the round's `-j 1` time over the time until the last of them ends, is what T threads could
gain at most on this machine; `-j T`'s speed-up is also given as a share of it.
"""
import os, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def syllables(path):
    with open(path, encoding="utf-8") as f:
        return sum(1 for w in f.read().split() if any(c.isalpha() for c in w))


def main():
    args = sys.argv[1:]
    runs, threads, paths = 20, [1, 2], []
    while args:
        a = args.pop(0)
        if a == "--runs":
            runs = int(args.pop(0))
        elif a == "--threads":
            threads = [int(t) for t in args.pop(0).split(",")]
        else:
            paths.append(a)
    path = paths[0] if paths else os.path.join(ROOT, "..", "shared", "data", "bench", "viwiki-5mb.txt")
    subprocess.run(["cargo", "build", "--release", "-q"], cwd=ROOT, check=True)
    exe = os.path.join(ROOT, "target", "release", "vita")
    n = syllables(path)
    times = {t: [] for t in threads}
    top = threads[-1]
    apart = []
    for _ in range(runs):
        for t in threads:
            start = time.perf_counter()
            subprocess.run([exe, "annotate", "-q", "-j", str(t), path], stdout=subprocess.DEVNULL, check=True)
            times[t].append(time.perf_counter() - start)
        if top > 1:
            start = time.perf_counter()
            procs = [subprocess.Popen([exe, "annotate", "-q", "-j", "1", path], stdout=subprocess.DEVNULL)
                     for _ in range(top)]
            if any(p.wait() != 0 for p in procs):
                sys.exit("vita failed")
            apart.append(time.perf_counter() - start)
    print(f"input: {os.path.basename(path)} ({n} syllables); {runs} interleaved runs per setting")
    base = threads[0]
    for t in threads:
        best, med = min(times[t]), statistics.median(times[t])
        line = f"-j {t}: best {best:.3f} s ({n / best:,.0f} syllables/s), median {med:.3f} s"
        if t != base:
            pairs = statistics.median(a / b for a, b in zip(times[base], times[t]))
            line += (f"; speed-up over -j {base}: x{min(times[base]) / best:.2f} best,"
                     f" x{statistics.median(times[base]) / med:.2f} median, x{pairs:.2f} pairs")
        print(line)
    if top > 1 and 1 in times:
        # The round's own -j 1 run is the reference of its separate processes.
        ceiling = [top * one / a for one, a in zip(times[1], apart)]
        print(f"{top} separate -j 1 processes at once: best {min(apart):.3f} s, median"
              f" {statistics.median(apart):.3f} s; the machine's ceiling for {top} threads:"
              f" x{statistics.median(ceiling):.2f} median of rounds, x{top * min(times[1]) / min(apart):.2f} best")
        share = statistics.median(a / b / c for a, b, c in zip(times[1], times[top], ceiling))
        print(f"-j {top} reaches {share:.0%} of the ceiling (median of rounds)")


if __name__ == "__main__":
    main()
