"""One observed or unobserved deployment of bench/observe_micro.py running ``n`` executions, for
instruction counting under valgrind (load-independent, unlike CPU time on a shared machine):

    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python bench/observe_count.py on 400

Run it with two values of ``n``: the difference of the instruction counts (``Collected``), divided by
the difference of ``n``, is the cost per execution without start-up and warm-up.
"""

from __future__ import annotations

import sys

from observe_micro import Deployment


def main() -> None:
    mode, n = sys.argv[1], int(sys.argv[2])
    deployment = Deployment(mode == "on", sys.argv[3] if len(sys.argv) > 3 else "hello")
    deployment.round(50)  # warm up: caches, imports, first pages
    if n:
        deployment.round(n)
    deployment.close()


if __name__ == "__main__":
    main()
