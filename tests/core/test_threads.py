"""The CPU thread policy (core/threads.py) with injected load readings, clocks and platforms: no real timing."""

from collections import namedtuple
from types import SimpleNamespace

import pytest

from desktop_app.core.model import threads
from desktop_app.core.base.events import LogLine, ThreadsChanged

LinuxTimes = namedtuple("LinuxTimes", "user nice system idle iowait irq softirq steal guest guest_nice")
WindowsTimes = namedtuple("WindowsTimes", "user system idle interrupt dpc")
MacTimes = namedtuple("MacTimes", "user nice system idle")
OwnTimes = namedtuple("OwnTimes", "user system children_user children_system")


def fake_psutil(per_cpu=(), own=(0.0, 0.0), physical=2, logical_n=2, affinity=None, fail=False):
    """A stand-in for psutil with the parts threads.py reads; `affinity=None` means no cpu_affinity (macOS)."""

    class Error(Exception):
        pass

    class Process:
        def cpu_times(self):
            if fail:
                raise Error("access denied")
            return OwnTimes(*own, 0.0, 0.0)

    if affinity is not None:
        Process.cpu_affinity = lambda self: list(affinity)

    def cpu_times(percpu=False):
        if fail:
            raise Error("access denied")
        return list(per_cpu)

    return SimpleNamespace(Error=Error, Process=Process, cpu_times=cpu_times,
                           cpu_count=lambda logical=True: logical_n if logical else physical)


@pytest.fixture
def no_affinity(monkeypatch):
    monkeypatch.setattr(threads, "HAS_AFFINITY", False)


def use_psutil(monkeypatch, module):
    monkeypatch.setattr(threads, "_psutil", lambda: module)


# --- the choice --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("others, expected", [(None, 2), (0.0, 2), (0.3, 2), (0.7, 1), (1.0, 1), (3.0, 1)])
def test_first_choice_leaves_the_cores_other_programs_keep_busy(others, expected):
    assert threads.choose_threads(cores=2, cpus=2, others=others) == expected


def test_hyperthreads_left_free_keep_every_physical_core():
    # 2 cores, 4 logical CPUs, one busy program: a free logical CPU is left for each of our 2 threads.
    assert threads.choose_threads(cores=2, cpus=4, others=1.0) == 2
    assert threads.choose_threads(cores=2, cpus=4, others=3.0) == 1


@pytest.mark.parametrize("current, others, expected", [
    (2, 0.5, 2), (1, 0.5, 1),      # near half a CPU: stays where it is, either way
    (2, 0.65, 1), (1, 0.35, 2),    # clearly past it: moves
    (1, 0.45, 1), (2, 0.55, 2),    # inside the margin: stays
    (4, 2.0, 2), (2, 0.1, 4),      # several cores: shrinks and grows by the cores others use
])
def test_a_reading_near_the_boundary_does_not_flip_the_count(current, others, expected):
    cores = 4 if expected == 4 or current == 4 else 2
    assert threads.choose_threads(cores=cores, cpus=cores, others=others, current=current) == expected


# --- the reading -------------------------------------------------------------------------------------------

class Counters:
    """CPU seconds that advance with a fake clock: others keep `others` CPUs busy, we use `ours`."""

    def __init__(self, others=0.0, ours=2.0):
        self.now, self.others, self.ours = 100.0, others, ours
        self.busy, self.own = 50.0, 10.0

    def advance(self, seconds):
        self.now += seconds
        self.busy += (self.others + self.ours) * seconds
        self.own += self.ours * seconds

    def read(self, cpus):
        return self.busy, self.own

    def clock(self):
        return self.now


def test_the_meter_counts_busy_time_that_is_not_ours():
    c = Counters(others=0.8, ours=1.2)
    meter = threads.LoadMeter([0, 1], c.read, c.clock)
    c.advance(5)
    assert meter.others() == pytest.approx(0.8)
    c.others = 0.0
    c.advance(2)
    assert meter.others() == pytest.approx(0.0)


def test_the_meter_gives_no_reading_without_one_or_without_time():
    assert threads.LoadMeter([0], lambda cpus: None, lambda: 1.0).others() is None
    c = Counters()
    meter = threads.LoadMeter([0], c.read, c.clock)
    assert meter.others() is None  # no time has passed


