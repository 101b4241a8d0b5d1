"""The whole machine's CPU per unit of a scenario (``bench.load.machine_cpu``), from the
figures ``run_wrk`` records around wrk."""

from bench.load import Measurement, machine_cpu
from bench.procs import machine_busy_seconds


def _run(rate: float, seconds: float, **detail) -> Measurement:
    return Measurement(
        rate=rate, p50=1, p95=1, p99=1, errors=0, requests=0, seconds=seconds, detail=detail
    )


def test_the_cpu_per_unit_is_the_median_of_the_runs():
    runs = [
        # 100 units each: 2, 3 and 5 s of CPU of 20 s of the cores
        _run(10, 10, machine_busy_s=2.0, machine_s=20.0),
        _run(20, 5, machine_busy_s=5.0, machine_s=20.0),
        _run(50, 2, machine_busy_s=3.0, machine_s=20.0),
    ]
    per_unit, busy = machine_cpu(runs)
    assert per_unit == 30.0  # ms a unit: 20, 50 and 30
    assert busy == 0.15


def test_runs_without_the_figures_or_units_are_left_out():
    assert machine_cpu([]) is None
    assert machine_cpu([_run(10, 10)]) is None  # not measured by run_wrk
    assert machine_cpu([_run(0, 10, machine_busy_s=1.0, machine_s=2.0)]) is None
    assert machine_cpu([_run(10, 10, machine_busy_s=1.0, machine_s=0.0)]) is None
    assert machine_cpu([_run(10, 10), _run(10, 1, machine_busy_s=0.5, machine_s=2.0)]) == (
        50.0,
        0.25,
    )


def test_the_machine_counter_moves_with_work():
    busy, total = machine_busy_seconds()
    sum(i * i for i in range(3_000_000))  # some CPU of this process
    busy_after, total_after = machine_busy_seconds()
    assert busy_after > busy
    assert total_after - total >= busy_after - busy
