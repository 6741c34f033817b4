#!/usr/bin/env python3
"""Measure vita against underthesea and pyvi on the same input, in one run, on one core.

    python3 benches/peers.py [INPUT]        # default: ../shared/data/bench/viwiki-5mb.txt

Creates a virtual environment in target/peers-venv (pip install underthesea pyvi), builds
vita in release mode, then times on the same lines:
  - word segmentation: pyvi ViTokenizer.tokenize, underthesea word_tokenize, `vita segment -j 1`
  - the whole pipeline: underthesea ner (on a sample; it is slow), `vita annotate -j 1`
Syllables are counted as whitespace-separated pieces with a letter (as in the bench README).
Prints a table with syllables/s and vita's speed-up. Uses the network only for pip.
"""
import os, subprocess, sys, time, json, platform

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INPUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "data", "bench", "viwiki-5mb.txt")
VENV = os.path.join(ROOT, "target", "peers-venv")
NER_SAMPLE_SYLLABLES = 40_000

def syllables(text):
    return sum(1 for w in text.split() if any(c.isalpha() for c in w))

def venv_python():
    py = os.path.join(VENV, "bin", "python")
    if not os.path.exists(py):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([py, "-m", "pip", "install", "-q", "underthesea", "pyvi"], check=True)
    return py

PEER = r'''
import sys, time, json
lines = [l for l in open(sys.argv[1], encoding="utf-8").read().split("\n") if l.strip()]
which, limit = sys.argv[2], int(sys.argv[3])
if limit:
    out, n = [], 0
    for l in lines:
        out.append(l); n += sum(1 for w in l.split() if any(c.isalpha() for c in w))
        if n >= limit: break
    lines = out
if which == "pyvi":
    from pyvi import ViTokenizer
    f = ViTokenizer.tokenize
elif which == "underthesea":
    from underthesea import word_tokenize
    f = lambda s: word_tokenize(s, format="text")
else:
    from underthesea import ner
    f = ner
f(lines[0])  # load models before timing
t = time.perf_counter()
for l in lines:
    f(l)
dt = time.perf_counter() - t
print(json.dumps({"seconds": dt, "syllables": sum(1 for l in lines for w in l.split() if any(c.isalpha() for c in w))}))
'''

def peer(py, which, limit=0):
    r = subprocess.run(["taskset", "-c", "0", py, "-c", PEER, INPUT, which, str(limit)],
                       capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    if r.returncode != 0:
        sys.exit(f"{which} failed:\n{r.stderr[-2000:]}")
    d = json.loads(r.stdout.strip().splitlines()[-1])
    return d["syllables"] / d["seconds"]

def vita(args, syl):
    exe = os.path.join(ROOT, "target", "release", "vita")
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run(["taskset", "-c", "0", exe, *args, "-q", "-j", "1", INPUT, "-o", os.devnull], check=True)
        best = min(best, time.perf_counter() - t)
    return syl / best

def main():
    subprocess.run(["cargo", "build", "--release", "-q"], cwd=ROOT, check=True)
    py = venv_python()
    syl = syllables(open(INPUT, encoding="utf-8").read())
    rows = [
        ("segmentation", "pyvi", peer(py, "pyvi")),
        ("segmentation", "underthesea", peer(py, "underthesea")),
        ("segmentation", "vita", vita(["segment"], syl)),
        ("whole pipeline", f"underthesea ner (first {NER_SAMPLE_SYLLABLES} syllables)", peer(py, "ner", NER_SAMPLE_SYLLABLES)),
        ("whole pipeline", "vita annotate (all layers, JSON)", vita(["annotate"], syl)),
    ]
    print(f"input: {INPUT} ({syl} syllables); one core; {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(f"{'task':<16} {'system':<46} {'syllables/s':>12}")
    for task, name, rate in rows:
        print(f"{task:<16} {name:<46} {rate:>12,.0f}")
    seg = {n: r for t, n, r in rows if t == "segmentation"}
    print(f"vita segmentation speed-up: x{seg['vita'] / seg['pyvi']:.0f} over pyvi, x{seg['vita'] / seg['underthesea']:.0f} over underthesea")
    print(f"vita whole-pipeline speed-up over underthesea ner: x{rows[4][2] / rows[3][2]:.0f}")

if __name__ == "__main__":
    main()
