#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""hellod's scenario engine (README.md here): each seed's configuration and clients played
against hellod and judged against the model. Run seeds, or soak: fresh seeds for a while.

  scenario.py [--hellod PATH] [--keep] SEED...      each seed, one line each; 1 on a mismatch
  scenario.py [--hellod PATH] --soak SECONDS        fresh seeds until SECONDS are spent
"""
import argparse
import os
import re
import random
import shlex
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True      # nothing written into the source tree

from check import Judge  # noqa: E402
from plan import Plan  # noqa: E402
from runner import Run  # noqa: E402

SHOWN = int(os.environ.get("HELLOD_SCENARIO_SHOWN", "16"))      # report lines per seed


def scale_of(wrapper):
    """How much slower hellod runs here: the factor for every patience and margin."""
    if os.environ.get("HELLOD_SCENARIO_SCALE"):
        return float(os.environ["HELLOD_SCENARIO_SCALE"])
    if "valgrind" in wrapper:
        return 10.0
    if "qemu" in wrapper:
        return 5.0
    if os.environ.get("HELLOD_SANITIZER"):
        return 2.0
    return 1.0


def replay_command(args, seed):
    env = ""
    if args.wrapper:
        env = "HELLOD_WRAPPER=%s " % shlex.quote(args.wrapper)
    if os.environ.get("HELLOD_SANITIZER"):
        env += "HELLOD_SANITIZER=1 "
    return "%spython3 %s --hellod %s %d" % (env, shlex.quote(os.path.join(HERE, "scenario.py")),
                                            shlex.quote(os.path.abspath(args.hellod)), seed)


def has_ipv6():
    """Whether ::1 is there (tests/lib.sh's has_ipv6)."""
    try:
        with open("/proc/net/if_inet6") as f:
            return any(line.startswith("0" * 31 + "1 ") for line in f)
    except OSError:
        return False


def run_seed(args, seed, duration=None):
    """One seed: the plan, the run, the verdict."""
    plan = Plan(seed, duration, has_ipv6())
    # A short directory, as /etc/hellod is.
    work = tempfile.mkdtemp(prefix="hs%d." % seed)
    scale = scale_of(args.wrapper)
    memory = not args.wrapper and not os.environ.get("HELLOD_SANITIZER")
    t0 = time.monotonic()
    run = Run(plan, os.path.abspath(args.hellod), work, scale, args.wrapper, memory)
    try:
        started = run.execute()
        verdict = Judge(run).run() if started else None
    finally:
        if run.proc is not None and run.proc.poll() is None:
            run.proc.kill()
            run.proc.wait()
    seconds = time.monotonic() - t0
    if verdict is None:
        for text in run.errors:
            print("seed %d: %s" % (seed, text))
        shutil.rmtree(work, ignore_errors=True)
        return None, plan, seconds
    verdict.kept = None
    if args.keep:
        verdict.kept = work
        dump(run, verdict, os.path.join(work, "run.txt"))
    else:
        shutil.rmtree(work, ignore_errors=True)
    return verdict, plan, seconds


def dump(run, verdict, path):
    """--keep: every configuration with its window, every control event and client."""
    t0 = run.t_start
    with open(path, "w") as f:
        for i, w in enumerate(run.windows):
            f.write("== config %d: %.3f to %.3f s\n%s" % (i, w.start - t0, w.end - t0,
                                                         w.conf.file_text()))
        for p0, p1 in run.pauses:
            f.write("pause %.3f-%.3f\n" % (p0 - t0, p1 - t0))
        for conf, how, t_hup, t_done in run.reloads:
            f.write("reload %.3f-%.3f %s%s\n" % (t_hup - t0, t_done - t0, how,
                                                 " broken" if conf.broken else ""))
        f.write("counters %s\n" % run.counters)
        f.write("phases (start, play, settle, stop) %s\n" % ["%.2f" % x for x in
                                                             getattr(run, "phases", ())])
        f.write("fds %s %s %s, VmRSS kB %s %s %s (start, most, end)\n" % (
            run.fd_base, run.fd_max, run.fd_end, run.rss_base, run.rss_max, run.rss_end))
        for key, n in sorted(getattr(verdict, "groups", {}).items()):
            f.write("refused %s: %d\n" % (key, n))
        for c in sorted(run.tcp + run.udp, key=lambda c: c.spec.n):
            f.write("%d %s %s:%s %s %.4f-%s %s %r {%s}\n" % (
                c.spec.n, c.spec.label, c.spec.src, c.sport, c.spec.hdr,
                c.t0 - t0, "%.4f" % (c.t1 - t0) if c.t1 else "-", c.end, bytes(c.data),
                ",".join(sorted(c.reasons))))


def summary(plan, verdict, seconds):
    c = plan.conf
    what = "%s: %d workers%s%s%s, %s greeting, max_connections %s" % (
        plan.profile, c.workers, ", close fast" if c.close_fast else "",
        ", udp" if c.udp else "", ", proxy" if c.proxy else "",
        "quote (%s)" % c.rotation if c.quotes else "templated" if c.greeting and
        any(k == "v" for k, _ in c.greeting) else "static", c.max_conn or "auto")
    return "seed %d (%s; %d reloads): %d clients, %d greetings checked, %d mismatches, %.1f s" % (
        plan.seed, what, sum(1 for e in plan.events if e[1] == "reload"), verdict.clients,
        verdict.checked, mismatch_count(verdict), seconds)


def mismatch_count(verdict):
    """Clients with a wrong outcome, and every other failed check."""
    others = [m for m in verdict.mismatches if not re.match(r"\d+ clients?: |  e\.g\. ", m)]
    return verdict.wrong_clients + len(others)


def report(args, seed, verdict):
    for text in verdict.mismatches[:SHOWN]:
        print("  " + text)
    if len(verdict.mismatches) > SHOWN:
        print("  ... %d more lines" % (len(verdict.mismatches) - SHOWN))
    print("  replay: " + replay_command(args, seed))


def seeds(args):
    failed = 0
    for seed in args.seeds:
        verdict, plan, seconds = run_seed(args, seed)
        if verdict is None:
            print("seed %d: hellod did not start; replay: %s" % (seed, replay_command(args, seed)))
            failed += 1
            continue
        print(summary(plan, verdict, seconds))
        if verdict.mismatches:
            report(args, seed, verdict)
            failed += 1
        if args.keep:
            print("  kept: " + verdict.kept)
        sys.stdout.flush()
    return 1 if failed else 0


def soak(args):
    """Fresh seeds until the time is spent; one line at the end."""
    t_end = time.monotonic() + args.soak
    rng = random.SystemRandom()
    n_seeds = n_clients = n_checked = n_bad = 0
    deaths = []
    while time.monotonic() < t_end:
        seed = rng.randrange(1, 2 ** 31)
        verdict, plan, seconds = run_seed(args, seed)
        n_seeds += 1
        if verdict is None:
            print("seed %d: hellod did not start; replay: %s" % (seed, replay_command(args, seed)))
            n_bad += 1
            continue
        n_clients += verdict.clients
        n_checked += verdict.checked
        if verdict.mismatches:
            n_bad += mismatch_count(verdict)
            print(summary(plan, verdict, seconds))
            report(args, seed, verdict)
            if verdict.died:
                deaths.append((seed, verdict.died))
        sys.stdout.flush()
    for seed, how in deaths:
        print("hellod died: seed %d: %s; replay: %s" % (seed, how, replay_command(args, seed)))
    print("soak: %d seeds, %d clients, %d greetings checked, %d mismatches" % (
        n_seeds, n_clients, n_checked, n_bad))
    return 1 if n_bad or deaths else 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--hellod", default=os.path.join(HERE, "..", "..", "build", "check", "hellod"))
    p.add_argument("--wrapper", default=os.environ.get("HELLOD_WRAPPER", ""),
                   help="a command hellod runs under (valgrind, qemu-user)")
    p.add_argument("--keep", action="store_true", help="keep each seed's directory")
    p.add_argument("--soak", type=float, metavar="SECONDS")
    p.add_argument("seeds", type=int, nargs="*")
    args = p.parse_args()
    if not os.access(args.hellod, os.X_OK):
        print("scenario.py: %s: not an executable" % args.hellod, file=sys.stderr)
        return 64
    if args.soak is not None:
        return soak(args)
    if not args.seeds:
        p.error("give seeds, or --soak SECONDS")
    return seeds(args)


if __name__ == "__main__":
    sys.exit(main())
