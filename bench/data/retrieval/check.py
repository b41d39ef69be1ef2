#!/usr/bin/env python3
"""Validate the retrieval evaluation set in this directory.

Checks paragraphs.jsonl and questions.jsonl (schema, unique ids, answer ids
exist, paragraph lengths, counts) and prints summary counts. If README.md
carries a question-style block (between the STYLE-BEGIN / STYLE-END markers),
its length must equal the number of questions and the style mix is printed.

Usage: python3 check.py [DIR]      (DIR defaults to this file's directory)
Exit status 0 when every check passes, 1 otherwise.
"""
import collections
import json
import os
import re
import statistics
import sys

MIN_LEN, MAX_LEN = 300, 1200
MIN_PARAS, TARGET_PARAS = 300, 400
MIN_QUESTIONS, TARGET_QUESTIONS = 200, 250
MIN_SOURCES, MAX_SOURCES = 3, 6
ID_RE = re.compile(r"^p\d{4}$")

errors = []


def err(msg):
    errors.append(msg)


def load_jsonl(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                err(f"{os.path.basename(path)}:{n}: blank line")
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                err(f"{os.path.basename(path)}:{n}: invalid JSON ({e})")
                continue
            if not isinstance(obj, dict):
                err(f"{os.path.basename(path)}:{n}: not a JSON object")
                continue
            rows.append((n, obj))
    return rows


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    paras = load_jsonl(os.path.join(d, "paragraphs.jsonl"))
    questions = load_jsonl(os.path.join(d, "questions.jsonl"))

    # ---- paragraphs
    ids = {}
    texts = set()
    lengths = []
    by_source = collections.Counter()
    headings = collections.defaultdict(set)
    for n, p in paras:
        where = f"paragraphs.jsonl:{n}"
        if set(p) != {"id", "source", "heading", "text"}:
            err(f"{where}: keys are {sorted(p)}, expected id, source, heading, text")
        for k in ("id", "source", "heading", "text"):
            if not isinstance(p.get(k), str) or not p.get(k, "").strip():
                err(f"{where}: field {k!r} missing or empty")
        pid, text = p.get("id", ""), p.get("text", "")
        if not ID_RE.match(str(pid)):
            err(f"{where}: id {pid!r} does not look like p0001")
        if pid in ids:
            err(f"{where}: duplicate id {pid} (first on line {ids[pid]})")
        ids[pid] = n
        if not isinstance(text, str):
            continue
        if not MIN_LEN <= len(text) <= MAX_LEN:
            err(f"{where}: {pid} text length {len(text)} outside {MIN_LEN}-{MAX_LEN}")
        if "\n" in text or text != text.strip() or "  " in text:
            err(f"{where}: {pid} text has a newline, double space or edge whitespace")
        if text in texts:
            err(f"{where}: {pid} duplicates the text of another paragraph")
        texts.add(text)
        lengths.append(len(text))
        by_source[p.get("source")] += 1
        headings[p.get("source")].add(p.get("heading"))

    if len(paras) < MIN_PARAS:
        err(f"only {len(paras)} paragraphs (need at least {MIN_PARAS})")
    if not MIN_SOURCES <= len(by_source) <= MAX_SOURCES:
        err(f"{len(by_source)} sources (expected {MIN_SOURCES}-{MAX_SOURCES})")

    # ---- questions
    seen_q = {}
    answered = collections.Counter()
    q_by_source = collections.Counter()
    source_of = {p["id"]: p.get("source") for _, p in paras if "id" in p}
    for n, q in questions:
        where = f"questions.jsonl:{n}"
        if set(q) != {"q", "answer"}:
            err(f"{where}: keys are {sorted(q)}, expected q, answer")
        text, ans = q.get("q"), q.get("answer")
        if not isinstance(text, str) or not text.strip():
            err(f"{where}: empty question")
            continue
        key = text.strip().lower()
        if key in seen_q:
            err(f"{where}: duplicate question (first on line {seen_q[key]})")
        seen_q[key] = n
        if ans not in ids:
            err(f"{where}: answer {ans!r} is not a paragraph id")
            continue
        answered[ans] += 1
        q_by_source[source_of[ans]] += 1

    if len(questions) < MIN_QUESTIONS:
        err(f"only {len(questions)} questions (need at least {MIN_QUESTIONS})")

    # ---- optional style labels in README
    styles = None
    readme = os.path.join(d, "README.md")
    if os.path.exists(readme):
        m = re.search(r"STYLE-BEGIN\s*(.*?)\s*STYLE-END", open(readme, encoding="utf-8").read(), re.S)
        if m:
            styles = re.sub(r"[^PKS]", "", m.group(1))
            if len(styles) != len(questions):
                err(f"README style block has {len(styles)} labels for {len(questions)} questions")

    # ---- report
    print(f"paragraphs: {len(paras)} (target {TARGET_PARAS}, minimum {MIN_PARAS})")
    if lengths:
        print(f"  text length: min {min(lengths)}, median {int(statistics.median(lengths))}, max {max(lengths)}")
    print(f"sources: {len(by_source)}")
    for s, c in by_source.most_common():
        print(f"  {c:4d} paragraphs, {len(headings[s]):2d} headings, {q_by_source[s]:4d} questions  {s}")
    print(f"questions: {len(questions)} (target {TARGET_QUESTIONS}, minimum {MIN_QUESTIONS})")
    print(f"  paragraphs used as answers: {len(answered)}; paragraphs without a question: {len(ids) - len(answered)}")
    if answered:
        print(f"  max questions per paragraph: {max(answered.values())}")
    if styles is not None and len(styles) == len(questions):
        c = collections.Counter(styles)
        n = len(styles)
        print("  style mix: " + ", ".join(
            f"{name} {c[k]} ({100 * c[k] / n:.0f}%)"
            for k, name in (("P", "paraphrased"), ("K", "key-term"), ("S", "keyword"))))

    if errors:
        print(f"\nFAILED: {len(errors)} problem(s)")
        for e in errors[:50]:
            print("  " + e)
        if len(errors) > 50:
            print(f"  ... and {len(errors) - 50} more")
        return 1
    print("\nOK: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
