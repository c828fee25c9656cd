"""The agent loops shown in docs/dialects.md are the examples' own code, so what it shows is what the tests run."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("example", ["anthropic_agent.py", "openai_agent.py"])
def test_the_readme_loop_is_the_examples_code(example):
    readme = (ROOT / "docs" / "dialects.md").read_text()
    shown = re.search(rf"<!-- the loop of examples/{example} -->\n```python\n(.*?)\n```", readme, re.S)
    assert shown, f"docs/dialects.md shows the loop of {example}"
    # The loop is the body of the example's run(): one level of indentation less.
    body = "\n".join(line[4:] for line in (ROOT / "examples" / example).read_text().splitlines())
    assert shown.group(1) in body
