#!/usr/bin/env python3
"""Writes a text file's non-empty lines as JSON Lines documents, for measuring vita on many
short documents (news sentences, paragraphs) rather than one long text:

    python3 benches/lines_jsonl.py ../shared/data/bench/viwiki-5mb.txt > /tmp/lines.jsonl

Each line becomes {"id": "N", "text": LINE} (N from 0, blank lines skipped).
"""
import json, sys


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f if l.strip()]
    for i, l in enumerate(lines):
        print(json.dumps({"id": str(i), "text": l}, ensure_ascii=False))


if __name__ == "__main__":
    main()