def test_the_meter_never_reads_below_zero():
    c = Counters(ours=1.0)
    meter = threads.LoadMeter([0], c.read, c.clock)
    c.advance(1)
    c.own += 0.05  # our own counter ticks a little ahead of the system's
    assert meter.others() == 0.0


@pytest.mark.parametrize("times, busy", [
    (LinuxTimes(10, 1, 4, 80, 3, 1, 1, 2, 5, 0), 17),  # guest is inside user already; iowait and steal are waits
    (WindowsTimes(10, 4, 80, 1, 1), 16),
    (MacTimes(10, 1, 4, 80), 15),
])
def test_busy_time_on_each_platform(times, busy):
    assert threads._busy(times) == pytest.approx(busy)


def test_cpu_seconds_come_from_the_cpus_we_may_use(monkeypatch):
    per_cpu = [MacTimes(1, 0, 1, 8), MacTimes(5, 0, 5, 0), MacTimes(3, 0, 0, 7)]
    use_psutil(monkeypatch, fake_psutil(per_cpu, own=(4.0, 1.0)))
    assert threads.read_cpu_seconds([0, 2]) == (5.0, 5.0)
    assert threads.read_cpu_seconds([7]) == (15.0, 5.0)  # a CPU psutil does not list: all of them


def test_cpu_seconds_without_psutil_or_when_it_fails(monkeypatch):
    use_psutil(monkeypatch, None)
    assert threads.read_cpu_seconds([0]) is None
    use_psutil(monkeypatch, fake_psutil([MacTimes(1, 0, 1, 8)], fail=True))
    assert threads.read_cpu_seconds([0]) is None


# --- the CPUs and cores we may use, per platform ----------------------------------------------------------

def test_linux_uses_the_affinity_mask(monkeypatch):
    monkeypatch.setattr(threads, "HAS_AFFINITY", True)
    monkeypatch.setattr(threads.os, "sched_getaffinity", lambda pid: {3, 1}, raising=False)
    assert threads.usable_cpus() == [1, 3]


def test_windows_asks_psutil_for_the_affinity(monkeypatch, no_affinity):
    use_psutil(monkeypatch, fake_psutil(affinity=[0, 2, 4]))
    assert threads.usable_cpus() == [0, 2, 4]


def test_macos_and_no_psutil_use_every_cpu(monkeypatch, no_affinity):
    monkeypatch.setattr(threads.os, "cpu_count", lambda: 3)
    use_psutil(monkeypatch, fake_psutil(affinity=None))  # macOS: psutil has no cpu_affinity there
    assert threads.usable_cpus() == [0, 1, 2]
    use_psutil(monkeypatch, None)
    assert threads.usable_cpus() == [0, 1, 2]
    monkeypatch.setattr(threads.os, "cpu_count", lambda: None)
    assert threads.usable_cpus() == [0]


def test_physical_cores_within_the_affinity_mask(monkeypatch):
    use_psutil(monkeypatch, fake_psutil(physical=8, logical_n=16))
    assert threads.physical_cores(list(range(4))) == 2    # 4 of 16 hyperthreads: about 2 cores
    assert threads.physical_cores(list(range(16))) == 8
    assert threads.physical_cores([5]) == 1
    use_psutil(monkeypatch, fake_psutil(physical=None, logical_n=16))
    assert threads.physical_cores(list(range(4))) == 4    # psutil does not know: every CPU we may use
    use_psutil(monkeypatch, None)
    assert threads.physical_cores([0, 1, 2]) == 3


def test_initial_threads_watches_the_others_for_a_moment(monkeypatch):
    monkeypatch.setattr(threads, "usable_cpus", lambda: [0, 1])
    monkeypatch.setattr(threads, "physical_cores", lambda cpus: 2)
    c = Counters(others=1.0, ours=0.0)
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        c.advance(seconds)

    assert threads.initial_threads(0.2, c.read, c.clock, sleep) == 1 and slept == [0.2]
    c.others = 0.1
    assert threads.initial_threads(0.2, c.read, c.clock, sleep) == 2
    assert threads.initial_threads(0.2, lambda cpus: None, c.clock, sleep) == 2  # no psutil: every core


def test_configure_cpu_threads_applies_the_choice(monkeypatch):
    import torch

    from desktop_app.core.model import devices

    before = torch.get_num_threads()
    monkeypatch.setattr(threads, "initial_threads", lambda: 1)
    try:
        assert devices.configure_cpu_threads() == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


