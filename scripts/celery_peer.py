"""Celery with a Redis broker on this machine: tiny tasks (x -> x*x) per second, the figure
scripts/bench-cluster.sh sets the cluster engine against. Run by that script in its own venv.

  python celery_peer.py worker REDIS_URL          # a prefork worker, concurrency 2
  python celery_peer.py submit REDIS_URL N MODE   # MODE: tasks (one message per input) or
                                                  # chunks (celery's chunks primitive, 1,000 a message)
"""
import sys
import time

from celery import Celery, group

redis_url = sys.argv[2]
app = Celery("celery_peer", broker=redis_url, backend=redis_url)
app.conf.update(
    worker_prefetch_multiplier=64,
    task_acks_late=False,
    result_expires=3600,
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
)


@app.task(name="celery_peer.square")
def square(x):
    return x * x


def submit(count, mode):
    inputs = list(range(count))
    start = time.perf_counter()
    if mode == "tasks":
        result = group(square.s(x) for x in inputs).apply_async()
        outputs = result.get(timeout=3600)
    else:
        result = square.chunks(((x,) for x in inputs), 1000).group().apply_async()
        outputs = [y for chunk in result.get(timeout=3600) for y in chunk]
    elapsed = time.perf_counter() - start
    right = outputs == [x * x for x in inputs]
    print(f"celery {mode}: {count} tiny inputs in {elapsed:.2f} s: {count / elapsed:.0f} inputs/s, all right: {right}")


if __name__ == "__main__":
    if sys.argv[1] == "worker":
        app.worker_main(["worker", "--concurrency=2", "--pool=prefork", "--loglevel=WARNING", "--without-gossip",
                         "--without-mingle", "--without-heartbeat"])
    else:
        submit(int(sys.argv[3]), sys.argv[4])
