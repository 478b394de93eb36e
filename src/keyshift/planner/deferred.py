"""Calls handed to a runner instead of made in place.

``loop.run_in_executor(None, s3.upload_file, path, bucket, key)``, ``asyncio.to_thread(fn, ...)``,
``executor.submit(fn, ...)``, an RQ ``queue.enqueue(fn, ...)``, a Celery ``task.delay(...)`` or
``task.apply_async(args=(...))``, a Dramatiq ``actor.send(...)``: the function runs later, in a
thread or a worker of the same image, with these arguments. The analysis treats each as a call
of that function with those arguments, so an S3 upload run in an executor is granted and a
Celery task's ``bucket_name`` parameter takes the values its callers send.
"""

from __future__ import annotations

from keyshift.planner.values import EMPTY, DictV, ListV, TupleV, Values

# runner function or method name -> (index of the callable among the positional arguments,
# whether the runner's keyword arguments go to the callable)
RUNNERS: dict[str, tuple[int, bool]] = {
    "run_in_executor": (1, False),  # loop.run_in_executor(executor, func, *args)
    "to_thread": (0, True),  # asyncio.to_thread(func, *args, **kwargs)
    "run_sync": (0, False),  # anyio.to_thread.run_sync(func, *args)
    "run_in_threadpool": (0, True),  # starlette.concurrency.run_in_threadpool(func, *args, **kwargs)
    "submit": (0, True),  # concurrent.futures Executor.submit(func, *args, **kwargs)
    "enqueue": (0, True),  # rq Queue.enqueue(func, *args, **kwargs)
    "start_soon": (0, False),  # anyio TaskGroup.start_soon(func, *args)
}

# methods of a task object (a decorated repository function) that run it with their arguments
TASK_METHODS = frozenset({"delay", "apply_async", "send"})


def runner_call(
    name: str, args: list[Values], kwargs: dict[str, Values]
) -> tuple[Values, list[Values], dict[str, Values]] | None:
    """The callable a runner is given and the arguments it will be called with."""
    spec = RUNNERS.get(name)
    if spec is None or len(args) <= spec[0]:
        return None
    at, passes = spec
    return args[at], args[at + 1 :], dict(kwargs) if passes else {}


def task_arguments(
    name: str, args: list[Values], kwargs: dict[str, Values]
) -> tuple[list[Values], dict[str, Values]]:
    """The arguments a task method runs its task with: ``delay``/``send`` pass theirs through;
    ``apply_async(args, kwargs)`` unpacks a literal tuple or list and a literal dict."""
    if name != "apply_async":
        return list(args), dict(kwargs)
    packed = kwargs.get("args", args[0] if args else EMPTY)
    named = kwargs.get("kwargs", args[1] if len(args) > 1 else EMPTY)
    positional: list[Values] = []
    tuples = [v for v in packed if isinstance(v, TupleV)]
    if len(tuples) == 1:
        positional = list(tuples[0].items)
    else:
        lists = [v for v in packed if isinstance(v, ListV)]
        if len(lists) == 1:
            positional = [lists[0].items]  # items of a list literal, in no order: the first parameter
    keywords: dict[str, Values] = {}
    for value in named:
        if isinstance(value, DictV):
            for key, inner in value.items:
                keywords[key] = keywords.get(key, EMPTY) | inner
    return positional, keywords