# --- while training ----------------------------------------------------------------------------------------

CPU_ARGS = SimpleNamespace(device=SimpleNamespace(type="cpu"))


def tuner(counters, start_threads=2, cores=2, read=None):
    seen, calls, state = [], [], {"threads": start_threads}

    def set_threads(n):
        calls.append(n)
        state["threads"] = n

    t = threads.ThreadTuner(seen.append, cpus=list(range(cores)), cores=cores, read=read or counters.read,
                            clock=counters.clock, get_threads=lambda: state["threads"], set_threads=set_threads)
    return t, seen, calls


def step(t, c, seconds):
    c.advance(seconds)
    t.on_step_end(CPU_ARGS, None, None)


def test_a_busy_program_takes_a_thread_and_gives_it_back():
    c = Counters(others=0.0)
    t, seen, calls = tuner(c)
    t.on_train_begin(CPU_ARGS, None, None)
    c.others = 1.0
    step(t, c, 2)
    assert calls == []        # not yet RECHECK_S seconds
    step(t, c, 3)
    assert calls == [1]
    step(t, c, 5)             # still busy: no change, no line
    c.others = 0.0
    step(t, c, 5)
    assert calls == [1, 2]
    assert [e.message for e in seen if isinstance(e, LogLine)] == [
        "Another program is using the CPU: training on 1 thread instead of 2.",
        "The CPU is free again: training on 2 threads."]
    # the window's header follows the same counts (training_panel), so it never says 2 while 1 is in use
    assert [e.threads for e in seen if isinstance(e, ThreadsChanged)] == [1, 2]


def test_training_that_starts_on_fewer_threads_says_why():
    c = Counters(others=1.0)
    t, seen, calls = tuner(c, start_threads=1)
    t.on_train_begin(CPU_ARGS, None, None)
    assert seen == [LogLine("Another program is using the CPU: training on 1 thread instead of 2.")]
    step(t, c, 5)
    assert calls == [] and len(seen) == 1


def test_without_a_reading_the_count_stays():
    c = Counters(others=1.0)
    t, seen, calls = tuner(c, read=lambda cpus: None)
    t.on_train_begin(CPU_ARGS, None, None)
    for _ in range(3):
        step(t, c, 5)
    assert calls == [] and seen == []


def test_on_a_gpu_the_cpu_threads_are_left_alone():
    c = Counters(others=2.0)
    t, seen, calls = tuner(c)
    t.on_train_begin(SimpleNamespace(device=SimpleNamespace(type="cuda")), None, None)
    step(t, c, 10)
    assert calls == [] and seen == []


def test_every_other_trainer_hook_does_nothing():
    t, _, _ = tuner(Counters())
    assert t.on_log(CPU_ARGS, None, None, logs={}) is None
    assert t.on_epoch_end(CPU_ARGS, None, None) is None
    with pytest.raises(AttributeError):
        t.not_a_hook  # noqa: B018 - only on_* names are hooks


def test_the_tuner_runs_inside_a_real_trainer(tiny_bert, toy, tmp_path, monkeypatch):
    from desktop_app.core.model.config import TrainConfig
    from desktop_app.core.data.dataset import Dataset
    from desktop_app.core.data.label_map import LabelMap
    from desktop_app.core.train.training import run_training

    c = Counters(others=1.0)
    monkeypatch.setattr(threads, "RECHECK_S", 0.0)
    real_init = threads.ThreadTuner.__init__

    def init(self, emit):
        real_init(self, emit, cpus=[0, 1], cores=2, read=c.read, clock=lambda: c.advance(1) or c.now)

    monkeypatch.setattr(threads.ThreadTuner, "__init__", init)
    monkeypatch.setattr(threads, "initial_threads", lambda: 2)
    import torch

    before = torch.get_num_threads()
    seen = []
    try:
        run_training(TrainConfig(small_data="off", base_model=str(tiny_bert), epochs=1, batch_size=16, min_steps=0),
                     Dataset(toy, LabelMap.from_labels(toy.labels), None), seen.append, out_dir=tmp_path / "ad")
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    assert LogLine("Another program is using the CPU: training on 1 thread instead of 2.") in seen
