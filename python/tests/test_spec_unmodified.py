"""The specification's test functions and examples run exactly as written: read
from the seed documents (../shared/seeds beside the repository, where CI keeps
them) and executed against tinytorch. Skipped when the documents are absent."""
import contextlib
import io
import pathlib
import re

import pytest

SEEDS = pathlib.Path(__file__).resolve().parents[3] / "shared" / "seeds"
SEED_001 = SEEDS / "001_3896350b3888ed23.txt"
SEED_003 = SEEDS / "003_c03229519f1dd89c.txt"


def function_source(text, name):
    """The source of top-level function `name`: its def line and the indented or
    blank lines after it."""
    lines = text.splitlines()
    start = lines.index("def {}():".format(name))
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end].startswith((" ", "\t"))):
        end += 1
    return "\n".join(lines[start:end]) + "\n"


def code_block_after(text, heading):
    """The first ```python block after `heading`."""
    match = re.search(re.escape(heading) + r".*?```python\n(.*?)```", text, re.S)
    assert match, heading
    return match.group(1)


def run(source, namespace):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "<specification>", "exec"), namespace)
    return out.getvalue()


@pytest.mark.skipif(not SEED_001.exists(), reason="specification documents not beside the repository")
def test_seed_functions_unmodified():
    import tinytorch.core.autograd as module
    text = SEED_001.read_text(encoding="utf-8")
    namespace = dict(vars(module))
    for name in ("test_unit_function_classes", "test_unit_tensor_autograd", "test_module"):
        run(function_source(text, name), namespace)
    printed = run("test_module()\n", namespace)
    assert "ALL TESTS PASSED" in printed


@pytest.mark.skipif(not SEED_003.exists(), reason="specification documents not beside the repository")
def test_manual_testing_examples_unmodified():
    text = SEED_003.read_text(encoding="utf-8")
    printed = run(code_block_after(text, "### Manual Testing Examples"), {})
    values = [float(v) for v in re.findall(r": \[([-0-9.e]+)\]", printed)]
    assert values == [6.0, 80.0, 12.0, 5.0], printed


@pytest.mark.skipif(not SEED_003.exists(), reason="specification documents not beside the repository")
def test_neural_network_example_unmodified():
    text = SEED_003.read_text(encoding="utf-8")
    printed = run(code_block_after(text, "### Complete Neural Network Example"), {})
    assert "x.grad shape: (1, 3)" in printed
    assert "W1.grad shape: (3, 2)" in printed
    assert "b1.grad shape: (1, 2)" in printed
    assert "W2.grad shape: (2, 1)" in printed
