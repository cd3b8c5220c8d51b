"""Every class, static member and keyword argument that a Python example in README.md uses exists in
the installed modules (the wheel the build made, aws-cdk-lib from PyPI).

The README's Python translations come from jsii-rosetta, the bindings from jsii-pacmak; where the two
spell a name differently (rosetta once wrote `size_gi_b` for the binding's `size_gib`), the example
fails here. Names are resolved the way the README's imports (rosetta/default.ts-fixture) bind them.

    python check_readme.py README.md
"""

import ast
import importlib
import inspect
import re
import sys
from typing import Any, Dict, List, Optional

MODULE_ALIASES = {
    "acm": "aws_cdk.aws_certificatemanager",
    "ec2": "aws_cdk.aws_ec2",
    "rds": "aws_cdk.aws_rds",
    "route53": "aws_cdk.aws_route53",
    "s3": "aws_cdk.aws_s3",
    "sns": "aws_cdk.aws_sns",
    "patterns": "cdk_ha_patterns",
}
# Bare names: the library's exports, then aws-cdk-lib's core (App, CfnOutput, Duration, ...).
BARE_MODULES = ["cdk_ha_patterns", "aws_cdk", "constructs"]


def resolve(node: ast.expr) -> Optional[Any]:
    """The object a Name or dotted Attribute refers to, or None for a local variable."""
    if isinstance(node, ast.Name):
        if node.id in MODULE_ALIASES:
            return importlib.import_module(MODULE_ALIASES[node.id])
        for module in BARE_MODULES:
            found = getattr(importlib.import_module(module), node.id, None)
            if found is not None:
                return found
        return None
    if isinstance(node, ast.Attribute):
        owner = resolve(node.value)
        if owner is None or not (inspect.ismodule(owner) or inspect.isclass(owner)):
            return None
        if not hasattr(owner, node.attr):
            raise LookupError(f"{ast.unparse(node)}: {owner.__name__} has no member {node.attr!r}")
        return getattr(owner, node.attr)
    return None


def accepted_keywords(target: Any) -> Optional[List[str]]:
    function = target.__init__ if inspect.isclass(target) else target
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return [p.name for p in parameters]


def check_block(code: str) -> List[str]:
    problems: List[str] = []
    for node in ast.walk(ast.parse(code)):
        try:
            if isinstance(node, (ast.Attribute, ast.Name)) and isinstance(getattr(node, "ctx", None), ast.Load):
                resolve(node)
            if isinstance(node, ast.Call):
                target = resolve(node.func)
                if target is None or not callable(target):
                    continue
                allowed = accepted_keywords(target)
                for keyword in node.keywords:
                    if keyword.arg is not None and allowed is not None and keyword.arg not in allowed:
                        problems.append(
                            f"{ast.unparse(node.func)}(...) takes no keyword {keyword.arg!r} (it takes {', '.join(allowed)})"
                        )
        except LookupError as e:
            problems.append(str(e))
    return problems


def main(readme: str) -> int:
    with open(readme, encoding="utf-8") as f:
        text = f.read()
    blocks = re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)
    failed = 0
    for number, block in enumerate(blocks, 1):
        problems = sorted(set(check_block(block)))
        for problem in problems:
            print(f"python: README Python example {number}: {problem}", file=sys.stderr)
        failed += 1 if problems else 0
    print(f"python: README examples: {len(blocks) - failed} passed, {failed} failed")
    return 1 if failed or not blocks else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
