"""no_grad / enable_grad / set_grad_enabled: context managers (and decorators)
switching the C++ engine's thread-local grad mode, as in torch."""
import functools
import inspect
import sys

from .. import _C


class _GradModeContext:
    """Enters a grad mode and restores the previous one on exit; usable as a decorator."""

    mode = True

    def __enter__(self):
        self._prev = _C.is_grad_enabled()
        _C._set_grad_enabled(self.mode)

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._prev)
        return False

    def __call__(self, func):
        if inspect.isgeneratorfunction(func):
            # The mode around each step of the generator, not only around the call
            # that creates it (torch's _wrap_generator); restored between steps.
            @functools.wraps(func)
            def generator_wrapper(*args, **kwargs):
                gen = func(*args, **kwargs)
                try:
                    with self.__class__():
                        response = gen.send(None)
                    while True:
                        try:
                            request = yield response
                        except GeneratorExit:
                            with self.__class__():
                                gen.close()
                            raise
                        except BaseException:
                            with self.__class__():
                                response = gen.throw(*sys.exc_info())
                        else:
                            with self.__class__():
                                response = gen.send(request)
                except StopIteration as stop:
                    return stop.value
            return generator_wrapper

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return func(*args, **kwargs)
        return wrapper


class no_grad(_GradModeContext):
    """Operations inside record no graph (inference, parameter updates)."""
    mode = False


class enable_grad(_GradModeContext):
    """Turns recording back on inside a no_grad region."""
    mode = True


class set_grad_enabled(_GradModeContext):
    """set_grad_enabled(mode) sets the mode at once (as a function) or for a with block."""

    def __init__(self, mode):
        self._prev = _C.is_grad_enabled()
        self.mode = bool(mode)
        _C._set_grad_enabled(self.mode)

    def __enter__(self):
        pass

    def __call__(self, func):
        _C._set_grad_enabled(self._prev)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(self.mode):
                return func(*args, **kwargs)
        return wrapper
