"""Mutation testing of the modules where a silent change costs users most (docs/RELIABILITY.md, "Mutation testing").

    . .venv/bin/activate && pip install -e ".[mutation]"   # mutmut 3.8.1; not a CI dependency
    python tools/mutation_run.py                          # every group, ~60 min on 2 busy cores
    python tools/mutation_run.py sanitize metrics         # some groups
    python tools/mutation_run.py --sample 0               # every covered mutant instead of a sample (hours)
    python tools/mutation_run.py --show sanitize           # the surviving mutants' diffs of the last run
    python tools/mutation_run.py --against tests/core/test_pinned_by_mutation.py sanitize   # which survivors it kills
    python tools/mutation_run.py --sanity                  # prove the tests run the mutated copy (after sanitize)

Nothing here edits the working tree. Each group gets a scratch copy of the committed tree (`git archive HEAD`;
`--worktree` copies the working tree's tracked and unignored files instead) in .mutation/<group>/, and mutmut 3
writes its mutated copy under .mutation/<group>/mutants/. Both folders are ignored by git.

The tests import the mutated copy, never the editable install (/work/main/desktop_app):
- in-process, mutmut puts .mutation/<group>/mutants first on sys.path and removes the original source folder;
- tests that start `python -m desktop_app ...` would import the editable install, so PYTHONPATH is set to the
  mutated copy too (the child inherits MUTANT_UNDER_TEST, so it runs the same mutant). The subsets below prefer
  in-process tests anyway: mutmut picks each mutant's tests by which tests reached the mutated function in-process.
- `--sanity` checks it after a run of the sanitize group: a child Python imports the copy, and the mutant of
  spreadsheet_safe that writes XX'XX for a formula cell's apostrophe fails the tests that pass without it.

Sampling: a group's every mutant would take hours on 2 cores, so each module runs a fixed sample (seed 0) of the
mutants its test subset reaches; mutants the subset never reaches are counted as "not reached", not as survivors.
The kill rate is (killed + timeout) / (killed + survived + timeout) over the sample.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ROOT / ".mutation"
MUTMUT_VERSION = "3.8.1"

# group -> modules (with an optional regex on the function/method names to mutate) and the test subset.
# Subsets are in-process tests that exercise the modules; the 17-minute suite is never run per mutant.
GROUPS: dict[str, dict] = {
    "sanitize": {
        "modules": {"sanitize": None},
        "tests": ["tests/adversarial/test_data_attacks_round3.py", "tests/core/test_pinned_by_mutation.py"],
    },
    "keep_best": {  # callbacks and the kept model's numbers
        "modules": {"callbacks": None, "kept_numbers": None},
        "tests": ["tests/core/test_kept_epoch.py", "tests/core/test_pinned_by_mutation.py"],
    },
    "metrics": {  # metrics and thresholds
        "modules": {"evaluation": None, "multilabel_metrics": None},
        "tests": ["tests/core/test_evaluation.py", "tests/core/test_multilabel.py", "tests/core/test_batch_summary.py",
                  "tests/core/test_pinned_by_mutation.py"],
    },
    "split": {  # the train/validation split (dataset.py: only the split's functions)
        "modules": {"stratify": None, "dataset": r"stratified_split|_assemble|prepare_training_data"},
        "tests": ["tests/core/test_dataset.py", "tests/core/test_multilabel.py", "tests/core/test_pinned_by_mutation.py"],
    },
    "disk": {  # disk writes and ownership
        "modules": {"atomic": None, "ownership": None, "destinations": None},
        "tests": ["tests/adversarial/test_ownership.py", "tests/adversarial/test_output_attacks.py",
                  "tests/adversarial/test_platform_branches.py", "tests/core/test_app_folders.py",
                  "tests/core/test_pinned_by_mutation.py"],
    },
    "adapters": {  # reading an adapter: folder, zip, PEFT config, manifest, field validation
        "modules": {"adapters": None, "adapter_zip": None, "peft_config": None, "manifest": None, "validate": None},
        "tests": ["tests/adversarial/test_adapter_attacks.py", "tests/core/test_adapters.py",
                  "tests/core/test_pinned_by_mutation.py"],
    },
}
DEFAULT_SAMPLE = 15  # mutants per module; the whole run then fits about an hour on 2 shared cores


def export_tree(dest: Path, worktree: bool) -> None:
    dest.mkdir(parents=True)
    paths = ["desktop_app", "tests", "resources", "pyproject.toml", "README.md", "docs"]  # tests read README.md
    if worktree:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", *paths],
                                cwd=ROOT, check=True, capture_output=True).stdout.decode().split("\0")
        for name in filter(None, listed):
            if (ROOT / name).is_file():
                (dest / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, dest / name)
    else:
        data = subprocess.run(["git", "archive", "--format=tar", "HEAD", *paths], cwd=ROOT, check=True,
                              capture_output=True).stdout
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            tar.extractall(dest, filter="data")
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    (dest / "HEAD").write_text(head.strip() + (" + working tree\n" if worktree else "\n"))
    # the package's resources live in resources/ (pyproject's package-dir); put them where an import finds them
    shutil.copytree(dest / "resources", dest / "desktop_app" / "resources", dirs_exist_ok=True)


def mutmut_config(group: dict, work: Path) -> str:
    core = ROOT / "desktop_app" / "core"  # each module in its layer's sub-package
    files = [str(next(core.glob(f"*/{m}.py")).relative_to(ROOT)) for m in group["modules"]]
    tests = [t for t in group["tests"] if (work / t).exists()]  # test_pinned_by_mutation.py: once committed
    return ("\n[tool.mutmut]\n"
            'source_paths = ["desktop_app"]\n'
            'also_copy = ["README.md", "docs"]\n'
            f"only_mutate = {json.dumps(files)}\n"
            f"pytest_add_cli_args_test_selection = {json.dumps(tests)}\n"
            # -p no:cacheprovider: no .pytest_cache in the copy; the pytest-timeout plugin stays, mutmut's CPU limit
            # ((clean duration + 20 s) x 3 x 2 CPU seconds; tighter limits flagged slow but finished runs) catches loops
            'pytest_add_cli_args = ["-p", "no:cacheprovider", "-W", "ignore"]\n'
            "timeout_multiplier = 3.0\ntimeout_constant = 20.0\n"
            "use_git_change_detection = false\n")


GENERATE = """
import os, sys
import mutmut.__main__ as m
m.set_mutant_under_test("mutant_generation")
m.copy_src_dir(); m.copy_also_copy_files(); m.setup_source_paths(); m.store_lines_covered_by_tests()
m.create_mutants(2)
m.set_mutant_under_test("")
m.collect_or_load_stats(m.get_mutant_runner(2), mutants_caught_by_type_checker={}, apply_config_invalidation=True)
"""


def run_logged(cwd: Path, cmd: list[str], env: dict) -> int:
    cmd = ["nice", "-n", "10", *cmd]
    with open(cwd / "mutmut.log", "a") as out:
        out.write(f"\n$ {' '.join(cmd[:5])} ... ({len(cmd)} args)\n")
        out.flush()
        # a shell's `nohup` or `&` leaves SIGHUP/SIGINT ignored, and children inherit that: the tests that kill a
        # child with them (test_ownership.py) would then wait for it in vain
        return subprocess.run(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                              preexec_fn=_default_signals).returncode


def _default_signals() -> None:
    for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


def mutmut(cwd: Path, *args: str, env: dict) -> int:
    return run_logged(cwd, [str(Path(sys.executable).parent / "mutmut"), *args], env)


def metas(work: Path) -> dict[str, dict]:
    found = {}
    for meta in (work / "mutants" / "desktop_app" / "core").rglob("*.py.meta"):
        found[meta.name[:-len(".py.meta")]] = json.loads(meta.read_text())
    return found


def statuses(work: Path) -> dict[str, dict[str, str]]:
    from mutmut.stats import status_by_exit_code

    return {module: {key: status_by_exit_code[code] for key, code in data["exit_code_by_key"].items()}
            for module, data in metas(work).items()}


def reached(work: Path) -> set[str]:
    stats = json.loads((work / "mutants" / "mutmut-stats.json").read_text())
    return {name for name, tests in stats["tests_by_mangled_function_name"].items() if tests}


def mangled(mutant: str) -> str:
    return mutant.rsplit("__mutmut_", 1)[0]


def function_of(mutant: str) -> str:
    return mangled(mutant).rsplit(".", 1)[-1]


def run_group(name: str, sample: int, worktree: bool, fresh: bool) -> dict:
    group, work = GROUPS[name], SCRATCH / name
    if fresh and work.exists():
        shutil.rmtree(work)
    if not work.exists():
        export_tree(work, worktree)
        with open(work / "pyproject.toml", "a") as f:
            f.write(mutmut_config(group, work))
    env = {**os.environ, "PYTHONPATH": str(work / "mutants"), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "TOKENIZERS_PARALLELISM": "false", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("MUTANT_UNDER_TEST", None)
    start = time.monotonic()
    # The mutated copy's folder must exist before any Python process starts with it on PYTHONPATH: a sys.path entry
    # that does not exist yet is cached as "nothing here", and the tests then import the editable install.
    (work / "mutants").mkdir(exist_ok=True)
    if not (work / "mutants" / "mutmut-stats.json").exists():
        # the first half of `mutmut run` (mutmut 3.8.1): make the mutants, record which tests reach which function
        run_logged(work, [sys.executable, "-c", GENERATE], env)
    if not (work / "mutants" / "mutmut-stats.json").exists():
        print(f"[{name}] the test subset failed on the unmutated copy: see {work / 'mutmut.log'}", flush=True)
        return {}
    hit = reached(work)
    chosen = []
    for module, keys in statuses(work).items():
        pattern = group["modules"].get(module)
        pool = sorted(k for k in keys if mangled(k) in hit and (pattern is None or re.search(pattern, function_of(k))))
        chosen += pool if not sample or len(pool) <= sample else random.Random(0).sample(pool, sample)
    todo = [k for k in chosen if statuses(work)[k.split(".")[2]][k] == "not checked"]
    for i in range(0, len(todo), 200):  # mutmut takes the names on its command line
        mutmut(work, "run", "--max-children", "2", *todo[i:i + 200], env=env)
    (work / "chosen.json").write_text(json.dumps(chosen))
    return table(name, time.monotonic() - start)


def table(name: str, seconds: float | None = None) -> dict:
    work = SCRATCH / name
    chosen = set(json.loads((work / "chosen.json").read_text()))
    hit = reached(work)
    rows = {}
    for module, keys in sorted(statuses(work).items()):
        pattern = GROUPS[name]["modules"].get(module)
        ours = {k: s for k, s in keys.items() if pattern is None or re.search(pattern, function_of(k))}
        picked = {k: s for k, s in ours.items() if k in chosen}
        count = {s: sum(1 for v in picked.values() if v == s) for s in ("killed", "survived", "timeout")}
        tested = sum(count.values())
        rows[module] = {"mutants": len(ours), "reached": sum(1 for k in ours if mangled(k) in hit),
                        "sampled": len(picked), **count, "other": len(picked) - tested,
                        "kill_rate": (count["killed"] + count["timeout"]) / tested if tested else None,
                        "survivors": sorted(k for k, s in picked.items() if s == "survived")}
    if seconds is not None:
        print(f"[{name}] {seconds / 60:.1f} min", flush=True)
    return rows


def print_table(results: dict[str, dict]) -> None:
    """The per-module table; `then` counts the survivors a later --against run killed (against.json)."""
    verdicts = json.loads((SCRATCH / "against.json").read_text()) if (SCRATCH / "against.json").exists() else {}
    print(f"\n{'module':<20}{'mutants':>8}{'reached':>8}{'sampled':>8}{'killed':>7}{'surv.':>6}{'t/o':>5}"
          f"{'other':>6}{'kill rate':>10}{'then':>6}{'rate then':>10}")
    for group, rows in results.items():
        for module, r in rows.items():
            rate = "-" if r["kill_rate"] is None else f"{100 * r['kill_rate']:.0f}%"
            then = sum(1 for key in r["survivors"] if verdicts.get(key) == "killed")
            tested = r["killed"] + r["survived"] + r["timeout"]
            after = "-" if not tested else f"{100 * (tested - r['survived'] + then) / tested:.0f}%"
            print(f"{module:<20}{r['mutants']:>8}{r['reached']:>8}{r['sampled']:>8}{r['killed']:>7}{r['survived']:>6}"
                  f"{r['timeout']:>5}{r['other']:>6}{rate:>10}{then:>6}{after:>10}")
    print("\nsurvivors (see one: cd .mutation/<group> && mutmut show <name>):")
    for group, rows in results.items():
        for module, r in rows.items():
            for key in r["survivors"]:
                print(f"  {group:<10} {key}")


def show(name: str) -> None:
    work = SCRATCH / name
    for module, r in table(name).items():
        for key in r["survivors"]:
            subprocess.run([str(Path(sys.executable).parent / "mutmut"), "show", key], cwd=work)


SANITY_MUTANT = "desktop_app.core.base.sanitize.x_spreadsheet_safe__mutmut_{}"
SANITY_TEST = "tests/adversarial/test_data_attacks_round3.py"


def sanity() -> None:
    """Proves the tests import the mutated copy, in-process and in a child process: picks the mutant of
    spreadsheet_safe that writes XX'XX instead of the apostrophe before a formula cell, then runs the sanitize group's test file on it
    outside mutmut (it must fail) and on no mutant (it must pass), and asks a child Python where it imports from."""
    work = SCRATCH / "sanitize"
    mutants = work / "mutants"
    if not (mutants / "mutmut-stats.json").exists():
        sys.exit("run the sanitize group first: python tools/mutation_run.py sanitize")
    source = (mutants / "desktop_app" / "core" / "base" / "sanitize.py").read_text()
    number = next(int(n) for n, body in re.findall(r"def x_spreadsheet_safe__mutmut_(\d+)\(value\):(.*?)\n\n", source, re.S)
                  if "return \"XX'XX\" + value" in body)
    mutant = SANITY_MUTANT.format(number)
    env = {**os.environ, "PYTHONPATH": str(mutants), "PYTHONDONTWRITEBYTECODE": "1"}
    where = subprocess.run([sys.executable, "-c", "import desktop_app.core.base.sanitize as s; print(s.__file__)"],
                           cwd=mutants, env=env, capture_output=True, text=True).stdout.strip()
    print(f"a child process imports sanitize from {where}")
    print(subprocess.run([str(Path(sys.executable).parent / "mutmut"), "show", mutant], cwd=work,
                         capture_output=True, text=True).stdout)
    codes = {}
    for name in (mutant, ""):
        cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", SANITY_TEST, "-k", "formula"]
        codes[name or "no mutant"] = subprocess.run(cmd, cwd=mutants, env={**env, "MUTANT_UNDER_TEST": name},
                                                    capture_output=True, text=True).returncode
    print(f"pytest exit codes: {codes} (expected: the mutant 1, no mutant 0)")
    ok = where.startswith(str(mutants)) and codes == {mutant: 1, "no mutant": 0}
    print("sanity:", "the tests run the mutated copy" if ok else "FAILED")
    sys.exit(0 if ok else 1)


def against(name: str, test_file: str) -> dict[str, str]:
    """Runs `test_file` (from the working tree) on each survivor of the group's last run: which does it kill?"""
    work = SCRATCH / name
    mutants = work / "mutants"
    shutil.copy2(ROOT / test_file, mutants / test_file)
    env = {**os.environ, "PYTHONPATH": str(mutants), "PYTHONDONTWRITEBYTECODE": "1"}
    from concurrent.futures import ThreadPoolExecutor

    def verdict(key: str) -> str:
        code = subprocess.run(["nice", "-n", "10", sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                               test_file], cwd=mutants, env={**env, "MUTANT_UNDER_TEST": key},
                              capture_output=True).returncode
        return {0: "survives", 1: "killed"}.get(code, f"pytest exit {code}")

    keys = [key for r in table(name).values() for key in r["survivors"]]
    with ThreadPoolExecutor(2) as pool:  # two at a time, as mutmut runs them
        verdicts = dict(zip(keys, pool.map(verdict, keys)))
    for key, said in verdicts.items():
        print(f"  {said:<9} {key}", flush=True)
    clean = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test_file], cwd=mutants,
                           env={**env, "MUTANT_UNDER_TEST": ""}, capture_output=True).returncode
    print(f"  {test_file} on no mutant: pytest exit {clean} (0 expected)")
    return verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("groups", nargs="*", help=f"groups to run (default: all): {', '.join(GROUPS)}")
    parser.add_argument("--sample", type=int, default=DEFAULT_SAMPLE, help="mutants per module; 0: all reached")
    parser.add_argument("--worktree", action="store_true", help="mutate the working tree's files, not HEAD's")
    parser.add_argument("--resume", action="store_true", help="keep .mutation/<group> and its finished mutants")
    parser.add_argument("--table", action="store_true", help="only print the table of the last run")
    parser.add_argument("--show", action="store_true", help="print the surviving mutants' diffs")
    parser.add_argument("--against", metavar="TEST_FILE", help="run TEST_FILE on the last run's survivors")
    parser.add_argument("--sanity", action="store_true", help="prove the tests import the mutated copy (after sanitize)")
    args = parser.parse_args()
    try:
        import mutmut  # noqa: F401
        from importlib.metadata import version
        if version("mutmut") != MUTMUT_VERSION:
            print(f"note: written for mutmut {MUTMUT_VERSION}, found {version('mutmut')}", file=sys.stderr)
    except ImportError:
        sys.exit(f"mutmut is not installed: pip install mutmut=={MUTMUT_VERSION}")
    names = args.groups or list(GROUPS)
    unknown = set(names) - set(GROUPS)
    if unknown:
        sys.exit(f"unknown group(s): {', '.join(sorted(unknown))}; known: {', '.join(GROUPS)}")
    if args.sanity:
        sanity()
    if args.against:
        found = {}
        for name in names:
            found.update(against(name, args.against))
        previous = SCRATCH / "against.json"
        known = json.loads(previous.read_text()) if previous.exists() else {}
        previous.write_text(json.dumps({**known, **found}, indent=1))
        return
    if args.show:
        for name in names:
            show(name)
        return
    results = {}
    for name in names:
        results[name] = table(name) if args.table else run_group(name, args.sample, args.worktree, not args.resume)
    print_table(results)
    previous = SCRATCH / "results.json"
    known = json.loads(previous.read_text()) if previous.exists() else {}
    previous.write_text(json.dumps({**known, **results}, indent=1))


if __name__ == "__main__":
    main()
