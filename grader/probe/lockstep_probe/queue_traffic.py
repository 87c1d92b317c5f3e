"""Queue traffic as the records see it: who put or got what, on a ``multiprocessing`` queue or
through a Manager's proxy. The lever goes in here too: a slowed producer sleeps before each
put, a slowed consumer after each get of an item (``delays.slow_down``); not after getting the
sentinel ``None``, where a pause would only delay its exit."""

from __future__ import annotations

from .delays import slow_down
from .protocol import GET, PUT
from .records import emit, short

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def instrument() -> None:
    import multiprocessing.managers as managers
    import multiprocessing.queues as queues

    def watch_put(cls: Any) -> None:
        original = cls.put

        def put(self: Any, obj: Any, *args: Any, **kwargs: Any) -> Any:
            slow_down()
            result = original(self, obj, *args, **kwargs)
            emit(PUT, item=short(obj))
            return result

        cls.put = put

    def watch_get(cls: Any) -> None:
        original = cls.get

        def get(self: Any, *args: Any, **kwargs: Any) -> Any:
            item = original(self, *args, **kwargs)
            emit(GET, item=short(item))
            if item is not None:
                slow_down()
            return item

        cls.get = get

    for cls in (queues.Queue, queues.JoinableQueue, queues.SimpleQueue):
        if "put" in cls.__dict__:
            watch_put(cls)
        if "get" in cls.__dict__:
            watch_get(cls)

    original_callmethod = managers.BaseProxy._callmethod

    def _callmethod(self: Any, methodname: str, args: Any = (), kwds: Any = None) -> Any:
        if methodname == "put" and args:
            slow_down()
        result = original_callmethod(self, methodname, args, kwds or {})
        if methodname == "put" and args:
            emit(PUT, item=short(args[0]))
        elif methodname in ("get", "get_nowait"):
            emit(GET, item=short(result))
            if result is not None:
                slow_down()
        return result

    managers.BaseProxy._callmethod = _callmethod  # type: ignore[method-assign]
