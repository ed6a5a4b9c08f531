"""Progress lines of long steps (``genomics.progress``), driven by a fake clock: a first line within 10 s, then
one at least every 30 s, each with count/total, rate and time left; and the library steps call them."""

import io

import numpy

from genomics.baselines import abc
from genomics.progress import Progress, counted, duration
from genomics.simulation.run import SimulatedData


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def slow_step(progress: Progress, clock: FakeClock, items: int, seconds_each: float, stream: io.StringIO) -> list:
    """A stand-in for a long library step: each item takes ``seconds_each`` of fake time; the heartbeat is
    polled every second of it. Returns (fake time, lines so far) after each second."""
    timeline = []
    progress(0, items)
    for done in range(1, items + 1):
        for _ in range(int(seconds_each)):
            clock.now += 1
            progress.poll()
            timeline.append((clock.now - 1000.0, len(stream.getvalue().splitlines())))
        progress(done, items)
    return timeline


def test_a_first_line_within_10_seconds_then_at_least_every_30_seconds():
    clock, stream = FakeClock(), io.StringIO()
    progress = Progress("simulated", stream=stream, clock=clock, heartbeat=False)
    progress.start()
    timeline = slow_step(progress, clock, items=5, seconds_each=70, stream=stream)  # each replicate: 70 s
    first = min(time for time, lines in timeline if lines >= 1)
    assert first <= 10
    seen, gaps, last = 0, [], 0.0
    for time, lines in timeline:
        if lines > seen:
            gaps.append(time - last)
            seen, last = lines, time
    assert max(gaps[1:]) <= 30


def test_each_line_says_count_total_rate_and_time_left():
    clock, stream = FakeClock(), io.StringIO()
    progress = Progress("simulated", stream=stream, clock=clock, heartbeat=False)
    progress.start()
    progress(0, 100)
    clock.now += 40
    progress(20, 100)  # 0.5 per second: 80 left take 160 s
    assert stream.getvalue().splitlines()[-1] == "simulated: 20/100 replicates (20%), 0.5 replicates/s, about 2 min 40 s left"


def test_between_reports_a_line_says_the_step_is_alive_before_any_rate_is_known():
    clock, stream = FakeClock(), io.StringIO()
    progress = Progress("statistics", stream=stream, clock=clock, heartbeat=False)
    progress.start()
    progress(0, 10)
    clock.now += 31
    progress.poll()
    assert stream.getvalue().splitlines()[-1] == "statistics: 0/10 replicates (0%), 31 s elapsed, rate not known yet"


def test_reports_do_not_flood_the_console():
    clock, stream = FakeClock(), io.StringIO()
    progress = Progress("encoded", stream=stream, clock=clock, heartbeat=False)
    progress.start()
    for done in range(1000):  # 1000 reports within 5 s: the first line only, then the final one
        clock.now += 0.005
        progress(done, 1000)
    progress(1000, 1000)
    assert len(stream.getvalue().splitlines()) == 2
    assert stream.getvalue().splitlines()[-1].startswith("encoded: 1000/1000 replicates (100%)")


def test_the_heartbeat_thread_writes_without_any_report():
    stream = io.StringIO()
    with Progress("waiting", stream=stream, first_within=2.0):  # real time, but only the thread's first line
        import time
        deadline = time.monotonic() + 10
        while not stream.getvalue() and time.monotonic() < deadline:
            time.sleep(0.1)
    assert stream.getvalue() == "waiting: 1 s elapsed\n"  # no count reported: no count claimed


def test_counted_reports_each_item_after_it_is_used():
    calls = []
    assert list(counted(iter("abc"), 3, lambda done, total: calls.append((done, total)))) == ["a", "b", "c"]
    assert calls == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert list(counted(iter("ab"), 2, None)) == ["a", "b"]


def test_durations_read_as_a_person_would_say_them():
    assert [duration(s) for s in (9.6, 75, 4000)] == ["10 s", "1 min 15 s", "1 h 6 min"]


def test_the_statistics_table_reports_its_replicates_and_gives_the_same_table():
    generator = numpy.random.default_rng(0)
    genotypes = [generator.integers(0, 2, size=(8, 12)).astype(numpy.int8) for _ in range(120)]
    data = SimulatedData(["a", "b"], numpy.repeat([0, 1], 60), genotypes, [numpy.arange(12.0)] * 120,
                         numpy.full(120, 1000.0), numpy.repeat([0, 1], 4), ["p", "q"], {},
                         [numpy.array([12])] * 120)
    calls = []
    table, _ = abc.statistics_table(data, progress=lambda done, total: calls.append((done, total)))
    plain, _ = abc.statistics_table(data)
    numpy.testing.assert_array_equal(table, plain)
    assert calls[0] == (0, 120) and calls[-1] == (120, 120) and len(calls) == 4


def test_simulate_reports_the_replicates_of_each_shard_written(tmp_path):
    import concurrent.futures

    from genomics.scenario.scenario import Scenario
    from genomics.simulation.run import simulate

    small = {"name": "small", "priors": {"N": {"log_uniform": [500, 2000]}},
             "design": {"populations": ["P"], "samples": [4], "sequence_length": 2e4},
             "demes": [{"name": "P", "initial_size": "N"}]}
    calls = []
    with concurrent.futures.ThreadPoolExecutor(1) as executor:
        simulate([Scenario(small)], 4, str(tmp_path), shard_size=2, executor=executor,
                 progress=lambda done, total: calls.append((done, total)))
    assert calls == [(0, 4), (2, 4), (4, 4)]


def test_the_first_line_says_the_step_is_starting():
    clock, stream = FakeClock(), io.StringIO()
    progress = Progress("statistics", stream=stream, clock=clock, heartbeat=False)
    progress.start()
    progress(0, 10)
    assert stream.getvalue() == "statistics: 0/10 replicates (0%), starting\n"


def test_after_the_count_is_complete_the_heartbeat_says_the_step_goes_on():
    clock, stream = FakeClock(), io.StringIO()
    progress = Progress("statistics", stream=stream, clock=clock, heartbeat=False)
    progress.start()
    progress(0, 10)
    clock.now += 2
    progress(10, 10)
    clock.now += 30
    progress.poll()
    assert stream.getvalue().splitlines()[-2:] == ["statistics: 10/10 replicates (100%), 5 replicates/s",
                                                   "statistics: 10/10 replicates (100%) done; 32 s elapsed, "
                                                   "the step goes on"]
