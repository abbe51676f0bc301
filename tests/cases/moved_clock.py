"""Run Celery (worker or beat) on a clock a test moves: `python moved_clock.py CLOCK_FILE <celery args>`.

CLOCK_FILE holds an ISO 8601 moment. The process starts there (time-machine, ticking on from it) and follows
the file: when the test writes another moment, the clock jumps to it. Everything in the process that reads
the wall clock (Django's timezone.now, Celery beat's schedule) sees the moved time; sleeps and timeouts
(monotonic clocks) are real.
"""

import sys
import threading
import time
from datetime import datetime

import time_machine


def _read(path: str) -> str:
    try:
        with open(path) as handle:
            return handle.read().strip()
    except FileNotFoundError:
        return ""


def main() -> None:
    path, args = sys.argv[1], sys.argv[2:]
    current = _read(path)
    traveller = time_machine.travel(datetime.fromisoformat(current), tick=True).start()

    def follow() -> None:
        nonlocal current
        while True:
            time.sleep(0.05)
            moment = _read(path)
            if moment and moment != current:
                traveller.move_to(datetime.fromisoformat(moment))
                current = moment

    threading.Thread(target=follow, name="moved-clock", daemon=True).start()
    from celery.__main__ import main as celery_main

    sys.argv = ["celery", *args]
    celery_main()


if __name__ == "__main__":
    main()
